// The HTTP client against real HTTP(S) servers on 127.0.0.1 (cpp-httplib), started and stopped per test.
#include "netsample/core/http.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <thread>

#include "testing.h"

namespace netsample {
namespace {

using namespace std::chrono_literals;

// A server on an ephemeral port. The socket listens once bind_to_any_port returns; start() also waits for
// the accept loop, because stop() before the loop has started would leave the loop running forever.
class LocalServer {
 public:
  explicit LocalServer(std::unique_ptr<httplib::Server> server = std::make_unique<httplib::Server>()) : server_(std::move(server)) {}
  httplib::Server& routes() { return *server_; }
  void start() {
    port_ = server_->bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!server_->is_running() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
    ASSERT_TRUE(server_->is_running());
  }
  ~LocalServer() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
  }
  std::string url(const std::string& path, const std::string& scheme = "http") const {
    return scheme + "://127.0.0.1:" + std::to_string(port_) + path;
  }
  int port() const { return port_; }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

struct RecordedSleeps {
  std::vector<std::chrono::milliseconds> waits;
  HttpClientOptions options(int attempts = 4) {
    HttpClientOptions o;
    o.retry.max_attempts = attempts;
    o.sleep = [this](std::chrono::milliseconds d) { waits.push_back(d); };
    return o;
  }
};

TEST(HttpClient, GetReturnsStatusBodyAndHeaders) {
  LocalServer server;
  server.routes().Get("/hello", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Case", "CQ-1");
    res.set_content("你好", "text/plain; charset=utf-8");
  });
  server.start();
  auto response = HttpClient().get(server.url("/hello"));
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "你好");
  EXPECT_EQ(response->header("x-case"), "CQ-1");
  EXPECT_EQ(response->attempts, 1);
}

TEST(HttpClient, IdempotentRequestIsRetriedWithGrowingBackoffUntilItSucceeds) {
  LocalServer server;
  std::atomic<int> calls{0};
  server.routes().Get("/flaky", [&](const httplib::Request&, httplib::Response& res) {
    if (++calls <= 2) res.status = 503;
    else res.set_content("ok", "text/plain");
  });
  server.start();
  RecordedSleeps sleeps;
  auto response = HttpClient(sleeps.options()).get(server.url("/flaky"));
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->attempts, 3);
  ASSERT_EQ(sleeps.waits.size(), 2u);
  // Equal jitter: attempt n waits between half and all of initial * 2^(n-1).
  EXPECT_GE(sleeps.waits[0], 125ms);
  EXPECT_LE(sleeps.waits[0], 250ms);
  EXPECT_GE(sleeps.waits[1], 250ms);
  EXPECT_LE(sleeps.waits[1], 500ms);
}

TEST(HttpClient, PostIsNotRetriedUnlessDeclaredIdempotent) {
  LocalServer server;
  std::atomic<int> calls{0};
  server.routes().Post("/notice", [&](const httplib::Request& req, httplib::Response& res) {
    ++calls;
    res.status = 503;
    res.set_content(req.body, "text/plain");
  });
  server.start();
  RecordedSleeps sleeps;
  HttpClient client(sleeps.options(3));
  HttpRequest post;
  post.method = "POST";
  post.url = server.url("/notice");
  post.headers = {{"Content-Type", "application/json"}};
  post.body = "{\"n\":1}";
  auto once = client.send(post);
  ASSERT_TRUE(once.ok());
  EXPECT_EQ(once->status, 503);
  EXPECT_EQ(once->body, "{\"n\":1}");
  EXPECT_EQ(calls.load(), 1);

  post.idempotent = true;  // e.g. it carries an idempotency key
  auto retried = client.send(post);
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(retried->attempts, 3);
  EXPECT_EQ(calls.load(), 4);
}

