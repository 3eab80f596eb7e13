#include "netsample/core/sntp.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <random>

#include "netsample/core/file_io.h"

namespace netsample {
namespace {

using namespace std::chrono;

constexpr std::int64_t kNtpToUnixSeconds = 2'208'988'800;  // 1900-01-01 to 1970-01-01
constexpr size_t kPacketSize = 48;

struct AddrinfoFree {
  void operator()(addrinfo* info) const { freeaddrinfo(info); }
};

// NTP 64-bit timestamp (seconds since 1900, 32-bit fraction) <-> microseconds since the Unix epoch.
std::uint64_t to_ntp(UtcTime t) {
  const std::int64_t us = to_utc_us(t);
  const std::uint64_t seconds = static_cast<std::uint64_t>(us / 1'000'000 + kNtpToUnixSeconds) & 0xFFFFFFFFu;
  const std::uint64_t fraction = (static_cast<std::uint64_t>(us % 1'000'000) << 32) / 1'000'000;
  return (seconds << 32) | fraction;
}

std::int64_t ntp_to_unix_us(std::uint64_t ntp) {
  std::int64_t seconds = static_cast<std::int64_t>(ntp >> 32);
  // RFC 4330 section 3: a most significant bit of 0 means the era starting 2036-02-07.
  if ((seconds & 0x80000000) == 0) seconds += 0x100000000LL;
  const std::int64_t micros = static_cast<std::int64_t>(((ntp & 0xFFFFFFFFu) * 1'000'000) >> 32);
  return (seconds - kNtpToUnixSeconds) * 1'000'000 + micros;
}

std::uint64_t read_u64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

void write_u64(unsigned char* p, std::uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<unsigned char>(v & 0xFF);
}

Error bad_answer(const NtpServer& server, const std::string& why) {
  return make_error(ErrorCode::integrity, server.name(), "NTP 服务器的应答无效：" + why);
}

}  // namespace

std::string NtpServer::name() const {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<NtpServer> parse_ntp_server(std::string_view text, std::string_view field) {
  NtpServer server;
  std::string_view host = text, port;
  if (text.starts_with("[")) {  // [IPv6]:port
    const auto close = text.find(']');
    if (close == std::string_view::npos) return make_error(ErrorCode::invalid_input, std::string(field), "IPv6 地址缺少 ]");
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return make_error(ErrorCode::invalid_input, std::string(field), "] 之后须为 :端口");
      port = text.substr(close + 2);
    }
  } else if (const auto colon = text.rfind(':'); colon != std::string_view::npos && text.find(':') == colon) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty()) return make_error(ErrorCode::invalid_input, std::string(field), "缺少主机名");
  server.host = std::string(host);
  if (!port.empty() || text.ends_with(":")) {
    int value = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || value > 65535) return make_error(ErrorCode::invalid_input, std::string(field), "端口须为 1 到 65535 的整数");
      value = value * 10 + (c - '0');
    }
    if (value < 1 || value > 65535) return make_error(ErrorCode::invalid_input, std::string(field), "端口须为 1 到 65535 的整数");
    server.port = static_cast<std::uint16_t>(value);
  }
  return server;
}

