// The capture session against real HTTP servers on 127.0.0.1 (cpp-httplib), every WARC it writes read back by
// npm's warcio (tests/browser/warc.mjs) with both digests recomputed there.
#include "netsample/crawler/crawler.h"

#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <regex>
#include <sstream>
#include <thread>

#include "netsample/core/file_io.h"
#include "netsample/core/sha256.h"
#include "netsample/core/tsa.h"
#include "netsample/zip/zip.h"
#include "testing.h"

namespace netsample::crawler {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

const std::string kFirstChunk = "<p>第一块</p>", kSecondChunk = "<p>second chunk</p>";

class Site {
 public:
  Site() {
    // Served as HTML, as some sites do: the WACZ's page list must still leave it out.
    server_.Get("/robots.txt", [](const httplib::Request&, httplib::Response& r) {
      r.set_content("User-agent: *\nDisallow: /private\nAllow: /private/open$\n", "text/html");
    });
    server_.Get("/page", [](const httplib::Request&, httplib::Response& r) {
      r.set_header("Set-Cookie", "session=abc; Path=/");
      r.set_content("<html><head><meta charset=\"utf-8\"><title>电热水壶</title></head><body>清泉</body></html>", "text/html; charset=utf-8");
    });
    server_.Get("/shouting", [](const httplib::Request&, httplib::Response& r) { r.set_content("<p>大写的类型</p>", "Text/HTML ; charset=utf-8"); });
    server_.Get("/cookie", [](const httplib::Request& q, httplib::Response& r) { r.set_content(q.get_header_value("Cookie"), "text/plain"); });
    server_.Get("/chunked", [](const httplib::Request&, httplib::Response& r) {
      r.set_chunked_content_provider("text/html", [](size_t offset, httplib::DataSink& sink) {
        if (offset == 0) sink.write(kFirstChunk.data(), kFirstChunk.size());
        else if (offset == kFirstChunk.size()) sink.write(kSecondChunk.data(), kSecondChunk.size());
        else sink.done();
        return true;
      });
    });
    server_.Get("/gzip", [this](const httplib::Request&, httplib::Response& r) {
      r.set_header("Content-Encoding", "gzip");
      r.set_content(gzip("<html>压缩的页面</html>"), "text/html");
    });
    server_.Get("/redirect", [](const httplib::Request&, httplib::Response& r) { r.set_redirect("/hop", 302); });
    server_.Get("/hop", [](const httplib::Request&, httplib::Response& r) { r.set_redirect("page", 301); });
    server_.Get("/loop-a", [](const httplib::Request&, httplib::Response& r) { r.set_redirect("/loop-b", 302); });
    server_.Get("/loop-b", [](const httplib::Request&, httplib::Response& r) { r.set_redirect("/loop-a", 302); });
    server_.Get("/big", [](const httplib::Request&, httplib::Response& r) { r.set_content(std::string(3 << 20, 'x'), "text/plain"); });
    // A 50 MB page, sent in 1 MiB chunks as a server streams it.
    server_.Get("/fifty", [](const httplib::Request&, httplib::Response& r) {
      r.set_content_provider(50'000'000, "text/html", [](size_t, size_t length, httplib::DataSink& sink) {
        static const std::string block(1 << 20, 'y');
        sink.write(block.data(), std::min(length, block.size()));
        return true;
      });
    });
    server_.Get("/slow", [](const httplib::Request&, httplib::Response& r) {
      r.set_chunked_content_provider("text/plain", [](size_t offset, httplib::DataSink& sink) {
        if (offset == 0) return sink.write("begun ", 6);
        std::this_thread::sleep_for(3s);
        sink.done();
        return true;
      });
    });
    server_.Get("/flaky", [this](const httplib::Request&, httplib::Response& r) {
      if (flaky_calls_++ == 0) {
        r.status = 503;
        r.set_header("Retry-After", "0");
        r.set_content("busy", "text/plain");
      } else {
        r.set_content("ok now", "text/plain");
      }
    });
    server_.Get("/private/secret", [](const httplib::Request&, httplib::Response& r) { r.set_content("never fetched", "text/plain"); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~Site() {
    server_.stop();
    thread_.join();
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  static std::string gzip(const std::string& text) {
    z_stream z{};
    deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&z, text.size()) + 32, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    z.avail_in = static_cast<uInt>(text.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_FINISH);
    out.resize(out.size() - z.avail_out);
    deflateEnd(&z);
    return out;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> flaky_calls_{0};
};

using testing::read_with_warcio;  // the records as warcio reads them, with both digests recomputed outside netsample

// A test's own server stops and its thread is joined however the test ends (an ASSERT that returns early
// included): a joinable std::thread destroyed would end the whole test program.
struct StopServer {
  httplib::Server& server;
  std::thread& thread;
  ~StopServer() { server.stop(), thread.join(); }
};

CaptureOptions fast() {
  CaptureOptions o;
  o.per_host_interval = 0ms;
  o.backoff = 10ms;
  return o;
}

class Crawl : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::warcio_installed()) << "npm ci --prefix tests/browser（setup.sh test 会安装）";
  }
  std::unique_ptr<CaptureSession> open(CaptureOptions options = fast()) {
    auto session = CaptureSession::open(dir_ / ("capture-" + std::to_string(++n_) + ".warc.gz"), std::move(options), {{"operator", "test"}});
    EXPECT_TRUE(session.ok()) << session.error().describe();
    return session.ok() ? std::move(session).value() : nullptr;
  }
  testing::TempDir dir_;
  int n_ = 0;
  Site site_;
};

TEST_F(Crawl, EveryExchangeIsKeptAsReceivedAndWarcioAgreesWithEveryDigest) {
  auto session = open();
  for (const char* path : {"/page", "/chunked", "/gzip", "/redirect"}) {
    auto c = session->capture(site_.url(path));
    ASSERT_TRUE(c.ok()) << c.error().describe();
    EXPECT_EQ(c->status, 200) << path << " " << c->error;
  }
  auto chunked = session->capture(site_.url("/chunked"));
  EXPECT_EQ(chunked->body, kFirstChunk + kSecondChunk) << "the payload for extraction is de-chunked";
  ASSERT_TRUE(session->close().ok());

  const json records = read_with_warcio(session->file());
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records[0]["type"], "warcinfo");
  EXPECT_NE(records[0]["text"].get<std::string>().find("robots: obey"), std::string::npos);
  int responses = 0, requests = 0, metadata = 0;
  bool chunked_seen = false, gzip_seen = false;
  for (const auto& r : records) {
    if (r["type"] != "warcinfo") {
      EXPECT_EQ(r["block_ok"], true) << r.dump();
      EXPECT_TRUE(std::regex_match(r["date"].get<std::string>(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"))) << r["date"];
    }
    if (r["type"] == "response") {
      ++responses;
      EXPECT_EQ(r["payload_ok"], true) << r.dump();
      EXPECT_EQ(r["ip"], "127.0.0.1");
      EXPECT_EQ(r["content_type"], "application/http;msgtype=response");
      if (r["uri"] == site_.url("/chunked")) {
        chunked_seen = true;
        EXPECT_EQ(r["payload_bytes"], kFirstChunk.size() + kSecondChunk.size()) << "the payload digest is over the de-chunked body";
      }
      if (r["uri"] == site_.url("/gzip")) {
        gzip_seen = true;
        EXPECT_EQ(r["payload_bytes"], Site::gzip("<html>压缩的页面</html>").size()) << "the content encoding is kept";
      }
    }
    if (r["type"] == "request") {
      ++requests;
      EXPECT_TRUE(r["concurrent_to"].is_string());
      EXPECT_TRUE(r["status"].get<std::string>().starts_with("GET /")) << r["status"];
    }
    if (r["type"] == "metadata") {
      ++metadata;
      const json meta = json::parse(r["text"].get<std::string>());
      EXPECT_TRUE(meta.contains("timings_ms"));
      EXPECT_EQ(meta["ip"], "127.0.0.1");
    }
  }
  EXPECT_TRUE(chunked_seen && gzip_seen);
  // robots.txt once, four pages, the two redirect hops, the second /chunked.
  EXPECT_EQ(responses, 1 + 4 + 2 + 1);
  EXPECT_EQ(requests, responses);
  EXPECT_EQ(metadata, responses);
  EXPECT_EQ(records.size(), session->records().size()) << "every record written is listed for the audit chain";
}

TEST_F(Crawl, RedirectsAreFollowedHopByHopAndLoopsEnd) {
  auto session = open();
  auto c = session->capture(site_.url("/redirect"));
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->hops.size(), 3u);
  EXPECT_EQ(c->hops[0].status, 302);
  EXPECT_EQ(c->hops[1].status, 301);
  EXPECT_EQ(c->final_url, site_.url("/page"));
  EXPECT_NE(c->body.find("电热水壶"), std::string::npos);

  auto loop = session->capture(site_.url("/loop-a"));
  ASSERT_TRUE(loop.ok());
  EXPECT_NE(loop->error.find("重定向循环"), std::string::npos) << loop->error;
  ASSERT_TRUE(session->close().ok());
  const json records = read_with_warcio(session->file());
  int metadata_with_origin = 0;
  for (const auto& r : records)
    if (r["type"] == "metadata" && json::parse(r["text"].get<std::string>()).contains("redirected_from")) ++metadata_with_origin;
  EXPECT_GE(metadata_with_origin, 2) << "each hop says where it came from";
}

TEST_F(Crawl, RobotsTxtIsHonouredUnlessOverriddenWithAReasonKeptInEveryCapture) {
  auto session = open();
  auto refused = session->capture(site_.url("/private/secret"));
  ASSERT_TRUE(refused.ok());
  EXPECT_TRUE(refused->refused_by_robots);
  EXPECT_TRUE(refused->hops.empty()) << "nothing was requested";

  CaptureOptions ignoring = fast();
  ignoring.honour_robots = false;
  EXPECT_FALSE(CaptureSession::open(dir_ / "no-reason.warc.gz", ignoring).ok()) << "a reason is required";
  ignoring.robots_override_reason = "组织单位书面同意（测试）";
  auto second = open(ignoring);
  auto fetched = second->capture(site_.url("/private/secret"));
  ASSERT_TRUE(fetched.ok());
  EXPECT_EQ(fetched->body, "never fetched");
  ASSERT_TRUE(second->close().ok());
  bool reason_kept = false;
  for (const auto& r : read_with_warcio(second->file()))
    if (r["type"] == "metadata") reason_kept = json::parse(r["text"].get<std::string>())["robots"]["reason"] == "组织单位书面同意（测试）";
  EXPECT_TRUE(reason_kept);

  EXPECT_TRUE(robots_allows("User-agent: *\nDisallow: /private\nAllow: /private/open$\n", "x", "/private/open"));
  EXPECT_FALSE(robots_allows("User-agent: *\nDisallow: /private\nAllow: /private/open$\n", "x", "/private/open/more"));
  EXPECT_FALSE(robots_allows("User-agent: netsample-capture\nDisallow: /\n\nUser-agent: *\nAllow: /\n", "netsample-capture/1.0", "/a"));
  EXPECT_TRUE(robots_allows("User-agent: other\nDisallow: /\n", "netsample-capture/1.0", "/a"));
  EXPECT_FALSE(robots_allows("User-agent: *\nDisallow: /*.pdf$\n", "x", "/docs/a.pdf"));
  EXPECT_TRUE(robots_allows("User-agent: *\nDisallow: /*.pdf$\n", "x", "/docs/a.pdf?x=1"));
}

// RFC 9309 2.3.1.2: a robots.txt behind redirects is followed for five hops; more is "unreachable" (all
// disallowed). Each hop is kept in the WARC like any other.
TEST_F(Crawl, RobotsTxtBehindARedirectIsFollowedUpToFiveHops) {
  httplib::Server other;
  std::atomic<bool> endless{false};
  other.Get("/robots.txt", [&](const httplib::Request& q, httplib::Response& r) {
    if (!endless) return r.set_redirect("/policy/robots.txt", 301);
    const int n = q.has_param("n") ? std::stoi(q.get_param_value("n")) : 0;
    r.set_redirect("/robots.txt?n=" + std::to_string(n + 1), 302);
  });
  other.Get("/policy/robots.txt", [](const httplib::Request&, httplib::Response& r) { r.set_content("User-agent: *\nDisallow: /private\n", "text/plain"); });
  other.Get("/open", [](const httplib::Request&, httplib::Response& r) { r.set_content("open", "text/plain"); });
  other.Get("/private", [](const httplib::Request&, httplib::Response& r) { r.set_content("never fetched", "text/plain"); });
  const int port = other.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { other.listen_after_bind(); });
  const StopServer stop{other, thread};  // after the sessions below have gone: their connections closed, it stops at once
  while (!other.is_running()) std::this_thread::sleep_for(1ms);
  const std::string origin = "http://127.0.0.1:" + std::to_string(port);

  auto session = open();
  auto refused = session->capture(origin + "/private");
  ASSERT_TRUE(refused.ok());
  EXPECT_TRUE(refused->refused_by_robots) << "the rules behind the redirect apply";
  EXPECT_NE(refused->error.find("/private"), std::string::npos) << refused->error;
  auto open_page = session->capture(origin + "/open");
  ASSERT_TRUE(open_page.ok());
  EXPECT_EQ(open_page->body, "open");
  ASSERT_TRUE(session->close().ok());
  int robots_responses = 0;
  for (const auto& r : read_with_warcio(session->file()))
    if (r["type"] == "response" && r["uri"].get<std::string>().find("robots.txt") != std::string::npos) ++robots_responses;
  EXPECT_EQ(robots_responses, 2) << "the redirect and the file";

  // Six redirects and more: all disallowed, said so.
  endless = true;
  auto fresh = open();
  auto refused_all = fresh->capture(origin + "/open");
  ASSERT_TRUE(refused_all.ok());
  EXPECT_TRUE(refused_all->refused_by_robots);
  EXPECT_NE(refused_all->error.find("重定向超过 5 次"), std::string::npos) << refused_all->error;
}

// HTTPS: a peer the trust store does not know is a clear failure, kept as such (no request went out); a known
// one leaves its protocol, cipher and certificate chain in the exchange's metadata.
TEST_F(Crawl, TlsFailureIsSaidAndATrustedPeersChainIsKept) {
  const std::string key = (dir_ / "key.pem").string(), cert = (dir_ / "cert.pem").string();
  const auto made = testing::run_process({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
                                          cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  httplib::SSLServer tls(cert.c_str(), key.c_str());
  tls.Get("/robots.txt", [](const httplib::Request&, httplib::Response& r) { r.status = 404; });
  tls.Get("/secure", [](const httplib::Request&, httplib::Response& r) { r.set_content("over tls", "text/plain"); });
  ASSERT_TRUE(tls.is_valid());
  const int port = tls.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { tls.listen_after_bind(); });
  const StopServer stop{tls, thread};
  while (!tls.is_running()) std::this_thread::sleep_for(1ms);
  const std::string url = "https://127.0.0.1:" + std::to_string(port) + "/secure";

  CaptureOptions untrusting = fast();
  untrusting.attempts = 1;
  auto refused = open(untrusting);
  auto failed = refused->capture(url);
  ASSERT_TRUE(failed.ok()) << "a page that could not be fetched is an outcome, not an error";
  EXPECT_EQ(failed->status, 0);
  EXPECT_NE(failed->error.find("certificate"), std::string::npos) << failed->error;
  ASSERT_TRUE(refused->close().ok());
  bool said = false;
  for (const auto& r : read_with_warcio(refused->file()))
    if (r["type"] == "metadata") said |= json::parse(r["text"].get<std::string>()).value("error", "").find("certificate") != std::string::npos;
  EXPECT_TRUE(said) << "the failure is in the WARC";

  CaptureOptions trusting = fast();
  trusting.ca_file = cert;
  auto session = open(trusting);
  auto fetched = session->capture(url);
  ASSERT_TRUE(fetched.ok());
  EXPECT_EQ(fetched->status, 200) << fetched->error;
  EXPECT_EQ(fetched->body, "over tls");
  ASSERT_TRUE(session->close().ok());
  json tls_meta = json::object();
  for (const auto& r : read_with_warcio(session->file()))
    if (r["type"] == "metadata" && r["uri"] == url) tls_meta = json::parse(r["text"].get<std::string>()).value("tls", json::object());
  EXPECT_TRUE(tls_meta.value("protocol", "").starts_with("TLSv1.")) << tls_meta;
  EXPECT_FALSE(tls_meta.value("cipher", "").empty()) << tls_meta;
  const std::string chain = tls_meta.value("certificate_chain_pem", json::array()).dump();
  EXPECT_NE(chain.find("-----BEGIN CERTIFICATE-----"), std::string::npos) << tls_meta;
  EXPECT_EQ(tls_meta["connection_reused"], true) << "the page went over robots.txt's connection: its handshake is repeated";
  refused.reset(), session.reset();
}

// A service fetching for its users refuses its own network: the address a connection would reach is asked, with
// the URL's host, before the connection is opened.
TEST_F(Crawl, AnAddressRefusedByTheSessionGetsNothingSentAndSaysWhy) {
  EXPECT_TRUE(is_internal_address("127.0.0.1"));
  EXPECT_TRUE(is_internal_address("10.1.2.3"));
  EXPECT_TRUE(is_internal_address("172.20.0.1"));
  EXPECT_TRUE(is_internal_address("192.168.1.1"));
  EXPECT_TRUE(is_internal_address("169.254.169.254")) << "cloud metadata";
  EXPECT_TRUE(is_internal_address("::1"));
  EXPECT_TRUE(is_internal_address("fe80::1"));
  EXPECT_TRUE(is_internal_address("::ffff:10.0.0.1"));
  for (const char* inside : {"0.1.2.3", "224.0.0.251", "239.255.255.250", "240.0.0.1", "255.255.255.255", "198.18.0.1", "198.19.255.254",
                             "64:ff9b::a00:1", "64:ff9b::7f00:1", "2002:a00:1::", "2002:c0a8:101::1", "::10.0.0.1", "::127.0.0.1",
                             "fec0::1", "feff::1", "ff02::1", "ff05::1:3", "not an address"})
    EXPECT_TRUE(is_internal_address(inside)) << inside;
  EXPECT_FALSE(is_internal_address("172.32.0.1"));
  EXPECT_FALSE(is_internal_address("203.119.1.1"));
  EXPECT_FALSE(is_internal_address("198.20.0.1"));
  EXPECT_FALSE(is_internal_address("223.255.255.255"));
  EXPECT_FALSE(is_internal_address("2400:3200::1"));
  EXPECT_FALSE(is_internal_address("64:ff9b::cb77:101")) << "NAT64 of 203.119.1.1";
  EXPECT_FALSE(is_internal_address("2002:cb77:101::1")) << "6to4 of 203.119.1.1";
  EXPECT_TRUE(is_loopback_address("127.0.0.2"));
  EXPECT_TRUE(is_loopback_address("::1"));
  EXPECT_FALSE(is_loopback_address("10.0.0.1"));

  // A listener that only hears connections: none may arrive, not even a TCP handshake (a TLS ClientHello would
  // name the host to whatever listens there).
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  const std::unique_ptr<int, void (*)(int*)> closing(new int(listener), [](int* fd) { ::close(*fd), delete fd; });
  sockaddr_in bound{};
  bound.sin_family = AF_INET;
  bound.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof bound;
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&bound), sizeof bound), 0);
  ASSERT_EQ(::listen(listener, 8), 0);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&bound), &length), 0);
  const std::string silent = "https://127.0.0.1:" + std::to_string(ntohs(bound.sin_port));

  CaptureOptions o = fast();
  o.attempts = 3;
  o.total_timeout = 2s;
  std::vector<std::string> asked;
  o.refuse_address = [&](const std::string& host, const std::string& ip) {
    asked.push_back(host + " " + ip);
    return is_internal_address(ip) ? "内部地址 " + ip : std::string();
  };
  auto session = open(o);
  auto refused = session->capture(silent + "/page");
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->status, 0);
  EXPECT_TRUE(refused->refused_address);
  EXPECT_FALSE(refused->refused_by_robots) << "robots.txt had no say: the address was refused";
  EXPECT_NE(refused->error.find("内部地址 127.0.0.1"), std::string::npos) << refused->error;
  EXPECT_EQ(asked, std::vector<std::string>{"127.0.0.1 127.0.0.1"}) << "asked with the host; a refusal is not retried";
  pollfd heard{listener, POLLIN, 0};
  EXPECT_EQ(::poll(&heard, 1, 0), 0) << "no connection was opened";

  // Without robots.txt the page itself is the refused exchange, said the same way.
  CaptureOptions ignoring = o;
  ignoring.honour_robots = false;
  ignoring.robots_override_reason = "测试";
  auto second = open(ignoring);
  auto page = second->capture(site_.url("/page"));
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->refused_address);
  ASSERT_EQ(page->hops.size(), 1u);
  EXPECT_EQ(page->hops[0].error, "内部地址 127.0.0.1");
  ASSERT_TRUE(session->close().ok());
  bool said = false;
  for (const auto& r : read_with_warcio(session->file())) {
    EXPECT_NE(r["type"], "response") << "nothing was answered because nothing was asked";
    EXPECT_NE(r["type"], "request") << "nothing was sent";
    if (r["type"] == "metadata") said |= json::parse(r["text"].get<std::string>()).value("error", "").find("内部地址 127.0.0.1") != std::string::npos;
  }
  EXPECT_TRUE(said) << "the refusal is the exchange's error in the WARC";

  // A proxy from the environment is not used where addresses are judged: libcurl would connect only to it.
  ::setenv("http_proxy", "http://127.0.0.1:1", 1);  // nothing listens there
  CaptureOptions judging = fast();
  judging.attempts = 1;
  judging.refuse_address = [](const std::string&, const std::string&) { return std::string(); };
  auto third = open(judging);
  auto direct = third->capture(site_.url("/page"));
  ::unsetenv("http_proxy");
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(direct->status, 200) << direct->error;
}

