#include "testing.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <stdexcept>
#include <thread>

#include "netsample/core/file_io.h"
#include "../../store/src/sql_backend.h"

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

bool on_postgresql() {
  const char* socket_dir = std::getenv("NETSAMPLE_TEST_POSTGRESQL");
  return socket_dir && *socket_dir;
}

namespace {
// The PostgreSQL database of each data directory opened in this run.
std::mutex databases_mutex;
std::map<fs::path, std::string>& databases() {
  static std::map<fs::path, std::string> by_dir;
  return by_dir;
}
std::optional<std::string> postgresql_url_of(const fs::path& data_dir) {
  std::lock_guard lock(databases_mutex);
  const auto found = databases().find(fs::absolute(data_dir).lexically_normal());
  if (found == databases().end()) return std::nullopt;
  return found->second;
}
store::Database connect(const std::string& url) {
  auto db = store::Database::connect_postgresql(url);
  if (!db.ok()) throw std::runtime_error(db.error().describe());
  return std::move(*db);
}
// SQLite's spelling in the tests' hand edits, as PostgreSQL says it.
std::string as_postgresql(std::string sql) {
  static const std::regex group_concat(R"(group_concat\((DISTINCT )?([^()]*(\([^()]*\))?[^(),]*)(, *('[^']*'))?\))", std::regex::icase);
  std::string out;
  std::smatch m;
  std::string rest = sql;
  while (std::regex_search(rest, m, group_concat)) {
    out += m.prefix().str() + "string_agg(" + m[1].str() + "(" + m[2].str() + ")::text, " + (m[5].matched ? m[5].str() : "','") + ")";
    rest = m.suffix().str();
  }
  out += rest;
  out = std::regex_replace(out, std::regex(R"(json_extract\((\w+), '\$\.(\w+)'\))"), "($1::jsonb ->> '$2')");
  return std::regex_replace(out, std::regex(R"(\bIFNULL\()", std::regex::icase), "COALESCE(");
}
// SQLite's CREATE TRIGGER as PostgreSQL's function and trigger, replacing one of that name (SQLite's tests put back
// the guards they dropped; here those were never dropped).
std::string create_trigger(const std::string& statement) {
  std::smatch m;
  std::string ddl = store::postgresql_ddl(statement + ";");
  if (std::regex_search(statement, m, std::regex(R"(CREATE TRIGGER (\w+) .*? ON (\w+))")))
    ddl = "DROP TRIGGER IF EXISTS " + m[1].str() + " ON " + m[2].str() + "; " + ddl;
  return std::regex_replace(ddl, std::regex("CREATE FUNCTION"), "CREATE OR REPLACE FUNCTION");
}

// The statements of a script: up to each ';', a trigger up to its "END;" (the tests' edits hold no ';' in quotes).
std::vector<std::string> statements(const std::string& sql) {
  std::vector<std::string> out;
  size_t at = 0;
  while ((at = sql.find_first_not_of(" \n\t;", at)) != std::string::npos) {
    const bool trigger = sql.compare(at, 14, "CREATE TRIGGER") == 0;
    size_t end = trigger ? sql.find("END", sql.find("BEGIN", at)) : sql.find(';', at);
    if (end == std::string::npos) end = sql.size();
    else if (trigger) end += 3;
    out.push_back(sql.substr(at, end - at));
    at = end;
  }
  return out;
}
}  // namespace

store::StoreOptions store_options(const fs::path& data_dir) {
  if (!on_postgresql()) return {};
  if (auto url = postgresql_url_of(data_dir)) return {*url, ""};
  static std::atomic<int> counter{0};
  const std::string name = "t" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  const fs::path socket_dir = std::getenv("NETSAMPLE_TEST_POSTGRESQL");
  const Status made = loopback::PostgresServer::create_database(socket_dir, name, kPostgresqlTemplate);
  if (!made.ok()) throw std::runtime_error(made.error().describe());
  const std::string url = loopback::PostgresServer::url(socket_dir, name);
  std::lock_guard lock(databases_mutex);
  databases()[fs::absolute(data_dir).lexically_normal()] = url;
  return {url, ""};
}

std::vector<std::string> data_arguments(const fs::path& data_dir) {
  std::vector<std::string> out = {"--data", data_dir.string()};
  if (auto url = postgresql_url_of(data_dir)) out.insert(out.end(), {"--db", *url});
  return out;
}

std::unique_ptr<store::Store> open_store(const fs::path& data_dir, const Clock& clock) {
  auto opened = store::Store::open(data_dir, clock, store_options(data_dir));
  if (!opened.ok()) throw std::runtime_error(opened.error().describe());
  return std::move(*opened);
}

void sql_exec(const fs::path& db_file, const std::string& sql) {
  if (auto url = postgresql_url_of(db_file.parent_path())) {
    store::Database db = connect(*url);
    for (const std::string& statement : statements(sql)) {
      if (statement.starts_with("DROP TRIGGER")) continue;  // the edits below run with triggers off
      const Status done = statement.starts_with("CREATE TRIGGER")
                              ? db.exec(create_trigger(statement))
                              : db.exec("SET session_replication_role = replica; " + as_postgresql(statement) + "; SET session_replication_role = DEFAULT");
      if (!done.ok()) throw std::runtime_error("sql failed: " + done.error().describe() + " in: " + statement);
    }
    return;
  }
  Db db(db_file);
  char* message = nullptr;
  if (sqlite3_exec(db.db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "?";
    sqlite3_free(message);
    throw std::runtime_error("sql failed: " + text + " in: " + sql);
  }
}

std::string sql_text(const fs::path& db_file, const std::string& query) {
  if (auto url = postgresql_url_of(db_file.parent_path())) {
    store::Database db = connect(*url);
    auto stmt = db.prepare(as_postgresql(query));
    if (!stmt.ok()) throw std::runtime_error("bad query: " + stmt.error().describe());
    auto row = stmt->step();
    if (!row.ok()) throw std::runtime_error("bad query: " + row.error().describe());
    return *row && !stmt->is_null(0) ? stmt->text(0) : std::string();
  }
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
  if (auto url = postgresql_url_of(db_file.parent_path())) {
    store::Database db = connect(*url);
    // The number of columns from the catalogue: Statement has no column count.
    auto columns = db.prepare("SELECT count(*) FROM information_schema.columns WHERE table_name = ?1");
    if (!columns.ok() || !*columns->bind(1, table).step()) throw std::runtime_error("no table " + table);
    const int count = static_cast<int>(columns->int64(0));
    auto stmt = db.prepare("SELECT * FROM " + table + " ORDER BY 1");
    if (!stmt.ok()) throw std::runtime_error("bad table: " + table);
    std::string dump;
    for (;;) {
      auto row = stmt->step();
      if (!row.ok() || !*row) break;
      for (int i = 0; i < count; ++i) dump += (stmt->is_null(i) ? std::string("NULL") : stmt->text(i)) + '\x1f';
      dump += '\n';
    }
    return dump;
  }
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
