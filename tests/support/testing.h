// Helpers shared by the test suites: temporary data directories, sample inputs, child processes.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/time.h"
#include "netsample/store/store.h"
#include "netsample/testing/loopback.h"

namespace netsample::testing {

// A fresh directory under $TMPDIR, removed with everything in it when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// A valid case file (the same shape users write) and a roster with 4 samplers and 2 testers of "cq-amr".
nlohmann::json sample_case(const std::string& number);
nlohmann::json sample_roster();
// Fields of each of the seven Art 35 purchase steps as a sampler would mark them (step id -> fields).
const std::map<std::string, nlohmann::json>& purchase_step_fields();

void write_text(const std::filesystem::path& file, const std::string& text);

struct ProcessResult {
  int exit_code = -1;  // -signal when killed by a signal
  std::string out;
  std::string err;
};

// Runs a program to completion and captures its output.
ProcessResult run_process(const std::vector<std::string>& argv);

// The records of a .warc.gz as npm's warcio reads them (tests/browser/warc.mjs), both digests recomputed there:
// [{type, id, uri, concurrent_to, truncated, content_type, date, ip, status, text, block_ok, payload_ok,
// payload_bytes, payload_sha256}]. A failure to read is a test failure and an empty array.
nlohmann::json read_with_warcio(const std::filesystem::path& warc);
// Whether `npm ci --prefix tests/browser` has installed warcio (setup.sh test does).
bool warcio_installed();

// A real chronyd serving NTP on 127.0.0.1 on a free unprivileged port, never steering this machine's
// clock (-x); ready when constructed, stopped when destroyed (loopback::TimeServer, which the demo uses too).
class Chronyd {
 public:
  Chronyd();
  int port() const { return server_->port(); }
  std::string address() const { return server_->address(); }

 private:
  TempDir dir_;
  std::unique_ptr<loopback::TimeServer> server_;
};

// A real DNS server: Debian's dnsmasq (dnsmasq-base; setup.sh test installs it) on 127.0.0.1 on a free UDP port,
// answering only from its own `--address=/DOMAIN/ADDRESS` rules (`answers`: domain → address; each domain is also
// --local, so a record type it has no address for is an empty answer, not a refusal). No resolv.conf, no hosts
// file, nothing forwarded, no system service. Ready when constructed (it answered a query); stopped when destroyed.
// Throws when dnsmasq is not installed: a test that needs it fails rather than skips.
class Dnsmasq {
 public:
  explicit Dnsmasq(const std::vector<std::pair<std::string, std::string>>& answers);
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> server_;
};

// An RFC 3161 Time-Stamping Authority on 127.0.0.1: OpenSSL's own TSA with a CA made for the test
// (loopback::TimestampAuthority). `fail_next(n)` makes the next n requests answer HTTP 503.
class TestTsa {
 public:
  explicit TestTsa(loopback::TsaOptions options = {});
  std::string url() const { return authority_->url(); }
  loopback::TimestampAuthority& authority() { return *authority_; }
  std::filesystem::path ca_file() const { return authority_->ca_file(); }
  int requests() const { return authority_->requests(); }
  void fail_next(int count) { authority_->fail_next(count); }

 private:
  TempDir dir_;
  std::unique_ptr<loopback::TimestampAuthority> authority_;
};

// A program running in the background for the length of a test (killed with its group when the object
// dies); wait() throws when it does not end in time.
class Child : public ChildProcess {
 public:
  using ChildProcess::ChildProcess;
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(120));
};

// A real X server without a screen (Xvfb) on a free display number; ready when constructed.
class Xvfb {
 public:
  explicit Xvfb(int width = 1280, int height = 720);
  // On a display number far above those Xvfb picks for itself (-displayfd takes the lowest free), so that no
  // other test's server can take the number over once this one is stopped.
  static std::unique_ptr<Xvfb> on_a_number_of_its_own(int width = 1280, int height = 720);
  std::string display() const { return display_->display(); }
  void stop() { display_->stop(); }  // the screen goes away, as when a session ends under a recorder

 private:
  struct Unstarted {};
  explicit Xvfb(Unstarted) {}
  TempDir dir_;
  std::unique_ptr<loopback::VirtualDisplay> display_;
};

// Debian's Chromium in kiosk mode on `display`, showing `url`; returns once `page_ready()` holds (the
// test's page reports in when it has rendered), throws after 30 s.
class Chromium {
 public:
  Chromium(const std::string& display, const std::string& url, const std::function<bool()>& page_ready);

 private:
  TempDir profile_;
  std::unique_ptr<Child> browser_;
};

// Makes a self-signed CA (key and certificate) in `dir` named `name` (name.pem, name.key).
void make_test_ca(const std::filesystem::path& dir, const std::string& name);

// A free port on 127.0.0.1 for the given socket type (SOCK_DGRAM, SOCK_STREAM).
int free_port(int socket_type);

// --- the suites on both backends ---
// ctest runs the store, workflow, purchase, unboxing and notices suites twice: on SQLite files, and under
// with_postgresql (tests/support/with_postgresql.cc), which starts a real PostgreSQL and names its socket folder in
// $NETSAMPLE_TEST_POSTGRESQL. The database template with_postgresql migrates:
inline constexpr const char* kPostgresqlTemplate = "netsample_template";
// Whether this run is the PostgreSQL one.
bool on_postgresql();
// Where a test's data directory keeps its database: nothing to say on SQLite; on PostgreSQL a fresh copy of the
// migrated template, made on first use and the same for every later open of that directory.
store::StoreOptions store_options(const std::filesystem::path& data_dir);
// The command line's words for that data directory: --data DIR, and --db URL on PostgreSQL.
std::vector<std::string> data_arguments(const std::filesystem::path& data_dir);
// store::Store::open with store_options(data_dir). Throws when it cannot open (the test fails).
std::unique_ptr<store::Store> open_store(const std::filesystem::path& data_dir, const Clock& clock);

// Runs a statement directly on the database, as a person with the sqlite3 tool (or psql) would: `db_file` is the
// data directory's netsample.db. On PostgreSQL as the database's owner with triggers off (session_replication_role
// = replica, which is what such a person would do), so the guards SQLite's tests drop first are skipped there;
// a CREATE TRIGGER in SQLite's form is translated and does fire; group_concat becomes string_agg.
void sql_exec(const std::filesystem::path& db_file, const std::string& sql);
std::string sql_text(const std::filesystem::path& db_file, const std::string& query);
// Every column of every row of the table, in rowid order (PostgreSQL: by its first column), as text.
std::string sql_dump(const std::filesystem::path& db_file, const std::string& table);

}  // namespace netsample::testing
