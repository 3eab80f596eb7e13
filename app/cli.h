// Shared plumbing of the netsample command line: the opened data directory, output in Chinese for
// people or JSON for machines, and the one place where an Error becomes an exit code.
#pragma once

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/core/time.h"
#include "netsample/runtime/runtime.h"

namespace CLI {
class App;
}

namespace netsample::app {

// Exit codes (README): 0 done, 1 system failure, 2 bad input, 3 refused by a rule, 4 integrity failure.
int exit_code_for(ErrorCode code);

struct Context {
  std::filesystem::path data_dir;
  std::string database;  // --db: the SQL database (store::StoreOptions)
  std::string evidence;  // --evidence: where the evidence blobs are (store::StoreOptions)
  std::string actor;  // --as, else "os:<login>"
  bool json = false;
  std::string program = "netsample";  // how we were invoked, for hints that can be pasted
  std::unique_ptr<runtime::Runtime> runtime;  // set by open()

  // Opens the data directory (runtime::Runtime::open) and settles the actor. Idempotent.
  Status open();
  store::StoreOptions store_options() const { return {database, evidence}; }
};

// --data, --json, --as (also after the subcommand), and one subcommand required: both programs' command line.
void add_global_options(CLI::App& app, Context& context);

// The TSA trust store for verifying recordings (--trust, else the system-level one; runtime::tsa_trust),
// without opening the database.
std::filesystem::path tsa_trust_store(const Context& context, const std::string& given);

// Reads and parses a JSON file given on the command line; errors name the file.
Result<nlohmann::json> read_json_file(const std::filesystem::path& file);

// Prints an error (a human line on stderr; with --json also {"error": ...} on stdout); returns its exit code.
int report(const Context& context, const Error& error);

// Runs a command body that returns Status and maps the outcome to an exit code.
template <class Body>
int run_command(Context& context, Body body) {
  Status opened = context.open();
  if (!opened.ok()) return report(context, opened.error());
  Status status = body();
  return status.ok() ? 0 : report(context, status.error());
}

void print_json(const nlohmann::json& value);

}  // namespace netsample::app
