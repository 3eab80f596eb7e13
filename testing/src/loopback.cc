#include "netsample/testing/loopback.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <httplib.h>

#include "netsample/core/file_io.h"
#include "netsample/core/http.h"
#include "netsample/core/sha256.h"
#include "netsample/core/sntp.h"
#include "netsample/unboxing/tracking.h"
#include "log_text.h"

namespace netsample::loopback {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

std::string log_text(const fs::path& log, std::size_t last_bytes) {
  auto text = read_file(log);
  if (!text.ok()) return {};
  return text->size() > last_bytes ? text->substr(text->size() - last_bytes) : *text;
}

namespace {

Status write_text(const fs::path& file, const std::string& text) { return write_file_atomic(file, text); }

// openssl prints progress dots before the message that matters: keep the last line.
std::string last_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  const auto at = text.rfind('\n');
  return at == std::string::npos ? text : text.substr(at + 1);
}

// Binds `http` to a free port on 127.0.0.1 and serves it on `thread`; the port once it is accepting.
Result<int> serve_on_loopback(httplib::Server& http, std::thread& thread, const std::string& what) {
  const int port = http.bind_to_any_port("127.0.0.1");
  if (port <= 0) return make_error(ErrorCode::network, what, what + "无法监听 127.0.0.1");
  thread = std::thread([&http] { http.listen_after_bind(); });
  for (int i = 0; i < 10'000 && !http.is_running(); ++i) std::this_thread::sleep_for(milliseconds(1));
  if (!http.is_running()) return make_error(ErrorCode::network, what, what + "没有启动");
  return port;
}

}  // namespace

Result<int> free_loopback_port(int socket_type) {
  UniqueFd fd(::socket(AF_INET, socket_type | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof addr;
  if (fd.get() < 0 || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &length) != 0)
    return make_error(ErrorCode::network, "port", "127.0.0.1 上没有空闲端口");
  return static_cast<int>(ntohs(addr.sin_port));
}

Status wait_until_serving(const std::string& base_url, const fs::path& log) {
  HttpClientOptions options;
  options.retry.max_attempts = 1;
  const HttpClient http(options);
  for (int i = 0; i < 300; ++i) {
    auto health = http.get(base_url + "/healthz");
    if (health.ok() && health->status == 200) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return make_error(ErrorCode::network, base_url, "服务 30 秒内没有应答：" + log_text(log, 2000));
}

Result<std::unique_ptr<VirtualDisplay>> VirtualDisplay::start(const fs::path& work_dir, int width, int height, int number_wanted) {
  // -displayfd: Xvfb picks a free display and writes its number when it is ready for clients.
  int ready[2];
  if (::pipe(ready) != 0) return make_error(ErrorCode::io, "xvfb", "pipe failed");
  std::unique_ptr<VirtualDisplay> display(new VirtualDisplay());
  const fs::path log = work_dir / "xvfb.log";
  std::vector<std::string> argv = {"Xvfb", "-displayfd", std::to_string(ready[1]), "-screen", "0",
                                   std::to_string(width) + "x" + std::to_string(height) + "x24", "-nolisten", "tcp", "-noreset"};
  if (number_wanted >= 0) argv.insert(argv.begin() + 1, ":" + std::to_string(number_wanted));
  display->server_ = std::make_unique<ChildProcess>(argv, log);
  ::close(ready[1]);
  std::string number;
  pollfd p{ready[0], POLLIN, 0};
  char c;
  while (::poll(&p, 1, 10000) > 0 && ::read(ready[0], &c, 1) == 1 && c != '\n') number += c;
  ::close(ready[0]);
  if (number.empty())
    return make_error(ErrorCode::not_found, "xvfb", "Xvfb 没有启动（需要 Debian 软件包 xvfb）：" + log_text(log));
  display->number_ = std::stoi(number);
  return display;
}

Result<std::unique_ptr<TimeServer>> TimeServer::start(const fs::path& work_dir) {
  std::unique_ptr<TimeServer> server(new TimeServer());
  const fs::path conf = work_dir / "chrony.conf", log = work_dir / "chronyd.log";
  for (int attempt = 0; attempt < 5 && server->pid_ < 0; ++attempt) {
    NETSAMPLE_ASSIGN(server->port_, free_loopback_port(SOCK_DGRAM));
    // Its own local clock at stratum 8, on loopback only; -x: it never adjusts this machine's clock.
    NETSAMPLE_TRY(write_text(conf, "port " + std::to_string(server->port_) + "\nbindaddress 127.0.0.1\nlocal stratum 8\nallow 127.0.0.1\n"
                                   "cmdport 0\npidfile " + (work_dir / "chronyd.pid").string() + "\n"));
    const pid_t pid = ::fork();
    if (pid == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::execl("/usr/sbin/chronyd", "chronyd", "-d", "-x", "-u", "root", "-f", conf.c_str(), nullptr);
      ::_exit(127);
    }
    // Ready when it answers. Bounded by time, not tries: before chronyd binds, a query fails at once
    // (ICMP port unreachable); a port taken meanwhile makes chronyd exit, and we try another.
    const SntpClient client(milliseconds(200));
    const NtpServer address{"127.0.0.1", static_cast<std::uint16_t>(server->port_)};
    const auto deadline = steady_clock::now() + std::chrono::seconds(10);
    while (steady_clock::now() < deadline) {
      if (client.query(address).ok()) {
        server->pid_ = pid;
        break;
      }
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) break;
      std::this_thread::sleep_for(milliseconds(10));
    }
    if (server->pid_ < 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  if (server->pid_ < 0)
    return make_error(ErrorCode::not_found, "chronyd", "本机 NTP 服务（chronyd）没有启动（需要 Debian 软件包 chrony）：" + log_text(log));
  return server;
}

TimeServer::~TimeServer() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
}

Status make_ca(const fs::path& dir, const std::string& name, const std::string& common_name, int days) {
  NETSAMPLE_ASSIGN(ProgramOutput made,
                   run_program({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", (dir / (name + ".key")).string(),
                                "-out", (dir / (name + ".pem")).string(), "-days", std::to_string(days), "-subj", "/CN=" + common_name, "-addext",
                                "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"}));
  if (made.exit_code != 0) return make_error(ErrorCode::internal, "openssl", "无法生成 CA 证书：" + last_line(made.err));
  return {};
}

struct TimestampAuthority::Server {
  httplib::Server http;
  std::thread thread;
  int port = 0;
  std::atomic<int> requests{0};
  std::atomic<int> failures_left{0};
  std::atomic<int> revocation_requests{0};
  std::mutex openssl;  // one openssl program at a time: they share the serial files and the CA's index
};

namespace {
Status run_openssl(const std::vector<std::string>& argv) {
  NETSAMPLE_ASSIGN(ProgramOutput result, run_program(argv));
  if (result.exit_code != 0) return make_error(ErrorCode::internal, "openssl", argv[1] + " 失败：" + last_line(result.err));
  return {};
}

std::string generalized_time(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%d%H%M%SZ", &tm);
  return text;
}
}  // namespace

TimestampAuthority::TimestampAuthority() : server_(std::make_unique<Server>()) {}

Result<std::unique_ptr<TimestampAuthority>> TimestampAuthority::start(const fs::path& work_dir, TsaOptions options) {
  std::unique_ptr<TimestampAuthority> tsa(new TimestampAuthority());
  const fs::path d = tsa->dir_ = work_dir;
  std::error_code ec;
  fs::create_directories(d, ec);
  const bool own_ca = options.certificate_life || options.revocation;  // issued by `openssl ca`, which keeps an index
  NETSAMPLE_TRY(make_ca(d, "ca", "netsample local CA", own_ca ? 3650 : 30));
  auto run = run_openssl;
  NETSAMPLE_TRY(run({"/usr/bin/openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", (d / "tsa.key").string(), "-out",
                     (d / "tsa.csr").string(), "-subj", "/CN=netsample local TSA"}));
  std::string extensions = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n";
  Server* server = tsa->server_.get();
  server->http.Post("/ocsp", [server, d](const httplib::Request& req, httplib::Response& res) {
    const int n = ++server->revocation_requests;
    std::lock_guard lock(server->openssl);
    const fs::path query = d / ("ocsp" + std::to_string(n) + ".req"), reply = d / ("ocsp" + std::to_string(n) + ".resp");
    const bool made = write_text(query, req.body).ok() &&
                      run_openssl({"/usr/bin/openssl", "ocsp", "-index", (d / "index.txt").string(), "-CA", (d / "ca.pem").string(), "-rsigner",
                                   (d / "ca.pem").string(), "-rkey", (d / "ca.key").string(), "-reqin", query.string(), "-respout", reply.string()})
                          .ok();
    auto bytes = read_file(reply);
    if (!made || !bytes.ok()) {
      res.status = 500;
      return;
    }
    res.set_content(*bytes, "application/ocsp-response");
  });
  server->http.Get("/ca.crl", [server, d](const httplib::Request&, httplib::Response& res) {
    ++server->revocation_requests;
    std::lock_guard lock(server->openssl);
    const bool made = run_openssl({"/usr/bin/openssl", "ca", "-gencrl", "-config", (d / "ca.cnf").string(), "-cert", (d / "ca.pem").string(),
                                   "-keyfile", (d / "ca.key").string(), "-out", (d / "ca.crl.pem").string()})
                          .ok() &&
                      run_openssl({"/usr/bin/openssl", "crl", "-in", (d / "ca.crl.pem").string(), "-outform", "DER", "-out", (d / "ca.crl").string()}).ok();
    auto bytes = read_file(d / "ca.crl");
    if (!made || !bytes.ok()) {
      res.status = 500;
      return;
    }
    res.set_content(*bytes, "application/pkix-crl");
  });
  server->http.Post("/tsa", [server, d](const httplib::Request& req, httplib::Response& res) {
    const int n = ++server->requests;
    if (server->failures_left > 0) {
      --server->failures_left;
      res.status = 503;
      return;
    }
    std::lock_guard lock(server->openssl);
    const fs::path query = d / ("q" + std::to_string(n) + ".tsq"), reply = d / ("r" + std::to_string(n) + ".tsr");
    auto made = write_text(query, req.body).ok()
                    ? run_program({"/usr/bin/openssl", "ts", "-reply", "-config", (d / "tsa.cnf").string(), "-queryfile", query.string(), "-out",
                                   reply.string()})
                    : Result<ProgramOutput>(make_error(ErrorCode::io, "tsa", "cannot write the query"));
    auto bytes = read_file(reply);
    if (!made.ok() || made->exit_code != 0 || !bytes.ok()) {
      res.status = 500;
      res.set_content(made.ok() ? made->err : made.error().message, "text/plain");
      return;
    }
    res.set_content(*bytes, "application/timestamp-reply");
  });
  if (options.revocation) {
    // The certificate names this server, so it listens before the certificate is made.
    NETSAMPLE_ASSIGN(server->port, serve_on_loopback(server->http, server->thread, "本机时间戳服务"));
    const std::string base = "http://127.0.0.1:" + std::to_string(server->port);
    if (options.ocsp) extensions += "authorityInfoAccess=OCSP;URI:" + base + "/ocsp\n";
    extensions += "crlDistributionPoints=URI:" + base + "/ca.crl\n";
  }
  NETSAMPLE_TRY(write_text(d / "tsa.ext", extensions));
  if (own_ca) {
    fs::create_directories(d / "issued", ec);
    NETSAMPLE_TRY(write_text(d / "index.txt", ""));
    NETSAMPLE_TRY(write_text(d / "ca.serial", "1000\n"));
    NETSAMPLE_TRY(write_text(d / "crlnumber", "01\n"));
    NETSAMPLE_TRY(write_text(d / "ca.cnf", "[ ca ]\ndefault_ca = local_ca\n[ local_ca ]\ndir = " + d.string() +
                                             "\ndatabase = $dir/index.txt\nnew_certs_dir = $dir/issued\nserial = $dir/ca.serial\n"
                                             "crlnumber = $dir/crlnumber\ndefault_md = sha256\npolicy = any\ndefault_crl_days = 30\n"
                                             "unique_subject = no\n[ any ]\ncommonName = supplied\n"));
    const auto now = std::chrono::system_clock::now();
    const auto life = options.certificate_life.value_or(std::chrono::hours(24 * 30));
    NETSAMPLE_TRY(run({"/usr/bin/openssl", "ca", "-batch", "-notext", "-config", (d / "ca.cnf").string(), "-cert", (d / "ca.pem").string(),
                       "-keyfile", (d / "ca.key").string(), "-in", (d / "tsa.csr").string(), "-out", (d / "tsa.pem").string(),
                       "-startdate", generalized_time(now - std::chrono::minutes(1)), "-enddate", generalized_time(now + life), "-extfile",
                       (d / "tsa.ext").string()}));
  } else {
    NETSAMPLE_TRY(run({"/usr/bin/openssl", "x509", "-req", "-in", (d / "tsa.csr").string(), "-CA", (d / "ca.pem").string(), "-CAkey",
                       (d / "ca.key").string(), "-CAcreateserial", "-out", (d / "tsa.pem").string(), "-days", "30", "-extfile",
                       (d / "tsa.ext").string()}));
  }
  NETSAMPLE_TRY(write_text(d / "tsaserial", "01\n"));
  NETSAMPLE_TRY(write_text(d / "tsa.cnf", "[ tsa ]\ndefault_tsa = tsa_config\n[ tsa_config ]\ndir = " + d.string() +
                                              "\nserial = $dir/tsaserial\nsigner_cert = $dir/tsa.pem\ncerts = $dir/tsa.pem\nsigner_key = $dir/tsa.key\n"
                                              "signer_digest = sha256\ndefault_policy = 1.2.3.4.1\nother_policies = 1.2.3.4.5\n"
                                              "digests = sha256, sha384, sha512\naccuracy = secs:1\nordering = yes\ntsa_name = yes\n"
                                              "ess_cert_id_chain = no\ness_cert_id_alg = sha256\n"));
  if (!options.revocation) {
    NETSAMPLE_ASSIGN(server->port, serve_on_loopback(server->http, server->thread, "本机时间戳服务"));
  }
  return tsa;
}

Status TimestampAuthority::revoke_certificate() {
  std::lock_guard lock(server_->openssl);
  return run_openssl({"/usr/bin/openssl", "ca", "-config", (dir_ / "ca.cnf").string(), "-cert", (dir_ / "ca.pem").string(), "-keyfile",
                      (dir_ / "ca.key").string(), "-revoke", (dir_ / "tsa.pem").string()});
}

int TimestampAuthority::revocation_requests() const { return server_->revocation_requests; }

TimestampAuthority::~TimestampAuthority() {
  server_->http.stop();
  if (server_->thread.joinable()) server_->thread.join();
}

std::string TimestampAuthority::url() const { return "http://127.0.0.1:" + std::to_string(server_->port) + "/tsa"; }
fs::path TimestampAuthority::ca_file() const { return dir_ / "ca.pem"; }
int TimestampAuthority::requests() const { return server_->requests; }
void TimestampAuthority::fail_next(int count) { server_->failures_left = count; }

struct CourierService::Server {
  httplib::Server http;
  std::thread thread;
  int port = 0;
  std::string customer, key;
  mutable std::mutex mutex;
  std::map<std::string, std::vector<nlohmann::json>> scripts;
  std::map<std::string, std::string> phones;
  std::map<std::string, size_t> served;
  int requests = 0, bad_signatures = 0;
};

CourierService::CourierService() : server_(std::make_unique<Server>()) {}

Result<std::unique_ptr<CourierService>> CourierService::start(std::string customer, std::string key) {
  std::unique_ptr<CourierService> service(new CourierService());
  Server* s = service->server_.get();
  s->customer = std::move(customer);
  s->key = std::move(key);
  auto answer = [](httplib::Response& res, const nlohmann::json& body) { res.set_content(body.dump(), "application/json"); };
  s->http.Post("/poll/query.do", [s, answer](const httplib::Request& req, httplib::Response& res) {
    const std::string param = req.get_param_value("param"), customer = req.get_param_value("customer");
    std::lock_guard lock(s->mutex);
    ++s->requests;
    if (customer != s->customer || req.get_param_value("sign") != unboxing::kuaidi100_sign(param, s->key, customer)) {
      ++s->bad_signatures;
      return answer(res, {{"result", false}, {"returnCode", "503"}, {"message", "验证签名失败"}});
    }
    const nlohmann::json p = nlohmann::json::parse(param, nullptr, false);
    const std::string number = p.is_object() ? p.value("num", "") : "";
    const auto script = s->scripts.find(number);
    if (script == s->scripts.end() || script->second.empty())
      return answer(res, {{"result", false}, {"returnCode", "500"}, {"message", "查询无结果，请隔段时间再查"}});
    if (!s->phones[number].empty() && p.value("phone", "") != s->phones[number])
      return answer(res, {{"result", false}, {"returnCode", "408"}, {"message", "手机号码校验失败"}});
    const size_t n = s->served[number]++;
    const nlohmann::json& scripted = script->second.at(std::min(n, script->second.size() - 1));
    if (scripted.is_number()) {
      res.status = scripted.get<int>();
      return;
    }
    answer(res, scripted);
  });
  NETSAMPLE_ASSIGN(s->port, serve_on_loopback(s->http, s->thread, "本机快递查询服务"));
  return service;
}

CourierService::~CourierService() {
  server_->http.stop();
  if (server_->thread.joinable()) server_->thread.join();
}

std::string CourierService::url() const { return "http://127.0.0.1:" + std::to_string(server_->port) + "/poll/query.do"; }

void CourierService::script(const std::string& number, std::vector<nlohmann::json> answers, const std::string& phone) {
  std::lock_guard lock(server_->mutex);
  server_->scripts[number] = std::move(answers);
  server_->phones[number] = phone;
  server_->served[number] = 0;
}

int CourierService::requests() const {
  std::lock_guard lock(server_->mutex);
  return server_->requests;
}

int CourierService::bad_signatures() const {
  std::lock_guard lock(server_->mutex);
  return server_->bad_signatures;
}

nlohmann::json kuaidi100_answer(int state, const std::vector<std::pair<std::string, std::string>>& events, bool signed_for) {
  nlohmann::json data = nlohmann::json::array();
  for (auto it = events.rbegin(); it != events.rend(); ++it) data.push_back({{"time", it->first}, {"ftime", it->first}, {"context", it->second}});
  return {{"message", "ok"}, {"ischeck", signed_for ? "1" : "0"}, {"status", "200"}, {"state", std::to_string(state)}, {"condition", "F00"},
          {"data", data}};
}

struct WebhookReceiver::Server {
  httplib::Server http;
  std::thread thread;
  int port = 0;
  std::string secret;
  int fail_first = 0;
  mutable std::mutex mutex;
  int requests = 0, bad_signatures = 0;
  std::vector<nlohmann::json> taken;
  std::vector<std::string> keys;
  std::set<std::string> seen;
  std::atomic<bool> hold{false}, holding{false};
};

WebhookReceiver::WebhookReceiver() : server_(std::make_unique<Server>()) {}

Result<std::unique_ptr<WebhookReceiver>> WebhookReceiver::start(std::string secret, int fail_first) {
  std::unique_ptr<WebhookReceiver> receiver(new WebhookReceiver());
  Server* s = receiver->server_.get();
  s->secret = std::move(secret);
  s->fail_first = fail_first;
  s->http.Post("/notices", [s](const httplib::Request& req, httplib::Response& res) {
    std::unique_lock lock(s->mutex);
    ++s->requests;
    if (req.get_header_value("X-Netsample-Signature") != "sha256=" + hmac_sha256_hex(req.body, s->secret)) {
      ++s->bad_signatures;
      res.status = 401;
      return;
    }
    const std::string key = req.get_header_value("Idempotency-Key");
    s->keys.push_back(key);
    if (s->requests <= s->fail_first) {
      res.status = 503;
      return;
    }
    const bool first = s->seen.insert(key).second;
    if (first) s->taken.push_back(nlohmann::json::parse(req.body, nullptr, false));
    if (s->hold) {
      s->holding = true;
      lock.unlock();
      while (s->hold) std::this_thread::sleep_for(milliseconds(20));
      lock.lock();
      s->holding = false;
    }
    res.status = first ? 201 : 200;
    res.set_content(nlohmann::json{{"received", key}, {"repeat", !first}}.dump(), "application/json");
  });
  s->port = s->http.bind_to_any_port("127.0.0.1");
  if (s->port <= 0) return make_error(ErrorCode::io, "webhook", "无法在 127.0.0.1 上监听");
  s->thread = std::thread([s] { s->http.listen_after_bind(); });
  while (!s->http.is_running()) std::this_thread::sleep_for(milliseconds(5));
  return receiver;
}

WebhookReceiver::~WebhookReceiver() {
  server_->hold = false;
  server_->http.stop();
  if (server_->thread.joinable()) server_->thread.join();
}

std::string WebhookReceiver::url() const { return "http://127.0.0.1:" + std::to_string(server_->port) + "/notices"; }
int WebhookReceiver::requests() const { std::lock_guard l(server_->mutex); return server_->requests; }
int WebhookReceiver::bad_signatures() const { std::lock_guard l(server_->mutex); return server_->bad_signatures; }
std::vector<nlohmann::json> WebhookReceiver::taken() const { std::lock_guard l(server_->mutex); return server_->taken; }
std::vector<std::string> WebhookReceiver::keys() const { std::lock_guard l(server_->mutex); return server_->keys; }
void WebhookReceiver::hold(bool on) { server_->hold = on; }
bool WebhookReceiver::holding() const { return server_->holding; }

struct MailSink::Server {
  UniqueFd listener;
  std::thread thread;
  std::atomic<bool> stopping{false};
  int port = 0;
  mutable std::mutex mutex;
  std::vector<std::string> messages, recipients;
};

MailSink::MailSink() : server_(std::make_unique<Server>()) {}

namespace {

// One SMTP conversation: enough of RFC 5321 for a client that sends one message and quits.
struct Mailbox {
  std::mutex& mutex;
  std::vector<std::string>& messages;
  std::vector<std::string>& recipients;
};

void converse(int fd, Mailbox s) {
  std::string in;
  auto say = [fd](const std::string& line) { return ::send(fd, line.data(), line.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(line.size()); };
  auto read_more = [&]() {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) return false;
    char buffer[4096];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    in.append(buffer, static_cast<size_t>(n));
    return true;
  };
  auto line = [&](std::string& out) {
    for (;;) {
      const size_t end = in.find("\r\n");
      if (end != std::string::npos) {
        out = in.substr(0, end);
        in.erase(0, end + 2);
        return true;
      }
      if (!read_more()) return false;
    }
  };
  if (!say("220 netsample-mail-sink ESMTP\r\n")) return;
  for (std::string command; line(command);) {
    std::string verb = command.substr(0, command.find(' '));
    for (char& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (verb == "EHLO") say("250-netsample-mail-sink\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n");
    else if (verb == "HELO" || verb == "MAIL" || verb == "RSET" || verb == "NOOP") say("250 OK\r\n");
    else if (verb == "RCPT") {
      std::lock_guard lock(s.mutex);
      s.recipients.push_back(command.substr(command.find(':') + 1));
      say("250 OK\r\n");
    } else if (verb == "DATA") {
      say("354 End data with <CR><LF>.<CR><LF>\r\n");
      size_t end;
      while ((end = in.find("\r\n.\r\n")) == std::string::npos)
        if (!read_more()) return;
      std::string message = in.substr(0, end + 2);
      in.erase(0, end + 5);
      for (size_t at = 0; (at = message.find("\r\n..", at)) != std::string::npos; at += 3) message.erase(at + 2, 1);  // dot-unstuffing
      std::string queue_id;
      {
        std::lock_guard lock(s.mutex);
        s.messages.push_back(message);
        queue_id = "NSQ" + std::to_string(s.messages.size());  // the n-th message kept: messages()[n - 1]
      }
      say("250 2.0.0 Ok: queued as " + queue_id + "\r\n");  // as Postfix says it
    } else if (verb == "QUIT") {
      say("221 Bye\r\n");
      return;
    } else {
      say("502 Command not implemented\r\n");
    }
  }
}

}  // namespace

Result<std::unique_ptr<MailSink>> MailSink::start() {
  std::unique_ptr<MailSink> sink(new MailSink());
  Server* s = sink->server_.get();
  s->listener = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (!s->listener.valid() || ::bind(s->listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(s->listener.get(), 8) != 0 || ::getsockname(s->listener.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0)
    return make_error(ErrorCode::io, "smtp", "无法在 127.0.0.1 上监听");
  s->port = ntohs(address.sin_port);
  s->thread = std::thread([s] {
    while (!s->stopping) {
      pollfd p{s->listener.get(), POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      UniqueFd client(::accept4(s->listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (client.valid()) converse(client.get(), Mailbox{s->mutex, s->messages, s->recipients});
    }
  });
  return sink;
}

MailSink::~MailSink() {
  server_->stopping = true;
  if (server_->thread.joinable()) server_->thread.join();
}

std::string MailSink::url() const { return "smtp://127.0.0.1:" + std::to_string(server_->port); }
std::vector<std::string> MailSink::messages() const { std::lock_guard l(server_->mutex); return server_->messages; }
std::vector<std::string> MailSink::recipients() const { std::lock_guard l(server_->mutex); return server_->recipients; }

}  // namespace netsample::loopback
