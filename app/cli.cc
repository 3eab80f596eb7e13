#include "cli.h"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cstdlib>

#include "netsample/core/file_io.h"
#include "netsample/core/json_fields.h"

namespace netsample::app {

void add_global_options(CLI::App& app, Context& context) {
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand
  const char* env_data = std::getenv("NETSAMPLE_DATA");
  context.data_dir = env_data && *env_data ? env_data : "./netsample-data";
  app.add_option("--data", context.data_dir, "数据目录（默认 $NETSAMPLE_DATA，否则 ./netsample-data）");
  const char* env_database = std::getenv("NETSAMPLE_DATABASE");
  context.database = env_database ? env_database : "";
  app.add_option("--db", context.database,
                 "数据库：默认数据目录中的 SQLite 文件；postgresql://用户@主机/库名 为中心的 PostgreSQL（口令取自 PGPASSWORD 或 ~/.pgpass，"
                 "不得写在地址里）。默认 $NETSAMPLE_DATABASE");
  const char* env_evidence = std::getenv("NETSAMPLE_EVIDENCE");
  context.evidence = env_evidence ? env_evidence : "";
  app.add_option("--evidence", context.evidence,
                 "证据存放处：默认数据目录下的 evidence/；s3://存储桶?endpoint=http://主机:端口 为 S3 兼容对象存储"
                 "（密钥取自环境变量 NETSAMPLE_S3_ACCESS_KEY/NETSAMPLE_S3_SECRET_KEY 或 credentials=密钥文件）。"
                 "数据目录记住第一次给出的存放处（默认 $NETSAMPLE_EVIDENCE）");
  app.add_flag("--json", context.json, "输出 JSON（供程序读取），出错时错误也以 JSON 输出");
  app.add_option("--as", context.actor, "操作人员的名册编号（流程事件必须指明；其余操作默认记为系统登录名）");
}

std::filesystem::path tsa_trust_store(const Context& context, const std::string& given) {
  return runtime::tsa_trust_store(context.data_dir, given);
}

int exit_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_input:
    case ErrorCode::missing_field:
    case ErrorCode::wrong_type:
    case ErrorCode::malformed_json:
    case ErrorCode::duplicate:
    case ErrorCode::not_found:
    case ErrorCode::too_large:
      return 2;
    case ErrorCode::refused_by_rule:
    case ErrorCode::unauthenticated:
    case ErrorCode::forbidden:
    case ErrorCode::rate_limited:
      return 3;
    case ErrorCode::integrity:
      return 4;
    case ErrorCode::io:
    case ErrorCode::database:
    case ErrorCode::network:
    case ErrorCode::internal:
      return 1;
  }
  return 1;
}

Status Context::open() {
  if (runtime) return {};
  if (actor.empty()) {
    const char* login = std::getenv("USER");
    actor = std::string("os:") + (login && *login ? login : std::to_string(::getuid()));
  }
  NETSAMPLE_ASSIGN(runtime, runtime::Runtime::open(data_dir, store_options()));
  // The netsample programs this one starts (the demo's steps, the service's page captures and video imports) open
  // the same database: it is in their environment (the URL holds no password: store::StoreOptions).
  if (!database.empty()) ::setenv("NETSAMPLE_DATABASE", database.c_str(), 1);
  return {};
}

Result<nlohmann::json> read_json_file(const std::filesystem::path& file) {
  NETSAMPLE_ASSIGN(std::string text, read_file(file));
  return parse_json(text, file.string());
}

int report(const Context& context, const Error& error) {
  std::cerr << "netsample: 错误 [" << to_string(error.code) << "] " << error.describe() << "\n";
  if (context.json) print_json({{"error", error_to_json(error)}});
  return exit_code_for(error.code);
}

void print_json(const nlohmann::json& value) { std::cout << value.dump(2) << "\n"; }

}  // namespace netsample::app
