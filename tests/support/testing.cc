#include "testing.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <thread>

#include "netsample/core/file_io.h"

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

const std::map<std::string, nlohmann::json>& purchase_step_fields() {
  static const std::map<std::string, nlohmann::json> fields = {
      {"time_check", nlohmann::json::object()},
      {"search", {{"query", "电热水壶"}, {"platform", "京东"}}},
      {"licence", {{"operator_name", "重庆清泉电器销售有限公司"}, {"licence_number", "91500112MA5U7XXX1K"}, {"address", "重庆市渝北区金开大道 88 号"}}},
      {"product_page", {{"title", "清泉电热水壶 1.7L"}, {"price", "¥199"}, {"url", "https://item.jd.com/100012345678.html"}}},
      {"order",
       {{"order_number", "DS202611240001"}, {"inspection_qty", "2"}, {"backup_qty", "2"}, {"amount", "796.00"}, {"buyer_account", "jd_sampler01"},
        {"delivery_address", "重庆市渝中区人民路 1 号"}, {"contact", "张明 13800000000"}}},
      {"payment", {{"amount", "796"}, {"time", "2026-03-02 10:05:31"}, {"method", "微信支付"}, {"account", "wx_sampler01"}}},
      {"chat", {{"question", "有没有发票？"}, {"answer", "支持开具电子发票"}}},
  };
  return fields;
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

namespace {
template <class T>
T or_throw(Result<T> result) {
  if (!result.ok()) throw std::runtime_error(result.error().describe());
  return std::move(result).value();
}
}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv) {
  ProgramOutput output = or_throw(run_program(argv));
  return {output.exit_code, std::move(output.out), std::move(output.err)};
}

int free_port(int socket_type) { return or_throw(loopback::free_loopback_port(socket_type)); }

Chronyd::Chronyd() : server_(or_throw(loopback::TimeServer::start(dir_.path()))) {}

namespace {

// Whether a DNS server on 127.0.0.1:port answers an A query for `name` within 200 ms (any answer will do).
bool answers_dns(int port, const std::string& name) {
  std::string query("\x4e\x53\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);  // id, RD, one question
  for (size_t start = 0; start <= name.size();) {
    const size_t dot = std::min(name.find('.', start), name.size());
    query += static_cast<char>(dot - start);
    query += name.substr(start, dot - start);
    start = dot + 1;
  }
  query += std::string("\x00\x00\x01\x00\x01", 5);  // root, type A, class IN
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool answered = false;
  if (::sendto(fd, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) == static_cast<ssize_t>(query.size())) {
    pollfd p{fd, POLLIN, 0};
    char reply[512];
    answered = ::poll(&p, 1, 200) == 1 && ::recv(fd, reply, sizeof reply, 0) >= 12;
  }
  ::close(fd);
  return answered;
}

}  // namespace

Dnsmasq::Dnsmasq(const std::vector<std::pair<std::string, std::string>>& answers) {
  const fs::path program = "/usr/sbin/dnsmasq";
  if (!fs::exists(program)) throw std::runtime_error("no " + program.string() + ": install dnsmasq-base (bash setup.sh deps)");
  write_text(dir_.path() / "dnsmasq.conf", "");  // its own, empty: never /etc/dnsmasq.conf
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_port(SOCK_DGRAM);
    std::vector<std::string> argv = {program.string(), "--no-daemon", "--conf-file=" + (dir_.path() / "dnsmasq.conf").string(),
                                     "--pid-file=" + (dir_.path() / "dnsmasq.pid").string(), "--no-resolv", "--no-hosts",
                                     "--listen-address=127.0.0.1", "--bind-interfaces", "--port=" + std::to_string(port_)};
    // Run as root, dnsmasq drops to the user nobody once its port is bound (it needs nothing from dir_ after that).
    for (const auto& [domain, address] : answers) {
      argv.push_back("--address=/" + domain + "/" + address);
      argv.push_back("--local=/" + domain + "/");
    }
    server_ = std::make_unique<ChildProcess>(argv, dir_.path() / "dnsmasq.log");
    // Ready when it answers: before it binds, a query meets a closed port; a port taken meanwhile makes it exit.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline && server_->running())
      if (answers_dns(port_, answers.empty() ? "ready.invalid" : answers.front().first)) return;
    server_.reset();
  }
  const auto log = read_file(dir_.path() / "dnsmasq.log");
  throw std::runtime_error("dnsmasq did not start: " + (log.ok() ? *log : std::string()));
}

int Child::wait(std::chrono::milliseconds timeout) {
  const auto code = wait_for(timeout);
  if (!code) throw std::runtime_error("child did not end in time");
  return *code;
}

Xvfb::Xvfb(int width, int height) : display_(or_throw(loopback::VirtualDisplay::start(dir_.path(), width, height))) {}

std::unique_ptr<Xvfb> Xvfb::on_a_number_of_its_own(int width, int height) {
  auto x = std::unique_ptr<Xvfb>(new Xvfb(Unstarted{}));
  for (int attempt = 0; attempt < 10 && !x->display_; ++attempt) {
    auto started = loopback::VirtualDisplay::start(x->dir_.path(), width, height, 400 + (::getpid() + attempt * 37) % 500);
    if (started.ok()) x->display_ = std::move(started).value();
  }
  if (!x->display_) throw std::runtime_error("no Xvfb on a display number of its own");
  return x;
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
  const Status made = loopback::make_ca(dir, name, "netsample test " + name);
  if (!made.ok()) throw std::runtime_error(made.error().describe());
}

TestTsa::TestTsa(loopback::TsaOptions options) : authority_(or_throw(loopback::TimestampAuthority::start(dir_.path(), options))) {}

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

nlohmann::json read_with_warcio(const std::filesystem::path& warc) {
  const auto run = run_process({"/usr/bin/node", std::string(NETSAMPLE_BROWSER_DIR) + "/warc.mjs", warc.string()});
  const auto out = nlohmann::json::parse(run.out, nullptr, false);
  EXPECT_TRUE(out.is_object() && out.contains("records")) << run.out << run.err;
  return out.is_object() && out.contains("records") ? out["records"] : nlohmann::json::array();
}

bool warcio_installed() { return std::filesystem::exists(std::filesystem::path(NETSAMPLE_BROWSER_DIR) / "node_modules" / "warcio"); }

}  // namespace netsample::testing
