#include "testing.h"

#include <fcntl.h>
#include <poll.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include <fstream>
#include <stdexcept>
#include <thread>

#include <httplib.h>

#include <atomic>
#include <mutex>

#include "netsample/core/file_io.h"
#include "netsample/core/sntp.h"

#include <gtest/gtest.h>

namespace netsample::testing {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "netsample-test-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  // Evidence files are read-only; make them removable first.
  for (auto it = fs::recursive_directory_iterator(path_, ec); it != fs::recursive_directory_iterator(); it.increment(ec))
    fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
  fs::remove_all(path_, ec);
}

nlohmann::json sample_case(const std::string& number) {
  return {{"number", number},
          {"organizer", "cq-amr"},
          {"level", "city"},
          {"plan", "routine"},
          {"product", {{"name", "电热水壶"}, {"trademark", "清泉"}, {"model", "QS-1701"}, {"category", "家用电器"}, {"standard", "GB 4706.19-2008"}}},
          {"platform", "jd"},
          {"shop", {{"name", "清泉电器官方旗舰店"}, {"url", "https://mall.jd.com/index-1000001.html"}}},
          {"operator", {{"name", "重庆清泉电器销售有限公司"}, {"address", "重庆市渝北区金开大道 88 号"}}},
          {"producer", {{"name", "重庆清泉电器制造有限公司"}, {"address", "重庆市璧山区工业园 16 号"}}},
          {"samples", {{"inspection", 2}, {"backup", 2}}}};
}

nlohmann::json sample_roster() {
  return {{"people",
           {{{"id", "S1"}, {"name", "张明"}, {"org", "cq-amr"}, {"roles", {"sampler"}}},
            {{"id", "S2"}, {"name", "李娟"}, {"org", "cq-amr"}, {"roles", {"sampler"}}},
            {{"id", "S3"}, {"name", "王磊"}, {"org", "cq-amr"}, {"roles", {"sampler"}}},
            {{"id", "S4"}, {"name", "赵倩"}, {"org", "cq-amr"}, {"roles", {"sampler", "tester"}}},
            {{"id", "L1"}, {"name", "陈刚"}, {"org", "cq-amr"}, {"roles", {"tester"}}},
            {{"id", "L2"}, {"name", "刘芳"}, {"org", "cq-amr"}, {"roles", {"tester"}}}}}};
}

void write_text(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
}

ProcessResult run_process(const std::vector<std::string>& argv) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  ProcessResult result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  char buffer[65536];
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) sinks[i]->append(buffer, static_cast<size_t>(n));
      else {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  return result;
}

int free_port(int socket_type) {
  const int fd = ::socket(AF_INET, socket_type, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0)
    throw std::runtime_error("cannot find a free port");
  ::close(fd);
  return ntohs(addr.sin_port);
}

