// netsample: evidence-grade online sampling (网络抽样) for product-quality supervision.
#include <cstdlib>

#include "commands.h"

int main(int argc, char** argv) {
  using namespace netsample::app;
  Context context;
  context.program = argv[0];
  int exit_code = 0;

  CLI::App app{"netsample：网络抽样取证与监督抽查流程（重庆市产品质量监督抽查实施办法）", "netsample"};
  app.set_version_flag("--version", "netsample 0.1.0");
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand

  const char* env_data = std::getenv("NETSAMPLE_DATA");
  context.data_dir = env_data && *env_data ? env_data : "./netsample-data";
  app.add_option("--data", context.data_dir, "数据目录（默认 $NETSAMPLE_DATA，否则 ./netsample-data）");
  app.add_flag("--json", context.json, "输出 JSON（供程序读取），出错时错误也以 JSON 输出");
  app.add_option("--as", context.actor, "操作人员的名册编号（流程事件必须指明；其余操作默认记为系统登录名）");

  add_case_commands(app, context, exit_code);
  add_roster_commands(app, context, exit_code);
  add_evidence_commands(app, context, exit_code);
  add_audit_commands(app, context, exit_code);
  add_info_command(app, context, exit_code);
  add_period_command(app, context, exit_code);
  add_deadlines_command(app, context, exit_code);
  add_lifecycle_command(app, context, exit_code);
  add_record_commands(app, context, exit_code);
  add_demo_command(app, context, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
