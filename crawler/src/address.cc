#include <arpa/inet.h>

#include <cstring>

#include "netsample/crawler/crawler.h"

namespace netsample::crawler {

bool is_internal_address(const std::string& ip) {
  unsigned char v4[4];
  if (inet_pton(AF_INET, ip.c_str(), v4) == 1) {
    return v4[0] == 0 || v4[0] == 10 || v4[0] == 127 ||          // this network, RFC 1918, loopback
           (v4[0] == 100 && (v4[1] & 0xC0) == 64) ||               // CGNAT 100.64/10
           (v4[0] == 169 && v4[1] == 254) ||                       // link-local (cloud metadata)
           (v4[0] == 172 && (v4[1] & 0xF0) == 16) || (v4[0] == 192 && v4[1] == 168);
  }
  unsigned char v6[16];
  if (inet_pton(AF_INET6, ip.c_str(), v6) == 1) {
    static const unsigned char zero[16] = {};
    if (std::memcmp(v6, zero, 15) == 0 && (v6[15] == 0 || v6[15] == 1)) return true;  // :: and ::1
    if ((v6[0] & 0xFE) == 0xFC || (v6[0] == 0xFE && (v6[1] & 0xC0) == 0x80)) return true;  // fc00::/7, fe80::/10
    // An IPv4 address mapped into IPv6 (::ffff:a.b.c.d) is judged as that IPv4 address.
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    if (std::memcmp(v6, mapped, 12) == 0) {
      char text[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, v6 + 12, text, sizeof text);
      return is_internal_address(text);
    }
    return false;
  }
  return true;  // not an address at all: refuse rather than guess
}

bool is_loopback_address(const std::string& ip) {
  unsigned char v4[4];
  if (inet_pton(AF_INET, ip.c_str(), v4) == 1) return v4[0] == 127;
  unsigned char v6[16];
  if (inet_pton(AF_INET6, ip.c_str(), v6) != 1) return false;
  static const unsigned char loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  return std::memcmp(v6, loopback, 16) == 0 || (std::memcmp(v6, mapped, 12) == 0 && v6[12] == 127);
}

}  // namespace netsample::crawler
