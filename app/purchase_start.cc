// `netsample purchase start`: one purchase on one recording (Art 35). Runs in netsample-recorder (it
// records). It opens the session, starts the recorder, checks the capture environment and shows the
// findings in the video, then serves `purchase mark` and `purchase finish` from other terminals over the
// recorder's control channel. At the end: seal, verify, store every file as evidence of the case, and
// conclude the session (complete → the case is "ordered"; otherwise incomplete with what is missing).
#include <algorithm>
#include <atomic>
#include <mutex>

#include "commands.h"
#include "netsample/core/process.h"
#include "netsample/core/sha256.h"
#include "netsample/purchase/environment.h"
#include "netsample/purchase/session.h"
#include "netsample/recorder/control.h"
#include "netsample/recorder/verify.h"
#include "netsample/workflow/cases.h"
#include "purchase_view.h"
#include "record.h"

namespace netsample::app {
namespace {

using nlohmann::json;
using namespace recorder;
namespace fs = std::filesystem;
using std::chrono::steady_clock;

struct StartFlags {
  RecordFlags record;
  std::string case_number, trust, browser;
  bool new_purchase = false;
};

// What the recorder's network time check found, as the time_check step records it.
json time_check_record(const std::vector<TimeSample>& samples) {
  if (samples.empty()) return {{"verified", false}, {"note", "没有任何 NTP 服务器应答：时间未经网络校验"}};
  const TimeSample& s = samples.back();
  return {{"verified", true},
          {"server", s.server},
          {"offset_ms", static_cast<double>(s.offset_us) / 1000},
          {"delay_ms", static_cast<double>(s.delay_us) / 1000},
          {"stratum", s.stratum},
          {"reference", s.reference_id},
          {"trusted_time", format_iso8601_beijing(s.trusted_receive())}};
}

std::string time_check_caption(const std::vector<TimeSample>& samples) {
  if (samples.empty()) return "网络校时（第三十五条）：没有 NTP 服务器应答，时间未经网络校验";
  const TimeSample& s = samples.back();
  char offset[96];
  std::snprintf(offset, sizeof offset, "%+.3f 秒，往返 %.1f 毫秒", static_cast<double>(s.offset_us) / 1e6, static_cast<double>(s.delay_us) / 1000);
  return "网络校时（第三十五条）：" + s.server + " 层级 " + std::to_string(s.stratum) + "\n本机时差 " + offset + "\n校时时刻 " +
         format_beijing(s.trusted_receive());
}

// The browser the sampler buys with: --browser, else the version the installed browser reports.
std::string browser_product(const std::string& given) {
  if (!given.empty()) return given;
  for (const char* program : {"/usr/bin/chromium", "/usr/bin/google-chrome", "/usr/bin/firefox"}) {
    if (!fs::exists(program)) continue;
    auto output = run_program({program, "--version"});
    if (!output.ok() || output->exit_code != 0) continue;
    std::string text = output->out;
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    if (!text.empty()) return text;
  }
  return "";
}

int run_purchase_start(Context& context, const StartFlags& flags) {
  Console console("netsample purchase");
  workflow::Lifecycle& lifecycle = context.runtime->lifecycle();
  purchase::PurchaseSessions& sessions = context.runtime->purchases();
  workflow::CaseRegistry& cases = context.runtime->cases();
  auto view = cases.show(flags.case_number);
  if (!view.ok()) return report(context, view.error());
  auto options = to_recorder_options(flags.record);
  if (!options.ok()) return report(context, options.error());
  const std::string actor = context.actor;

  auto running = [](const fs::path& dir) { return send_control(dir, {{"command", "ping"}}).ok(); };
  auto begun = sessions.begin(flags.case_number, flags.record.out, actor, flags.new_purchase, running);
  if (!begun.ok()) return report(context, begun.error());
  const purchase::SessionView session = *begun;
  options->out_dir = session.recording_dir;
  options->case_number = flags.case_number;

  install_stop_signals();
  auto started = Recorder::start(*options, [&console](const Notice& n) { console.notice(n); });
  if (!started.ok()) {
    purchase::RecordingResult failed;
    failed.failure = started.error().describe();
    (void)sessions.conclude(session.id, failed);
    return report(context, started.error());
  }
  std::unique_ptr<Recorder> rec = std::move(started).value();

  // The clean-environment check, in the video and in the manifest (SF/T 0091-2021).
  purchase::EnvironmentInputs inputs;
  if (const workflow::Platform* platform = context.runtime->platforms().find(view->record.platform)) inputs.platform = *platform;
  inputs.browser_product = browser_product(flags.browser);
  if (auto samples = rec->time_samples(); !samples.empty()) inputs.clock = samples.back();
  const purchase::EnvironmentReport environment = purchase::check_environment(inputs);
  rec->show_caption(environment.to_caption());
  auto caption_until = steady_clock::now() + std::chrono::seconds(10);
  (void)rec->attach("environment", environment.to_json());
  if (Status s = sessions.set_environment(session.id, environment.to_json(), actor); !s.ok()) console.say("环境检查未能存入：" + s.error().describe());
  console.say("第 " + std::to_string(session.seq) + " 次买样，任务 " + flags.case_number + "，录像 " + session.recording_dir.string());
  for (std::string line; const char c : environment.to_text() + "\n") {
    if (c != '\n') { line += c; continue; }
    if (!line.empty()) console.say(line);
    line.clear();
  }

  std::mutex session_mutex;  // the control thread marks; the main thread only waits until finish
  std::atomic<bool> finish_requested{false};
  auto control = ControlServer::start(session.recording_dir, [&](const json& request) -> Result<json> {
    const std::string command = request.value("command", "");
    if (command == "ping") return json{{"session", session.id}};
    if (command == "finish") {
      finish_requested = true;
      return json{{"session", session.id}};
    }
    if (command != "purchase_mark") return make_error(ErrorCode::invalid_input, "command", "未知命令 " + command);
    std::lock_guard lock(session_mutex);
    auto fail = [](const Error& e) { return e; };
    const std::string step = request.value("step", "");
    const std::string by = request.value("as", "").empty() ? actor : request.value("as", "");
    if (by != actor && !by.starts_with("os:")) {  // a named person must be a drawn sampler of the case (Art 20)
      auto sampler = lifecycle.holds_role(flags.case_number, by, workflow::CaseRole::sampler);
      if (!sampler.ok()) return fail(sampler.error());
      if (!*sampler)
        return fail(make_error(ErrorCode::refused_by_rule, "as", by + " 不是任务 " + flags.case_number + " 选派的抽样人员，不能标记买样步骤", 20));
    }
    auto checked = sessions.check_step(session.id, step, request.value("fields", json::object()));
    if (!checked.ok()) return fail(checked.error());
    if (step == "time_check") {
      const auto samples = rec->time_samples();
      (*checked)["ntp"] = time_check_record(samples);
      rec->show_caption(time_check_caption(samples));
      caption_until = steady_clock::now() + std::chrono::seconds(6);
    }
    auto marker = rec->mark(step, request.value("note", purchase::find_step(step)->label));
    if (!marker.ok()) return fail(marker.error());
    purchase::StepRecord record{step, *checked, marker->index, marker->frame, from_utc_us(marker->utc_us), marker->still, marker->still_sha256, by};
    auto added = sessions.add_step(session.id, record, by);
    if (!added.ok()) return fail(added.error());
    console.say("已标记「" + purchase::find_step(step)->label + "」：第 " + std::to_string(marker->frame) + " 帧");
    return json{{"step", added->to_json()}};
  });
  if (!control.ok()) console.notice(Notice{NoticeLevel::error, control.error().describe()});
  console.say("开始录制。按第三十五条依次标记：先 time_check（网络校时），再 search、licence、product_page、order、payment、chat；");
  console.say("另开终端：" + context.program + " purchase mark 步骤 --field 名称=值 …；结束：" + context.program + " purchase finish（或 Ctrl+C）");

  bool caption_shown = true;
  while (!stop_signal && !finish_requested && !rec->capture_ended()) {
    console.tick(rec->progress());
    std::lock_guard lock(session_mutex);
    if (caption_shown && steady_clock::now() > caption_until) rec->show_caption("");
    caption_shown = steady_clock::now() <= caption_until;
  }
  if (control.ok()) control->reset();
  console.end_line();
  console.say("正在结束、封存并校验录像……");

  purchase::RecordingResult result;
  if (auto current = sessions.get(session.id); current.ok()) {
    json steps = json::array();
    for (const auto& s : current->steps) steps.push_back(s.to_json());
    (void)rec->attach("purchase", {{"case_number", flags.case_number}, {"session", session.id}, {"seq", session.seq}, {"steps", steps}});
  }
  auto outcome = rec->finish();
  if (!outcome.ok()) {
    result.failure = outcome.error().describe();
  } else {
    result.finished = true;
    result.manifest_sha256 = outcome->manifest_sha256;
    auto verified = verify_recording(session.recording_dir, tsa_trust_store(context, flags.trust));
    if (verified.ok()) result.verify = verified->to_json();
    else result.failure = verified.error().describe();
    if (!verified.ok()) result.finished = false;
  }
  if (Status stored = store_recording_files(context, view->id, flags.case_number, session.recording_dir, actor); !stored.ok())
    console.say("录像文件未能全部存为证据：" + stored.error().describe());
  auto concluded = sessions.conclude(session.id, result);
  if (!concluded.ok()) return report(context, concluded.error());
  if (context.json)
    print_json(concluded->to_json());
  else
    print_session(*concluded, context.program);
  return concluded->state == "complete" ? 0 : 3;
}

}  // namespace

void add_purchase_start_command(CLI::App& purchase, Context& context, int& exit_code) {
  auto flags = std::make_shared<StartFlags>();
  CLI::App* start = purchase.add_subcommand("start", "开始一次买样：检查取证环境、开始连续录像（第三十五条），直到 purchase finish 或 Ctrl+C");
  start->add_option("--case", flags->case_number, "抽样任务编号")->required();
  add_recorder_flags(start, flags->record);
  start->add_option("--out", flags->record.out, "录像目录（默认 <数据目录>/recordings/<任务>-purchase-<次数>）");
  start->add_option("--trust", flags->trust, "校验时间戳用的 CA 证书（PEM）；默认 <数据目录>/tsa-trust.pem，否则系统 CA");
  start->add_option("--browser", flags->browser, "买样所用浏览器的名称和版本（默认读取本机 Chromium 的版本）");
  start->add_flag("--new-purchase", flags->new_purchase, "前一次买样未完成，重新购买（新录像从网络校时开始）");
  start->callback([&context, &exit_code, flags] {
    Status opened = context.open();
    exit_code = opened.ok() ? run_purchase_start(context, *flags) : report(context, opened.error());
  });
}

}  // namespace netsample::app
