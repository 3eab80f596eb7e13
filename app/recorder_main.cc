// netsample-recorder: `netsample record` and `netsample record mark` run here (netsample hands the same
// command line over), the only program of ours that loads FFmpeg.
#include "commands.h"

int main(int argc, char** argv) {
  using namespace netsample::app;
  Context context;
  context.program = "netsample";
  int exit_code = 0;

  CLI::App app{"netsample record：连续、网络校时、防篡改的屏幕录像（第35条）", "netsample"};
  app.require_subcommand(1);
  app.fallthrough();
  const char* env_data = std::getenv("NETSAMPLE_DATA");
  context.data_dir = env_data && *env_data ? env_data : "./netsample-data";
  app.add_option("--data", context.data_dir, "数据目录");
  app.add_flag("--json", context.json, "输出 JSON");
  app.add_option("--as", context.actor, "操作人员的名册编号");
  add_record_commands(app, context, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