TEST(HttpClient, RetryAfterIsHonoured) {
  LocalServer server;
  std::atomic<int> calls{0};
  server.routes().Get("/busy", [&](const httplib::Request&, httplib::Response& res) {
    if (++calls == 1) {
      res.status = 429;
      res.set_header("Retry-After", "2");
    }
  });
  server.start();
  RecordedSleeps sleeps;
  auto response = HttpClient(sleeps.options()).get(server.url("/busy"));
  ASSERT_TRUE(response.ok());
  ASSERT_EQ(sleeps.waits.size(), 1u);
  EXPECT_EQ(sleeps.waits[0], 2000ms);
}

TEST(HttpClient, ClientErrorsAreNotRetried) {
  LocalServer server;
  std::atomic<int> calls{0};
  server.routes().Get("/missing", [&](const httplib::Request&, httplib::Response& res) {
    ++calls;
    res.status = 404;
  });
  server.start();
  RecordedSleeps sleeps;
  auto response = HttpClient(sleeps.options()).get(server.url("/missing"));
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(calls.load(), 1);
}

TEST(HttpClient, RefusedConnectionIsANetworkErrorNamingTheUrl) {
  int closed_port = 0;
  {
    LocalServer server;
    server.start();
    closed_port = server.port();
  }
  RecordedSleeps sleeps;
  const std::string url = "http://127.0.0.1:" + std::to_string(closed_port) + "/";
  auto response = HttpClient(sleeps.options(3)).get(url);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, ErrorCode::network);
  EXPECT_EQ(response.error().field, url);
  EXPECT_EQ(sleeps.waits.size(), 2u);
}

TEST(HttpClient, SlowServerTimesOut) {
  LocalServer server;
  server.routes().Get("/slow", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(1500ms);
    res.set_content("late", "text/plain");
  });
  server.start();
  RecordedSleeps sleeps;
  HttpRequest request;
  request.url = server.url("/slow");
  request.timeout = 200ms;
  auto response = HttpClient(sleeps.options(1)).send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, ErrorCode::network);
}

TEST(HttpClient, ProxyComesFromTheEnvironment) {
  LocalServer proxy;
  std::string seen_target;
  proxy.routes().Get(".*", [&](const httplib::Request& req, httplib::Response& res) {
    seen_target = req.target;
    res.set_content("via proxy", "text/plain");
  });
  proxy.start();
  ::setenv("http_proxy", proxy.url("").c_str(), 1);
  ::setenv("no_proxy", "", 1);
  auto response = HttpClient().get("http://shop.netsample.invalid/item/1");
  ::unsetenv("http_proxy");
  ::unsetenv("no_proxy");
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->body, "via proxy");
  EXPECT_EQ(seen_target, "http://shop.netsample.invalid/item/1");
}

TEST(HttpClient, TlsPeerIsVerified) {
  testing::TempDir dir;
  const std::string key = (dir / "key.pem").string(), cert = (dir / "cert.pem").string();
  const auto made = testing::run_process({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
                                          cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  LocalServer server(std::make_unique<httplib::SSLServer>(cert.c_str(), key.c_str()));
  server.routes().Get("/secure", [](const httplib::Request&, httplib::Response& res) { res.set_content("tls", "text/plain"); });
  server.start();

  auto untrusted = HttpClient().get(server.url("/secure", "https"));
  ASSERT_FALSE(untrusted.ok()) << "a self-signed peer must not be accepted";
  EXPECT_EQ(untrusted.error().code, ErrorCode::network);

  HttpClientOptions trusting;
  trusting.ca_file = cert;
  auto trusted = HttpClient(trusting).get(server.url("/secure", "https"));
  ASSERT_TRUE(trusted.ok()) << trusted.error().describe();
  EXPECT_EQ(trusted->body, "tls");
}

TEST(HttpClient, FormEncoding) {
  EXPECT_EQ(form_encode({{"customer", "A B"}, {"param", "{\"num\":\"中\"}"}}),
            "customer=A%20B&param=%7B%22num%22%3A%22%E4%B8%AD%22%7D");
}

}  // namespace
}  // namespace netsample
