#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "netsample/core/file_io.h"
#include "netsample/testing/loopback.h"
#include "log_text.h"

namespace netsample::loopback {
namespace fs = std::filesystem;
using namespace std::chrono;

namespace {

fs::path postgres_bin() {
  std::error_code ec;
  for (const auto& version : fs::directory_iterator("/usr/lib/postgresql", ec))
    if (fs::exists(version.path() / "bin" / "initdb")) return version.path() / "bin";
  return {};
}

Result<ProgramOutput> run_as(const std::vector<std::string>& as_owner, std::vector<std::string> argv) {
  argv.insert(argv.begin(), as_owner.begin(), as_owner.end());
  return run_program(argv);
}

}  // namespace

Result<std::unique_ptr<PostgresServer>> PostgresServer::start() {
  std::unique_ptr<PostgresServer> server(new PostgresServer());
  server->bin_ = postgres_bin();
  if (server->bin_.empty())
    return make_error(ErrorCode::not_found, "postgresql", "没有找到 PostgreSQL（需要 Debian 软件包 postgresql）");
  // Its own folder under /tmp, not the test's (which only we may enter): the server's user must reach it.
  char pattern[] = "/tmp/netsample-pg-XXXXXX";
  if (!::mkdtemp(pattern)) return io_error(pattern, "无法创建临时目录");
  server->dir_ = pattern;
  std::error_code ec;
  fs::create_directories(server->dir_ / "data", ec);
  if (::geteuid() == 0) {
    const passwd* owner = ::getpwnam("postgres");
    if (!owner) return make_error(ErrorCode::not_found, "postgres", "以 root 运行时需要系统用户 postgres（Debian 软件包 postgresql 会建立）");
    for (const auto& path : {server->dir_, server->dir_ / "data"})
      if (::chown(path.c_str(), owner->pw_uid, owner->pw_gid) != 0) return io_error(path, "无法交给 postgres 用户");
    server->as_owner_ = {"/usr/sbin/runuser", "-u", "postgres", "--"};
  }
  const std::string data = (server->dir_ / "data").string(), socket_dir = server->dir_.string();
  NETSAMPLE_ASSIGN(ProgramOutput made, run_as(server->as_owner_, {(server->bin_ / "initdb").string(), "-D", data, "-U", "netsample",
                                                                  "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"}));
  if (made.exit_code != 0) return make_error(ErrorCode::not_found, "initdb", "initdb 失败：" + made.err);
  // No TCP at all; trust on the socket, which sits in a folder only the server's user and root may enter.
  std::vector<std::string> argv = server->as_owner_;
  for (const std::string& arg : {(server->bin_ / "postgres").string(), std::string("-D"), data, std::string("-k"), socket_dir,
                                 std::string("-c"), std::string("listen_addresses="), std::string("-F")})
    argv.push_back(arg);
  server->server_ = std::make_unique<ChildProcess>(argv, server->dir_ / "server.log");
  const auto deadline = steady_clock::now() + seconds(30);
  for (;;) {
    auto ready = run_program({(server->bin_ / "pg_isready").string(), "-q", "-h", socket_dir, "-U", "netsample", "-d", "postgres"});
    if (ready.ok() && ready->exit_code == 0) break;
    if (!server->server_->running() || steady_clock::now() > deadline) {
      return make_error(ErrorCode::not_found, "postgres", "PostgreSQL 没有启动：" + log_text(server->dir_ / "server.log"));
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  return server;
}

Status PostgresServer::create_database(const std::string& name, const std::string& template_name) const {
  return create_database(dir_, name, template_name);
}

std::string PostgresServer::url(const std::string& database) const { return url(dir_, database); }

Status PostgresServer::run_sql(const std::string& database, const std::string& sql) const {
  static int counter = 0;
  const fs::path file = dir_ / ("run-" + std::to_string(++counter) + ".sql");
  NETSAMPLE_TRY(write_file_atomic(file, sql));
  NETSAMPLE_ASSIGN(ProgramOutput ran, run_program({(postgres_bin() / "psql").string(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h",
                                                   dir_.string(), "-U", "netsample", "-d", database, "-f", file.string()}));
  std::error_code ignored;
  fs::remove(file, ignored);
  if (ran.exit_code != 0) return make_error(ErrorCode::database, database, "psql 失败：" + ran.err);
  return {};
}

Status PostgresServer::create_database(const fs::path& socket_dir, const std::string& name, const std::string& template_name) {
  std::vector<std::string> argv = {(postgres_bin() / "createdb").string(), "-h", socket_dir.string(), "-U", "netsample"};
  if (!template_name.empty()) argv.insert(argv.end(), {"-T", template_name});
  argv.push_back(name);
  NETSAMPLE_ASSIGN(ProgramOutput made, run_program(argv));
  if (made.exit_code != 0) return make_error(ErrorCode::database, name, "createdb 失败：" + made.err);
  return {};
}

std::string PostgresServer::url(const fs::path& socket_dir, const std::string& database) {
  return "postgresql:///" + database + "?host=" + socket_dir.string() + "&user=netsample";
}

PostgresServer::~PostgresServer() {
  server_.reset();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

}  // namespace netsample::loopback
