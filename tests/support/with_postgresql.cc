// Runs a test program against PostgreSQL: `with_postgresql PROGRAM [ARGS…]` starts a real PostgreSQL 15
// (loopback::PostgresServer), migrates a template database with the whole schema once, and runs the program with
// NETSAMPLE_TEST_POSTGRESQL set to the server's socket folder. testing::open_store then gives each test a fresh copy
// of the template instead of a SQLite file (tests/support/testing.h). Exits with the program's status.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <vector>

#include "netsample/store/database.h"
#include "netsample/testing/loopback.h"
#include "testing.h"

int main(int argc, char** argv) {
  using namespace netsample;
  if (argc < 2) {
    std::cerr << "usage: with_postgresql PROGRAM [ARGS...]\n";
    return 2;
  }
  auto server = loopback::PostgresServer::start();
  if (!server.ok()) {
    std::cerr << "with_postgresql: " << server.error().describe() << "\n";
    return 1;
  }
  const loopback::PostgresServer& postgres = **server;
  {
    const Status made = postgres.create_database(testing::kPostgresqlTemplate);
    auto migrated = made.ok() ? store::Database::connect_postgresql(postgres.url(testing::kPostgresqlTemplate))
                              : Result<store::Database>(made.error());
    if (!migrated.ok()) {
      std::cerr << "with_postgresql: " << migrated.error().describe() << "\n";
      return 1;
    }
  }  // disconnected: a template is copied only while nobody is connected to it
  ::setenv("NETSAMPLE_TEST_POSTGRESQL", postgres.socket_dir().c_str(), 1);
  std::cerr << "with_postgresql: PostgreSQL on " << postgres.socket_dir().string() << "\n" << std::flush;

  const pid_t child = ::fork();
  if (child == 0) {
    ::execv(argv[1], argv + 1);
    std::perror(argv[1]);
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  std::cerr << "with_postgresql: " << argv[1] << " ended by signal " << WTERMSIG(status) << "\n";
  return 1;
}