// warc::index_records reads a .warc.gz member by member (the WACZ's index): a file cut inside a member is refused
// even where that member had given no bytes yet, and a response whose head never ended still has its type read.
TEST_F(Crawl, TheWarcIndexRefusesACutFileAndReadsAResponseHeadThatNeverEnded) {
  auto session = open();
  ASSERT_TRUE(session->capture(site_.url("/page")).ok());
  ASSERT_TRUE(session->close().ok());
  const auto index = warc::index_records(session->file());
  ASSERT_TRUE(index.ok()) << index.error().describe();
  ASSERT_EQ(index->size(), session->records().size());
  std::string page_mime;
  for (const auto& e : *index)
    if (e.type == "response" && e.uri == site_.url("/page")) page_mime = e.mime;
  EXPECT_EQ(page_mime, "text/html; charset=utf-8");

  // Five bytes into the last member: inside its gzip header, which inflates to nothing yet.
  const std::string bytes = read_file(session->file()).value();
  testing::write_text(dir_ / "cut.warc.gz", bytes.substr(0, index->back().offset + 5));
  const auto cut = warc::index_records(dir_ / "cut.warc.gz");
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.error().message.find("中间结束"), std::string::npos) << cut.error().describe();

  auto writer = warc::Writer::create(dir_ / "unended.warc.gz", {{"software", "test"}}, SystemClock().now());
  ASSERT_TRUE(writer.ok());
  warc::Record response;
  response.type = "response";
  response.target_uri = "http://example.com/";
  response.content_type = "application/http;msgtype=response";
  response.block = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n";  // the connection dropped inside the head
  response.date = SystemClock().now();
  ASSERT_TRUE(writer->write(response).ok());
  ASSERT_TRUE(writer->close().ok());
  const auto unended = warc::index_records(dir_ / "unended.warc.gz");
  ASSERT_TRUE(unended.ok()) << unended.error().describe();
  EXPECT_EQ(unended->back().mime, "text/html");
}

