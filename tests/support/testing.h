// Helpers shared by the test suites: temporary data directories, sample inputs, child processes.
#pragma once

#include <chrono>
#include <filesystem>
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

// Runs a sqlite statement directly on the file, as a person with the sqlite3 tool would.
void sql_exec(const std::filesystem::path& db_file, const std::string& sql);
std::string sql_text(const std::filesystem::path& db_file, const std::string& query);
// Every column of every row of the table, in rowid order, as text.
std::string sql_dump(const std::filesystem::path& db_file, const std::string& table);

}  // namespace netsample::testing
