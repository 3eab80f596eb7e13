// `netsample purchase start`: one purchase on one recording (Art 35), run by purchase::PurchaseRecording.
// Runs in netsample-recorder (it records); here only its flags and what the sampler's terminal shows.
#include <sys/resource.h>

#include <cstdio>

#include "commands.h"
#include "netsample/purchase/recording.h"
#include "purchase_view.h"
#include "record.h"

namespace netsample::app {
namespace {

struct StartFlags {
  RecordFlags record;
  std::string case_number, trust, browser;
  std::vector<std::string> check_resolvers;
  bool new_purchase = false, own_browser = false, no_console = false, no_page_capture = false;
  int console_port = 0;
};

int run_purchase_start(Context& context, const StartFlags& flags) {
  Console console("netsample purchase");
  purchase::PurchaseRecordingOptions options;
  auto recorder_options = to_recorder_options(flags.record);
  if (!recorder_options.ok()) return report(context, recorder_options.error());
  options.recorder = std::move(recorder_options).value();
  options.recording_dir = flags.record.out;
  options.new_purchase = flags.new_purchase;
  options.browser_product = flags.browser;
  options.own_browser = flags.own_browser;
  options.console = !flags.no_console;
  options.page_capture = !flags.no_page_capture;
  options.console_port = flags.console_port;
  for (const auto& text : flags.check_resolvers)
    if (auto address = purchase::parse_resolver_address(text, "--check-resolver"); !address.ok()) return report(context, address.error());
  options.check_resolvers = flags.check_resolvers;
  auto adapters = extract::Adapters::load(context.runtime->data_dir());
  if (!adapters.ok()) return report(context, adapters.error());
  options.adapters = std::move(adapters).value();
  options.trust_store = tsa_trust_store(context, flags.trust);
  install_stop_signals();
  auto started = purchase::PurchaseRecording::start(
      context.runtime->store(), context.runtime->lifecycle(), context.runtime->platforms(), flags.case_number, context.actor, options,
      [&console](const recorder::Notice& n) { console.notice(n); }, [&console](const std::string& line) { console.say(line); });
  if (!started.ok()) return report(context, started.error());
  purchase::PurchaseRecording& recording = **started;
  const purchase::SessionView& session = recording.session();
  console.say("第 " + std::to_string(session.seq) + " 次买样，任务 " + flags.case_number + "，录像 " + session.recording_dir.string());
  for (std::string line; const char c : recording.environment().to_text() + "\n") {
    if (c != '\n') { line += c; continue; }
    if (!line.empty()) console.say(line);
    line.clear();
  }
  if (const std::string url = recording.console_url(); !url.empty())
    console.say("买样工作台（在录制区域以外或第二块屏幕上用浏览器打开；地址含一次性令牌，不要告诉他人）：" + url);
  if (!flags.own_browser) console.say("已在录制区域内打开 netsample 的浏览器（全新配置），请以消费者身份在其中购买；浏览的网页逐条存证");
  console.say("开始录制。按第三十五条依次标记：先 time_check（网络校时），再 search、licence、product_page、order、payment、chat；");
  console.say("另开终端：" + context.program + " purchase mark 步骤 --field 名称=值 …；结束：" + context.program + " purchase finish（或 Ctrl+C）");
  auto concluded = recording.run([] { return stop_signal != 0; }, [&console](const recorder::Progress& p) { console.tick(p); });
  console.end_line();
  // What recording cost this machine (capture, encoding, hashing, page capture; the browser is a process of its own).
  rusage used{};
  if (::getrusage(RUSAGE_SELF, &used) == 0) {
    char line[160];
    std::snprintf(line, sizeof line, "录制程序 CPU 用时：用户 %.2f 秒，系统 %.2f 秒", static_cast<double>(used.ru_utime.tv_sec) + used.ru_utime.tv_usec / 1e6,
                  static_cast<double>(used.ru_stime.tv_sec) + used.ru_stime.tv_usec / 1e6);
    console.say(line);
  }
  if (!concluded.ok()) return report(context, concluded.error());
  if (context.json)
    print_json(concluded->to_json());
  else
    print_session(*concluded, context.program);
  return concluded->state == purchase::PurchaseState::complete ? 0 : exit_code_for(ErrorCode::refused_by_rule);  // Art 35: an incomplete purchase
}

}  // namespace

void add_purchase_start_command(CLI::App& purchase, Context& context, int& exit_code) {
  auto flags = std::make_shared<StartFlags>();
  CLI::App* start = purchase.add_subcommand("start", "开始一次买样：检查取证环境、开始连续录像（第三十五条），直到 purchase finish 或 Ctrl+C");
  start->add_option("--case", flags->case_number, "抽样任务编号")->required();
  add_recorder_flags(start, flags->record);
  start->add_option("--out", flags->record.out, "录像目录（默认 <数据目录>/recordings/<任务>-purchase-<次数>）");
  start->add_option("--trust", flags->trust, "校验时间戳用的 CA 证书（PEM）；默认 /etc/netsample/tsa-trust.pem，否则系统 CA");
  start->add_flag("--own-browser", flags->own_browser,
                  "用自备的浏览器买样（默认由 netsample 在录制区域内打开全新的 Chromium，并把浏览的每个网页以 WARC 存入录像的哈希链）");
  start->add_option("--check-resolver", flags->check_resolvers,
                    "第二个 DNS 解析器 地址[:端口]（IPv4，或 [IPv6]:端口；默认端口 53），可多个：取证环境检查向它查询平台域名，与本机系统解析器的结果比对");
  start->add_option("--console-port", flags->console_port, "买样工作台在 127.0.0.1 上的端口（默认任选空闲端口）");
  start->add_flag("--no-page-capture", flags->no_page_capture,
                  "netsample 的浏览器照常打开，但网页不以 WARC 保存（只用于测量网页存证的开销；取证环境检查会注明）");
  start->add_flag("--no-console", flags->no_console, "不开买样工作台（只用 purchase mark 标记）");
  start->add_option("--browser", flags->browser, "与 --own-browser 同用：自备浏览器的名称和版本（默认读取本机 Chromium 的版本）");
  start->add_flag("--new-purchase", flags->new_purchase, "前一次买样未完成，重新购买（新录像从网络校时开始）");
  start->callback([&context, &exit_code, flags] {
    Status opened = context.open();
    exit_code = opened.ok() ? run_purchase_start(context, *flags) : report(context, opened.error());
  });
}

}  // namespace netsample::app