TEST_F(Crawl, TooLargeTooSlowAndTransientFailuresHaveClearOutcomesAndKeepWhatCame) {
  CaptureOptions o = fast();
  o.max_bytes = 1 << 20;
  o.total_timeout = 1500ms;
  auto session = open(o);
  auto big = session->capture(site_.url("/big"));
  ASSERT_TRUE(big.ok());
  ASSERT_EQ(big->hops.size(), 1u);
  EXPECT_EQ(big->hops[0].truncated, "length");
  EXPECT_NE(big->error.find("字节"), std::string::npos) << big->error;

  // A 50 MB page under the default limit (20 MiB): kept up to the limit, marked truncated, said in words.
  auto defaults = open();
  auto fifty = defaults->capture(site_.url("/fifty"));
  ASSERT_TRUE(fifty.ok());
  ASSERT_EQ(fifty->hops.size(), 1u);
  EXPECT_EQ(fifty->hops[0].truncated, "length");
  EXPECT_EQ(fifty->body.size(), CaptureOptions{}.max_bytes);
  ASSERT_TRUE(defaults->close().ok());
  EXPECT_LT(fs::file_size(defaults->file()), 25u << 20) << "what came, not more";

  auto slow = session->capture(site_.url("/slow"));
  ASSERT_TRUE(slow.ok());
  ASSERT_FALSE(slow->hops.empty());
  EXPECT_EQ(slow->hops.back().truncated, "time") << slow->error;

  auto flaky = session->capture(site_.url("/flaky"));
  ASSERT_TRUE(flaky.ok());
  EXPECT_EQ(flaky->status, 200) << "the 503 was retried";
  EXPECT_EQ(flaky->body, "ok now");

  auto nobody = session->capture("http://127.0.0.1:1/nothing");
  ASSERT_TRUE(nobody.ok());
  EXPECT_FALSE(nobody->error.empty());
  EXPECT_FALSE(session->capture("ftp://127.0.0.1/x").ok()) << "only http and https";
  ASSERT_TRUE(session->close().ok());

  int truncated = 0;
  for (const auto& r : read_with_warcio(session->file())) {
    if (r["type"] != "warcinfo") {
      EXPECT_EQ(r["block_ok"], true) << r.dump();
    }
    if (r["truncated"].is_string()) ++truncated;
  }
  EXPECT_EQ(truncated, 2) << "what came of the big and the slow page is kept, marked";
}

