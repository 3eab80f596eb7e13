// netsample-recorder: `netsample record` and `netsample record mark` run here (netsample hands the same
// command line over), the only program of ours that loads FFmpeg.
#include "commands.h"

int main(int argc, char** argv) {
  using namespace netsample::app;
  Context context;
  context.program = "netsample";
  int exit_code = 0;

  CLI::App app{"netsample record：连续、网络校时、防篡改的屏幕录像（第35条）", "netsample"};
  add_global_options(app, context);  // the same command line as netsample's
  add_record_commands(app, context, exit_code);
  CLI::App* purchase = app.add_subcommand("purchase", "买样（第三十五条）");
  purchase->require_subcommand(1);
  add_purchase_start_command(*purchase, context, exit_code);
  add_unbox_commands(app, context, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
