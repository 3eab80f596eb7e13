#include <arpa/inet.h>

#include <cstring>
#include <initializer_list>

#include "netsample/crawler/crawler.h"

namespace netsample::crawler {
namespace {

bool internal_v4(const unsigned char* v4) {
  return v4[0] == 0 || v4[0] == 10 || v4[0] == 127 ||              // this network 0/8, RFC 1918, loopback
         v4[0] >= 224 ||                                           // multicast 224/4, reserved 240/4, broadcast
         (v4[0] == 100 && (v4[1] & 0xC0) == 64) ||                 // CGNAT 100.64/10
         (v4[0] == 169 && v4[1] == 254) ||                         // link-local (cloud metadata)
         (v4[0] == 172 && (v4[1] & 0xF0) == 16) || (v4[0] == 192 && v4[1] == 168) ||
         (v4[0] == 198 && (v4[1] & 0xFE) == 18);                   // benchmarking 198.18/15 (lab networks)
}

bool starts_with(const unsigned char* v6, std::initializer_list<unsigned char> prefix) {
  return std::memcmp(v6, prefix.begin(), prefix.size()) == 0;
}

bool internal_v6(const unsigned char* v6) {
  static const unsigned char zero[16] = {};
  if (std::memcmp(v6, zero, 15) == 0 && (v6[15] == 0 || v6[15] == 1)) return true;  // :: and ::1
  if ((v6[0] & 0xFE) == 0xFC) return true;                  // unique local fc00::/7
  if (v6[0] == 0xFE && (v6[1] & 0xC0) == 0x80) return true;  // link-local fe80::/10
  if (v6[0] == 0xFE && (v6[1] & 0xC0) == 0xC0) return true;  // site-local fec0::/10 (deprecated, still routed inside)
  if (v6[0] == 0xFF) return true;                           // multicast ff00::/8
  // Addresses that carry an IPv4 address reach that address: judged as it.
  if (starts_with(v6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF})) return internal_v4(v6 + 12);           // mapped ::ffff:a.b.c.d
  if (std::memcmp(v6, zero, 12) == 0) return internal_v4(v6 + 12);                                        // compatible ::a.b.c.d
  if (starts_with(v6, {0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0})) return internal_v4(v6 + 12);       // NAT64 64:ff9b::/96
  if (v6[0] == 0x20 && v6[1] == 0x02) return internal_v4(v6 + 2);                                          // 6to4 2002:a.b.c.d::/48
  return false;
}

}  // namespace

bool is_internal_address(const std::string& ip) {
  unsigned char v4[4];
  if (inet_pton(AF_INET, ip.c_str(), v4) == 1) return internal_v4(v4);
  unsigned char v6[16];
  if (inet_pton(AF_INET6, ip.c_str(), v6) == 1) return internal_v6(v6);
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