TEST_F(Crawl, CookiesStayWithinTheirCaptureSession) {
  auto first = open();
  ASSERT_TRUE(first->capture(site_.url("/page")).ok());
  EXPECT_EQ(first->capture(site_.url("/cookie"))->body, "session=abc");
  auto second = open();
  EXPECT_EQ(second->capture(site_.url("/cookie"))->body, "");
}

// The command line: the page preserved for a case, each record's digest in the case's audit chain, the WARC stored
// as the case's evidence; the audit chain still verifies.
TEST_F(Crawl, CrawlForACaseKeepsTheWarcAsEvidenceWithEveryRecordInTheAuditChain) {
  const fs::path data = dir_ / "data";
  auto netsample = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {NETSAMPLE_BIN, "--data", data.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::run_process(argv);
  };
  fs::create_directories(data);
  testing::write_text(dir_ / "roster.json", testing::sample_roster().dump());
  testing::write_text(dir_ / "case.json", testing::sample_case("CQ-C1").dump());
  ASSERT_EQ(netsample({"roster", "add", "--file", (dir_ / "roster.json").string()}).exit_code, 0);
  ASSERT_EQ(netsample({"case", "create", "--file", (dir_ / "case.json").string()}).exit_code, 0);

  // With trusted time: a real chronyd for the network time check, OpenSSL's TSA for the stamp.
  testing::Chronyd chronyd;
  testing::TestTsa tsa;
  const auto crawled = netsample({"crawl", site_.url("/redirect"), "--also", site_.url("/shouting"), "--case", "CQ-C1", "--ntp", chronyd.address(),
                                  "--tsa", tsa.url(), "--json"});
  ASSERT_EQ(crawled.exit_code, 0) << crawled.out << crawled.err;
  const json out = json::parse(crawled.out);
  EXPECT_EQ(out["status"], 200);
  EXPECT_EQ(out["final_url"], site_.url("/page"));
  const json records = read_with_warcio(out["warc"].get<std::string>());
  EXPECT_EQ(records.size(), out["records"].get<size_t>());
  // Every metadata record carries its exchange's trusted time and where it came from; warcinfo names the check.
  int timed = 0;
  for (const auto& r : records) {
    if (r["type"] == "metadata") {
      const json meta = json::parse(r["text"].get<std::string>());
      timed += meta.contains("trusted_time") && meta["trusted_time"]["server"] == chronyd.address();
    }
    if (r["type"] == "warcinfo") {
      EXPECT_NE(r["text"].get<std::string>().find("time-check: SNTP " + chronyd.address()), std::string::npos) << r["text"];
    }
  }
  EXPECT_GE(timed, 3) << "robots.txt and both hops";
  EXPECT_EQ(out["time_check"]["server"], chronyd.address());
  EXPECT_TRUE(out["time_problems"].empty()) << out["time_problems"];
  // The closed WARC's stamp verifies against the TSA's CA and the file's hash, and is the case's evidence.
  ASSERT_EQ(out["timestamps"].size(), 1u);
  const auto token = read_file(out["timestamps"][0]["file"].get<std::string>());
  ASSERT_TRUE(token.ok());
  const auto digest = sha256_file(out["warc"].get<std::string>()).value();
  EXPECT_EQ(to_hex(digest), out["sha256"]);
  EXPECT_TRUE(verify_timestamp(*token, digest, tsa.ca_file()).ok());

  const json evidence = json::parse(netsample({"evidence", "list", "--case", "CQ-C1", "--json"}).out);
  bool stored = false;
  bool token_stored = false;
  for (const auto& e : evidence) {
    stored |= e.value("kind", "") == "web_capture" && e.value("sha256", "") == out["evidence"]["sha256"];
    token_stored |= e.value("kind", "") == "timestamp_token";
  }
  EXPECT_TRUE(stored) << evidence.dump();
  EXPECT_TRUE(token_stored) << evidence.dump();
  const auto log = netsample({"audit", "log", "--case", "CQ-C1", "--json"});
  size_t chained = 0, stamped = 0;
  const json rows = json::parse(log.out);
  for (const auto& row : rows) {
    chained += row.value("action", "") == "capture.record";
    stamped += row.value("action", "") == "capture.stamp";
  }
  EXPECT_EQ(chained, records.size()) << "every record, warcinfo included";
  EXPECT_EQ(stamped, 1u);
  EXPECT_EQ(netsample({"audit", "verify"}).exit_code, 0);

  // The export bundle carries the captures as a WACZ 1.1.1: every file's hash in datapackage.json, a CDXJ line
  // per record whose offset and length are its gzip member in the stored WARC, the page in pages.jsonl; the
  // bundle still verifies offline.
  const fs::path bundle = dir_ / "CQ-C1.zip";
  ASSERT_EQ(netsample({"export", "CQ-C1", "--out", bundle.string()}).exit_code, 0);
  auto outer = zip::ZipReader::open(bundle).value();
  ASSERT_TRUE(outer.contains("web/pages.wacz"));
  ASSERT_TRUE(outer.extract("web/pages.wacz", dir_ / "pages.wacz").ok());
  auto wacz = zip::ZipReader::open(dir_ / "pages.wacz").value();
  const json package = json::parse(wacz.read("datapackage.json").value());
  EXPECT_EQ(package["wacz_version"], "1.1.1");
  EXPECT_EQ(package["mainPageURL"], site_.url("/page"));
  for (const auto& resource : package["resources"]) {
    const std::string path = resource["path"];
    EXPECT_EQ("sha256:" + to_hex(wacz.sha256(path).value()), resource["hash"]) << path;
  }
  const json package_digest = json::parse(wacz.read("datapackage-digest.json").value());
  EXPECT_EQ(package_digest["hash"], "sha256:" + sha256_hex(wacz.read("datapackage.json").value()));
  std::string warc_name;
  for (const auto& e : wacz.entries())
    if (e.name.starts_with("archive/")) warc_name = e.name;
  ASSERT_FALSE(warc_name.empty());
  ASSERT_TRUE(wacz.extract(warc_name, dir_ / "in-wacz.warc.gz").ok());
  EXPECT_EQ(read_with_warcio(dir_ / "in-wacz.warc.gz").size(), records.size()) << "the WARC as captured";
  const std::string warc_bytes = read_file(dir_ / "in-wacz.warc.gz").value();
  const std::string index = wacz.read("indexes/index.cdxj").value();
  int lines = 0;
  std::istringstream index_lines(index);
  for (std::string line; std::getline(index_lines, line); ++lines) {
    const json fields = json::parse(line.substr(line.find('{')));
    if (fields["url"] == site_.url("/shouting")) {
      EXPECT_EQ(fields["mime"], "text/html") << "a media type as compared: lower case, trimmed";
    }
    const std::string member = warc_bytes.substr(std::stoull(fields["offset"].get<std::string>()), std::stoull(fields["length"].get<std::string>()));
    std::string record(1 << 20, '\0');
    uLongf size = record.size();
    z_stream z{};
    inflateInit2(&z, 15 + 16);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(member.data()));
    z.avail_in = static_cast<uInt>(member.size());
    z.next_out = reinterpret_cast<Bytef*>(record.data());
    z.avail_out = static_cast<uInt>(size);
    EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END) << line;
    record.resize(z.total_out);
    inflateEnd(&z);
    EXPECT_TRUE(record.starts_with("WARC/1.1")) << line;
    EXPECT_NE(record.find("WARC-Target-URI: " + fields["url"].get<std::string>()), std::string::npos) << line;
  }
  EXPECT_EQ(lines, 5) << "robots.txt, the three hops' responses and the further page: " << index;
  EXPECT_NE(index.find("1,0,0,127:"), std::string::npos) << "SURT keys, the host's labels reversed as replay tools key them: " << index;
  const std::string pages = wacz.read("pages/pages.jsonl").value();
  EXPECT_NE(pages.find(site_.url("/page")), std::string::npos);
  EXPECT_NE(pages.find(site_.url("/shouting")), std::string::npos) << "Text/HTML is HTML: " << pages;
  EXPECT_EQ(pages.find("robots.txt"), std::string::npos) << "robots.txt is no page, whatever its type: " << pages;
  EXPECT_EQ(netsample({"verify", bundle.string()}).exit_code, 0);
  // An export that fails at its last step (the bundle's name taken by a directory) leaves nothing half-made.
  fs::create_directories(dir_ / "taken.zip");
  EXPECT_NE(netsample({"export", "CQ-C1", "--out", (dir_ / "taken.zip").string()}).exit_code, 0);
  for (const auto& e : fs::directory_iterator(dir_.path())) EXPECT_FALSE(e.path().filename().string().starts_with("taken.zip.")) << e.path();

  // Refused by robots.txt: preserved (robots.txt itself), not fetched, and the exit code says so. Without NTP or
  // TSA the capture says it has neither.
  const auto refused = netsample({"crawl", site_.url("/private/secret")});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("robots.txt"), std::string::npos) << refused.err;
  EXPECT_NE(refused.out.find("未经网络校时"), std::string::npos) << refused.out;
  EXPECT_NE(refused.out.find("没有可信时间戳"), std::string::npos) << refused.out;
  // Not honouring robots.txt without a reason: refused before anything is fetched, naming the option to give.
  for (const std::vector<std::string>& command : {std::vector<std::string>{"crawl", site_.url("/private/secret"), "--ignore-robots"},
                                                  std::vector<std::string>{"search", "电热水壶", "--platform", "demo-shop", "--base", site_.url("/"), "--ignore-robots"}}) {
    const auto no_reason = netsample(command);
    EXPECT_NE(no_reason.exit_code, 0) << command[0];
    EXPECT_NE(no_reason.err.find("--robots-reason"), std::string::npos) << no_reason.err;
    EXPECT_EQ(no_reason.err.find("robots_override_reason"), std::string::npos) << "no internal name: " << no_reason.err;
  }
}

}  // namespace
}  // namespace netsample::crawler
