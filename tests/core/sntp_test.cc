// The SNTP client against a real chronyd on 127.0.0.1, and against a UDP server that answers with
// crafted packets for the failures chronyd cannot be made to produce.
#include "netsample/core/sntp.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <functional>
#include <thread>

#include "testing.h"

namespace netsample {
namespace {

using namespace std::chrono;

TEST(Sntp, RealChronydAnswersWithSmallOffsetAndDelay) {
  testing::Chronyd chronyd;
  const SntpClient client;
  auto sample = client.query(*parse_ntp_server(chronyd.address(), "ntp"));
  ASSERT_TRUE(sample.ok()) << sample.error().describe();
  EXPECT_EQ(sample->server, chronyd.address());
  EXPECT_EQ(sample->stratum, 8);                  // "local stratum 8"
  EXPECT_LT(std::abs(sample->offset_us), 50'000);  // the same machine's clock
  EXPECT_GE(sample->delay_us, 0);
  EXPECT_LT(sample->delay_us, 100'000);
  EXPECT_LT(std::abs(to_utc_us(sample->trusted_receive()) - to_utc_us(SystemClock().now())), 1'000'000);
}

TEST(Sntp, SilentServerTimesOutNamingIt) {
  const int port = testing::free_port(SOCK_DGRAM);
  const NtpServer server{"127.0.0.1", static_cast<std::uint16_t>(port)};
  auto sample = SntpClient(milliseconds(300)).query(server);
  ASSERT_FALSE(sample.ok());
  EXPECT_EQ(sample.error().code, ErrorCode::network);
  EXPECT_EQ(sample.error().field, server.name());
}

// Answers one request with a packet built by `craft` from the request.
class CraftedServer {
 public:
  explicit CraftedServer(std::function<void(const std::array<unsigned char, 48>& request, std::array<unsigned char, 48>& reply)> craft) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof addr;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &length);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, craft] {
      std::array<unsigned char, 48> request{}, reply{};
      sockaddr_in peer{};
      socklen_t peer_length = sizeof peer;
      if (::recvfrom(fd_, request.data(), request.size(), 0, reinterpret_cast<sockaddr*>(&peer), &peer_length) != 48) return;
      craft(request, reply);
      ::sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&peer), peer_length);
    });
  }
  ~CraftedServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    if (thread_.joinable()) thread_.join();
  }
  NtpServer server() const { return {"127.0.0.1", static_cast<std::uint16_t>(port_)}; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

std::uint64_t ntp_now_plus(seconds shift) {
  const auto us = duration_cast<microseconds>(system_clock::now().time_since_epoch() + shift).count();
  const std::uint64_t secs = static_cast<std::uint64_t>(us / 1'000'000 + 2'208'988'800LL) & 0xFFFFFFFFu;
  return (secs << 32) | ((static_cast<std::uint64_t>(us % 1'000'000) << 32) / 1'000'000);
}

void put64(std::array<unsigned char, 48>& p, size_t at, std::uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[at + static_cast<size_t>(i)] = static_cast<unsigned char>(v & 0xFF);
}

// A well-formed server reply whose clock runs `shift` ahead.
void good_reply(const std::array<unsigned char, 48>& request, std::array<unsigned char, 48>& reply, seconds shift) {
  reply.fill(0);
  reply[0] = (0 << 6) | (4 << 3) | 4;
  reply[1] = 2;
  std::copy(request.begin() + 40, request.begin() + 48, reply.begin() + 24);  // originate = our transmit
  put64(reply, 32, ntp_now_plus(shift));
  put64(reply, 40, ntp_now_plus(shift));
}

TEST(Sntp, OffsetOfAServerAheadIsMeasured) {
  CraftedServer ahead([](const auto& request, auto& reply) { good_reply(request, reply, seconds(5)); });
  auto sample = SntpClient().query(ahead.server());
  ASSERT_TRUE(sample.ok()) << sample.error().describe();
  EXPECT_NEAR(static_cast<double>(sample->offset_us), 5e6, 50'000);
  EXPECT_EQ(sample->reference_id, "0.0.0.0");
}

TEST(Sntp, KissOfDeathIsRefused) {
  CraftedServer rate([](const auto& request, auto& reply) {
    good_reply(request, reply, seconds(0));
    reply[1] = 0;
    std::copy_n("RATE", 4, reply.begin() + 12);
  });
  auto sample = SntpClient().query(rate.server());
  ASSERT_FALSE(sample.ok());
  EXPECT_EQ(sample.error().code, ErrorCode::integrity);
  EXPECT_NE(sample.error().message.find("RATE"), std::string::npos);
}

TEST(Sntp, UnsynchronisedServerIsRefused) {
  CraftedServer alarm([](const auto& request, auto& reply) {
    good_reply(request, reply, seconds(0));
    reply[0] = static_cast<unsigned char>((3 << 6) | (4 << 3) | 4);
  });
  EXPECT_EQ(SntpClient().query(alarm.server()).error().code, ErrorCode::integrity);
}

TEST(Sntp, AnswerToAnotherRequestIsIgnored) {
  // A spoofed or stale packet whose originate is not our transmit timestamp is never taken as the time.
  CraftedServer spoof([](const auto& request, auto& reply) {
    good_reply(request, reply, seconds(3600));
    reply[31] ^= 0xFF;
  });
  auto sample = SntpClient(milliseconds(300)).query(spoof.server());
  ASSERT_FALSE(sample.ok());
  EXPECT_EQ(sample.error().code, ErrorCode::network);  // no valid answer arrived
}

TEST(Sntp, ClientModeReplyIsRefused) {
  CraftedServer echo([](const auto& request, auto& reply) {
    good_reply(request, reply, seconds(0));
    reply[0] = (4 << 3) | 3;
  });
  EXPECT_EQ(SntpClient().query(echo.server()).error().code, ErrorCode::integrity);
}

TEST(Sntp, ServerNamesParse) {
  EXPECT_EQ(parse_ntp_server("ntp.ntsc.ac.cn", "ntp")->port, 123);
  EXPECT_EQ(parse_ntp_server("127.0.0.1:11123", "ntp")->port, 11123);
  EXPECT_EQ(parse_ntp_server("[::1]:123", "ntp")->host, "::1");
  EXPECT_EQ(parse_ntp_server("[::1]:123", "ntp")->name(), "[::1]:123");
  EXPECT_FALSE(parse_ntp_server("host:0", "ntp").ok());
  EXPECT_FALSE(parse_ntp_server("host:99999", "ntp").ok());
  EXPECT_FALSE(parse_ntp_server(":123", "ntp").ok());
  EXPECT_EQ(parse_ntp_server("host:x", "--ntp").error().field, "--ntp");
}

}  // namespace
}  // namespace netsample
