// netsample: evidence-grade online sampling (网络抽样) for product-quality supervision.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string_view>
#include <vector>

#include "commands.h"

namespace {

// True for the commands that need the media libraries: `record ...`, `unbox ...` and `purchase start ...` (the first words that are not
// global options or their values).
bool is_record_command(int argc, char** argv) {
  std::vector<std::string_view> words;
  for (int i = 1; i < argc && words.size() < 2; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--data" || arg == "--as") {
      ++i;
      continue;
    }
    if (arg.starts_with("-")) continue;
    words.push_back(arg);
  }
  if (words.empty()) return false;
  return words[0] == "record" || words[0] == "unbox" || (words[0] == "purchase" && words.size() > 1 && words[1] == "start");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace netsample::app;
  Context context;
  context.program = argv[0];
  int exit_code = 0;

  CLI::App app{"netsample：网络抽样取证与监督抽查流程（重庆市产品质量监督抽查实施办法）", "netsample"};
  app.set_version_flag("--version", "netsample 0.1.0");
  add_global_options(app, context);

  add_case_commands(app, context, exit_code);
  add_roster_commands(app, context, exit_code);
  add_evidence_commands(app, context, exit_code);
  add_audit_commands(app, context, exit_code);
  add_info_command(app, context, exit_code);
  add_storage_command(app, context, exit_code);
  add_period_command(app, context, exit_code);
  add_calendar_command(app, context, exit_code);
  add_deadlines_command(app, context, exit_code);
  add_lifecycle_command(app, context, exit_code);
  add_verify_command(app, context, exit_code);
  // Listed here for --help; the command line is handed over before parsing (below).
  app.add_subcommand("record", "连续录制屏幕（第35条）；record mark 加标记。由同目录的 netsample-recorder 执行");
  app.add_subcommand("unbox", "拆封（第36条）：unbox start/mark/finish/show 拆封录像与确认，unbox analyze 识别面单条码与二维码。由 netsample-recorder 执行")->allow_extras();
  add_purchase_commands(app, context, exit_code);
  add_track_commands(app, context, exit_code);
  add_seal_command(app, context, exit_code);
  add_notices_commands(app, context, exit_code);
  add_demo_command(app, context, exit_code);
  add_account_commands(app, context, exit_code);
  add_serve_command(app, context, exit_code);
  add_sync_commands(app, context, exit_code);
  add_export_command(app, context, exit_code);
  add_crawl_command(app, context, exit_code);
  add_search_command(app, context, exit_code);

  if (is_record_command(argc, argv)) {
    // Recording runs in its own program beside this one, so that only it loads FFmpeg (and the ~200 shared
    // libraries behind it): every other command, verify included, starts in milliseconds.
    std::error_code ec;
    const auto recorder = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / "netsample-recorder";
    std::vector<char*> args(argv, argv + argc);
    args.push_back(nullptr);
    args[0] = const_cast<char*>(recorder.c_str());
    ::execv(recorder.c_str(), args.data());
    return report(context, netsample::make_error(netsample::ErrorCode::not_found, "record",
                                                 "找不到录制程序 " + recorder.string() + "（应与 netsample 在同一目录）"));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
