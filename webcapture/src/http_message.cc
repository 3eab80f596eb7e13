#include "http_message.h"

#include <algorithm>
#include <cctype>

namespace netsample::webcapture {
namespace {

bool same_name(const std::string& a, const char* b) {
  std::string lower = a;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower == b;
}

// A header's value on one line: a newline in a value (Network joins repeats with "\n") would break the message.
void append_header(std::string& out, const std::string& name, const std::string& value) {
  size_t start = 0;
  for (;;) {
    const size_t end = value.find('\n', start);
    out += name + ": " + value.substr(start, end == std::string::npos ? std::string::npos : end - start) + "\r\n";
    if (end == std::string::npos) break;
    start = end + 1;
  }
}

}  // namespace

HeaderList header_list(const nlohmann::json& headers) {
  HeaderList list;
  if (headers.is_array()) {
    for (const auto& h : headers)
      if (h.is_object()) list.emplace_back(h.value("name", ""), h.value("value", ""));
  } else if (headers.is_object()) {
    for (auto it = headers.begin(); it != headers.end(); ++it)
      list.emplace_back(it.key(), it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
  }
  return list;
}

std::string reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "";
  }
}

std::string response_message(int status, const std::string& status_text, const HeaderList& headers, const std::string& body,
                             HeaderList& removed) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + (status_text.empty() ? reason_phrase(status) : status_text) + "\r\n";
  for (const auto& [name, value] : headers) {
    if (name.empty() || name[0] == ':') continue;
    if (same_name(name, "content-encoding") || same_name(name, "transfer-encoding") || same_name(name, "content-length")) {
      if (!same_name(name, "content-length") || value != std::to_string(body.size())) removed.emplace_back(name, value);
      continue;
    }
    append_header(out, name, value);
  }
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  return out + body;
}

std::string request_message(const std::string& method, const std::string& url, const HeaderList& headers, const std::string& body) {
  // The request target: the path and query of the URL.
  std::string target = "/";
  std::string host;
  if (const size_t scheme = url.find("://"); scheme != std::string::npos) {
    const size_t path = url.find('/', scheme + 3);
    host = url.substr(scheme + 3, path == std::string::npos ? std::string::npos : path - scheme - 3);
    if (path != std::string::npos) target = url.substr(path);
  }
  if (const size_t hash = target.find('#'); hash != std::string::npos) target.resize(hash);
  std::string out = method + " " + target + " HTTP/1.1\r\n";
  bool has_host = false;
  for (const auto& [name, value] : headers) {
    if (name.empty() || name[0] == ':') continue;
    has_host = has_host || same_name(name, "host");
    append_header(out, name, value);
  }
  if (!has_host && !host.empty()) out += "Host: " + host + "\r\n";
  out += "\r\n";
  return out + body;
}

}  // namespace netsample::webcapture