Chronyd::Chronyd() {
  for (int attempt = 0; attempt < 5 && pid_ < 0; ++attempt) {
    port_ = free_port(SOCK_DGRAM);
    const auto conf = dir_ / "chrony.conf";
    write_text(conf, "port " + std::to_string(port_) + "\nbindaddress 127.0.0.1\nlocal stratum 8\nallow 127.0.0.1\ncmdport 0\n" +
                         "pidfile " + (dir_ / "chronyd.pid").string() + "\n");
    const pid_t pid = ::fork();
    if (pid == 0) {
      const int log = ::open((dir_ / "chronyd.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(log, 1);
      ::dup2(log, 2);
      ::execl("/usr/sbin/chronyd", "chronyd", "-d", "-x", "-u", "root", "-f", conf.c_str(), nullptr);
      ::_exit(127);
    }
    // Ready when it answers; a port taken meanwhile makes chronyd exit, and we try another.
    const SntpClient client(std::chrono::milliseconds(200));
    const NtpServer server{"127.0.0.1", static_cast<std::uint16_t>(port_)};
    // Bounded by time, not tries: before chronyd binds, a query fails at once (ICMP port unreachable).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (client.query(server).ok()) {
        pid_ = pid;
        break;
      }
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) break;  // it exited: the port was taken, try another
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (pid_ < 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  if (pid_ < 0) {
    auto log = read_file(dir_ / "chronyd.log");
    throw std::runtime_error("chronyd did not start (is the chrony package installed?): " + (log.ok() ? *log : std::string()));
  }
}

Chronyd::~Chronyd() {
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
}

Child::Child(const std::vector<std::string>& argv, const fs::path& log, const std::vector<std::string>& extra_env) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::setpgid(0, 0);  // its own process group: a browser's helpers are killed with it
    for (const auto& entry : extra_env) ::putenv(const_cast<char*>(entry.c_str()));
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  pid_ = pid;
}

Child::~Child() {
  if (reaped_) return;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

void Child::signal(int sig) const { ::kill(pid_, sig); }

bool Child::running() {
  if (reaped_) return false;
  if (::waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
  return !reaped_;
}

int Child::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("child did not end in time");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : -WTERMSIG(status_);
}

Xvfb::Xvfb(int width, int height) {
  // -displayfd: Xvfb picks a free display and writes its number when it is ready for clients.
  int ready[2];
  if (::pipe(ready) != 0) throw std::runtime_error("pipe failed");
  server_ = std::make_unique<Child>(std::vector<std::string>{"Xvfb", "-displayfd", std::to_string(ready[1]), "-screen", "0",
                                                             std::to_string(width) + "x" + std::to_string(height) + "x24",
                                                             "-nolisten", "tcp", "-noreset"},
                                    dir_.path() / "xvfb.log");
  ::close(ready[1]);
  std::string number;
  pollfd p{ready[0], POLLIN, 0};
  char c;
  while (::poll(&p, 1, 10000) > 0 && ::read(ready[0], &c, 1) == 1 && c != '\n') number += c;
  ::close(ready[0]);
  if (number.empty()) {
    auto log = read_file(dir_.path() / "xvfb.log");
    throw std::runtime_error("Xvfb did not start (is the xvfb package installed?): " + (log.ok() ? *log : std::string()));
  }
  number_ = std::stoi(number);
}

Chromium::Chromium(const std::string& display, const std::string& url, const std::function<bool()>& page_ready) {
  // Flags from the machine notes: no sandbox (root), no GPU, no background traffic to Google's hosts.
  browser_ = std::make_unique<Child>(
      std::vector<std::string>{"chromium", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                               "--disable-background-networking", "--disable-component-update", "--disable-sync",
                               "--disable-features=Translate,MediaRouter", "--noerrdialogs", "--kiosk",
                               "--window-position=0,0", "--user-data-dir=" + profile_.path().string(), url},
      profile_.path() / "chromium.log", std::vector<std::string>{"DISPLAY=" + display});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!page_ready()) {
    if (!browser_->running() || std::chrono::steady_clock::now() > deadline) {
      auto log = read_file(profile_.path() / "chromium.log");
      throw std::runtime_error("chromium did not show the page: " + (log.ok() ? *log : std::string()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void make_test_ca(const fs::path& dir, const std::string& name) {
  const auto made = run_process({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", (dir / (name + ".key")).string(),
                                 "-out", (dir / (name + ".pem")).string(), "-days", "2", "-subj", "/CN=netsample test " + name,
                                 "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"});
  if (made.exit_code != 0) throw std::runtime_error("openssl req (CA) failed: " + made.err);
}

struct TestTsa::Server {
  httplib::Server http;
  std::thread thread;
  int port = 0;
  std::atomic<int> requests{0};
  std::atomic<int> failures_left{0};
  std::mutex openssl;  // one `openssl ts -reply` at a time: they share the serial file
};

TestTsa::TestTsa() : server_(std::make_unique<Server>()) {
  const fs::path d = dir_.path();
  make_test_ca(d, "ca");
  auto run = [](const std::vector<std::string>& argv) {
    const auto result = run_process(argv);
    if (result.exit_code != 0) throw std::runtime_error(argv[1] + " failed: " + result.err);
  };
  run({"/usr/bin/openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", (d / "tsa.key").string(), "-out", (d / "tsa.csr").string(),
       "-subj", "/CN=netsample test TSA"});
  write_text(d / "tsa.ext", "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n");
  run({"/usr/bin/openssl", "x509", "-req", "-in", (d / "tsa.csr").string(), "-CA", (d / "ca.pem").string(), "-CAkey", (d / "ca.key").string(),
       "-CAcreateserial", "-out", (d / "tsa.pem").string(), "-days", "2", "-extfile", (d / "tsa.ext").string()});
  write_text(d / "tsaserial", "01\n");
  write_text(d / "tsa.cnf", "[ tsa ]\ndefault_tsa = tsa_config\n[ tsa_config ]\ndir = " + d.string() +
                                "\nserial = $dir/tsaserial\nsigner_cert = $dir/tsa.pem\ncerts = $dir/tsa.pem\nsigner_key = $dir/tsa.key\n"
                                "signer_digest = sha256\ndefault_policy = 1.2.3.4.1\nother_policies = 1.2.3.4.5\n"
                                "digests = sha256, sha384, sha512\naccuracy = secs:1\nordering = yes\ntsa_name = yes\n"
                                "ess_cert_id_chain = no\ness_cert_id_alg = sha256\n");
  server_->http.Post("/tsa", [this, d](const httplib::Request& req, httplib::Response& res) {
    const int n = ++server_->requests;
    if (server_->failures_left > 0) {
      --server_->failures_left;
      res.status = 503;
      return;
    }
    std::lock_guard lock(server_->openssl);
    const fs::path query = d / ("q" + std::to_string(n) + ".tsq"), reply = d / ("r" + std::to_string(n) + ".tsr");
    write_text(query, req.body);
    const auto made = run_process({"/usr/bin/openssl", "ts", "-reply", "-config", (d / "tsa.cnf").string(), "-queryfile", query.string(),
                                   "-out", reply.string()});
    if (made.exit_code != 0) {
      res.status = 500;
      res.set_content(made.err, "text/plain");
      return;
    }
    res.set_content(*read_file(reply), "application/timestamp-reply");
  });
  server_->port = server_->http.bind_to_any_port("127.0.0.1");
  server_->thread = std::thread([this] { server_->http.listen_after_bind(); });
  for (int i = 0; i < 10'000 && !server_->http.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!server_->http.is_running()) throw std::runtime_error("test TSA did not start");
}

TestTsa::~TestTsa() {
  server_->http.stop();
  if (server_->thread.joinable()) server_->thread.join();
}

std::string TestTsa::url() const { return "http://127.0.0.1:" + std::to_string(server_->port) + "/tsa"; }
int TestTsa::requests() const { return server_->requests; }
void TestTsa::fail_next(int count) { server_->failures_left = count; }

namespace {
struct Db {
  sqlite3* db = nullptr;
  explicit Db(const fs::path& file) {
    if (sqlite3_open(file.c_str(), &db) != SQLITE_OK) throw std::runtime_error("cannot open " + file.string());
    sqlite3_busy_timeout(db, 5000);
  }
  ~Db() { sqlite3_close(db); }
};
}  // namespace

void sql_exec(const fs::path& db_file, const std::string& sql) {
  Db db(db_file);
  char* message = nullptr;
  if (sqlite3_exec(db.db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "?";
    sqlite3_free(message);
    throw std::runtime_error("sql failed: " + text + " in: " + sql);
  }
}

std::string sql_text(const fs::path& db_file, const std::string& query) {
  Db db(db_file);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db.db, query.c_str(), -1, &stmt, nullptr) != SQLITE_OK) throw std::runtime_error("bad query: " + query);
  std::string text;
  if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0))
    text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  sqlite3_finalize(stmt);
  return text;
}

std::string sql_dump(const fs::path& db_file, const std::string& table) {
  Db db(db_file);
  sqlite3_stmt* stmt = nullptr;
  const std::string query = "SELECT * FROM " + table + " ORDER BY rowid";
  if (sqlite3_prepare_v2(db.db, query.c_str(), -1, &stmt, nullptr) != SQLITE_OK) throw std::runtime_error("bad query: " + query);
  std::string dump;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      const auto* text = sqlite3_column_text(stmt, i);
      dump += text ? reinterpret_cast<const char*>(text) : "NULL";
      dump += '\x1f';
    }
    dump += '\n';
  }
  sqlite3_finalize(stmt);
  return dump;
}

}  // namespace netsample::testing