Result<TimeSample> SntpClient::query(const NtpServer& server) const {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* raw = nullptr;
  const int rc = getaddrinfo(server.host.c_str(), std::to_string(server.port).c_str(), &hints, &raw);
  std::unique_ptr<addrinfo, AddrinfoFree> addresses(raw);
  if (rc != 0) return make_error(ErrorCode::network, server.name(), std::string("无法解析主机名：") + gai_strerror(rc));

  UniqueFd sock(::socket(addresses->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock.valid()) return io_error(server.name(), "无法创建 UDP 套接字");
  // connect(): the kernel then delivers only datagrams from this server.
  if (::connect(sock.get(), addresses->ai_addr, addresses->ai_addrlen) != 0)
    return make_error(ErrorCode::network, server.name(), std::string("无法连接：") + std::strerror(errno));

  std::array<unsigned char, kPacketSize> request{};
  request[0] = (0 << 6) | (4 << 3) | 3;  // LI 0, version 4, mode 3 (client)
  // The transmit timestamp is echoed back as "originate": random low bits make it a nonce.
  const UtcTime t1 = SystemClock().now();
  std::uint64_t transmit = to_ntp(t1);
  transmit ^= std::random_device{}() & 0xFFFFF;  // at most ~244 us, accounted for in t1_exact
  write_u64(&request[40], transmit);
  const UtcTime t1_exact = from_utc_us(ntp_to_unix_us(transmit));
  if (::send(sock.get(), request.data(), request.size(), 0) != static_cast<ssize_t>(request.size()))
    return make_error(ErrorCode::network, server.name(), std::string("发送失败：") + std::strerror(errno));

  const auto deadline = steady_clock::now() + timeout_;
  std::array<unsigned char, 512> reply{};
  for (;;) {
    const auto left = duration_cast<milliseconds>(deadline - steady_clock::now()).count();
    pollfd pfd{sock.get(), POLLIN, 0};
    const int ready = left > 0 ? ::poll(&pfd, 1, static_cast<int>(left)) : 0;
    if (ready == 0)
      return make_error(ErrorCode::network, server.name(), "NTP 服务器在 " + std::to_string(timeout_.count()) + " 毫秒内无应答");
    if (ready < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorCode::network, server.name(), std::string("等待应答失败：") + std::strerror(errno));
    }
    const ssize_t n = ::recv(sock.get(), reply.data(), reply.size(), 0);
    const UtcTime t4 = SystemClock().now();
    const std::int64_t t4_mono = duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorCode::network, server.name(), std::string("接收失败：") + std::strerror(errno));
    }
    if (static_cast<size_t>(n) < kPacketSize) return bad_answer(server, "长度不足 48 字节");
    const int leap = reply[0] >> 6, version = (reply[0] >> 3) & 7, mode = reply[0] & 7, stratum = reply[1];
    if (read_u64(&reply[24]) != transmit) continue;  // not the answer to this request (stale or forged): keep waiting
    if (mode != 4) return bad_answer(server, "不是服务器模式（mode " + std::to_string(mode) + "）");
    if (version < 3 || version > 4) return bad_answer(server, "版本 " + std::to_string(version));
    if (stratum == 0) {
      const std::string code(reinterpret_cast<const char*>(&reply[12]), 4);
      return bad_answer(server, "服务器拒绝服务（kiss-o'-death " + code + "）");
    }
    if (stratum > 15) return bad_answer(server, "层级 " + std::to_string(stratum) + " 无效");
    if (leap == 3) return bad_answer(server, "服务器自身未同步（leap indicator 3）");
    const std::uint64_t t2_ntp = read_u64(&reply[32]), t3_ntp = read_u64(&reply[40]);
    if (t3_ntp == 0) return bad_answer(server, "发送时间戳为零");

    const std::int64_t t1_us = to_utc_us(t1_exact), t2_us = ntp_to_unix_us(t2_ntp), t3_us = ntp_to_unix_us(t3_ntp),
                       t4_us = to_utc_us(t4);
    TimeSample sample;
    sample.server = server.name();
    sample.offset_us = ((t2_us - t1_us) + (t3_us - t4_us)) / 2;
    sample.delay_us = std::max<std::int64_t>(0, (t4_us - t1_us) - (t3_us - t2_us));
    sample.stratum = stratum;
    if (stratum == 1) {
      for (int i = 12; i < 16 && reply[i]; ++i) sample.reference_id += static_cast<char>(reply[i]);
    } else {
      sample.reference_id = std::to_string(reply[12]) + "." + std::to_string(reply[13]) + "." + std::to_string(reply[14]) + "." +
                            std::to_string(reply[15]);
    }
    sample.local_receive = t4;
    sample.local_monotonic_ns = t4_mono;
    return sample;
  }
}

}  // namespace netsample
