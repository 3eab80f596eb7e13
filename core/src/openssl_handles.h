// Inside core only: one owner per OpenSSL object, and OpenSSL's error queue as text (tsa.cc, long_term.cc).
#pragma once

#include <openssl/err.h>

#include <string>

namespace netsample::openssl {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};

// Drains the thread's error queue into one line for a person.
inline std::string errors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    text += (text.empty() ? "" : "; ") + std::string(buffer);
  }
  return text.empty() ? "（OpenSSL 未给出原因）" : text;
}

}  // namespace netsample::openssl
