// Helpers shared by the test suites: temporary data directories, sample inputs, child processes.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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

void write_text(const std::filesystem::path& file, const std::string& text);

struct ProcessResult {
  int exit_code = -1;  // -signal when killed by a signal
  std::string out;
  std::string err;
};

// Runs a program to completion and captures its output.
ProcessResult run_process(const std::vector<std::string>& argv);

// A real chronyd serving NTP on 127.0.0.1 on a free unprivileged port, never steering this machine's
// clock (-x). Started in the constructor and ready (it has answered a query) when it returns; stopped
// in the destructor.
class Chronyd {
 public:
  Chronyd();
  ~Chronyd();
  Chronyd(const Chronyd&) = delete;
  Chronyd& operator=(const Chronyd&) = delete;
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  TempDir dir_;
  int port_ = 0;
  int pid_ = -1;
};

// An RFC 3161 Time-Stamping Authority on 127.0.0.1: a test CA and a TSA certificate made by the test
// (openssl req/x509), OpenSSL's own TSA (`openssl ts -reply`) answering POSTs at url(). Ready when
// constructed, stopped when destroyed. `fail_next(n)` makes the next n requests answer HTTP 503.
class TestTsa {
 public:
  TestTsa();
  ~TestTsa();
  TestTsa(const TestTsa&) = delete;
  TestTsa& operator=(const TestTsa&) = delete;
  std::string url() const;
  std::filesystem::path ca_file() const { return dir_ / "ca.pem"; }
  int requests() const;
  void fail_next(int count);

 private:
  struct Server;
  TempDir dir_;
  std::unique_ptr<Server> server_;
};

// A program running in the background for the length of a test: output goes to `log`, it is killed
// (SIGKILL) and reaped when the object dies unless wait() already reaped it.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::filesystem::path& log, const std::vector<std::string>& extra_env = {});
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  int pid() const { return pid_; }
  void signal(int sig) const;
  bool running();
  // Waits for it to end; its exit code, or -signal. Throws after `timeout`.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(120));

 private:
  int pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

// A real X server without a screen (Xvfb) on a free display number; ready when constructed.
class Xvfb {
 public:
  explicit Xvfb(int width = 1280, int height = 720);
  std::string display() const { return ":" + std::to_string(number_); }
  void stop() { server_.reset(); }  // the screen goes away, as when a session ends under a recorder

 private:
  TempDir dir_;
  int number_ = -1;
  std::unique_ptr<Child> server_;
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

// Runs a sqlite statement directly on the file, as a person with the sqlite3 tool would.
void sql_exec(const std::filesystem::path& db_file, const std::string& sql);
std::string sql_text(const std::filesystem::path& db_file, const std::string& query);
// Every column of every row of the table, in rowid order, as text.
std::string sql_dump(const std::filesystem::path& db_file, const std::string& table);

}  // namespace netsample::testing
