#include "netsample/purchase/recording.h"

#include <atomic>
#include <mutex>
#include <thread>

#include "netsample/browser/browser.h"
#include "netsample/core/process.h"
#include "netsample/recorder/control.h"
#include "netsample/recorder/seal.h"
#include "netsample/recorder/verify.h"
#include "netsample/webcapture/webcapture.h"
#include "netsample/workflow/cases.h"

namespace netsample::purchase {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;
using std::chrono::steady_clock;

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

// The browser the sampler buys with, as the installed one reports itself.
std::string installed_browser() {
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

// Where the sampler starts: the platform's page of the shop (its origin), else a blank page.
std::string start_page(const workflow::CaseRecord& record) {
  for (const auto& url : {record.shop_url, record.listing_url}) {
    if (!url) continue;
    const size_t scheme = url->find("://");
    if (scheme == std::string::npos) continue;
    return url->substr(0, url->find('/', scheme + 3)) + "/";
  }
  return "about:blank";
}

}  // namespace

struct PurchaseRecording::State {
  store::Store* store = nullptr;
  workflow::Lifecycle* lifecycle = nullptr;
  std::unique_ptr<PurchaseSessions> sessions;
  std::string actor;
  workflow::CaseView view;
  PurchaseRecordingOptions options;
  SessionView session;
  EnvironmentReport environment;
  Say say;
  std::unique_ptr<recorder::Recorder> rec;
  std::unique_ptr<browser::Chromium> chromium;         // netsample's browser (none with --own-browser)
  std::unique_ptr<webcapture::BrowserCapture> pages;   // what it receives, into pages.warc.gz
  bool local_platform = false;                          // the demo shop: the control channel may drive the browser
  std::unique_ptr<recorder::ControlServer> control;
  std::mutex mutex;  // the control thread marks; run() only shows and hides the caption
  std::atomic<bool> finish_requested{false};
  steady_clock::time_point caption_until;

  Result<json> handle(const json& request);
  Result<json> mark(const json& request);
  Result<json> drive_browser(const json& request);
  Status open_browser();
  nlohmann::json close_browser();
};

// Chromium on the recorded screen, inside the recorded region, with a fresh profile; its pages captured from the
// first request on.
Status PurchaseRecording::State::open_browser() {
  browser::LaunchOptions launch;
  launch.executable = options.chromium;
  launch.profile_dir = session.recording_dir / "browser-profile";
  if (options.recorder.source.kind == recorder::SourceKind::x11) launch.display = options.recorder.source.url.substr(0, options.recorder.source.url.find('+'));
  const auto [width, height] = rec->picture_size();
  launch.width = width;
  launch.height = height;
  if (options.recorder.region) launch.x = options.recorder.region->x, launch.y = options.recorder.region->y;
  NETSAMPLE_ASSIGN(chromium, browser::Chromium::launch(launch));
  webcapture::CaptureOptions capture;
  capture.warc_file = session.recording_dir / recorder::kPagesFile;
  capture.warcinfo = {{"case", view.record.number}, {"purchase_session", std::to_string(session.id)}, {"operator", actor}};
  recorder::Recorder* recording = rec.get();
  capture.now = [recording] {
    const recorder::Position p = recording->position();
    return webcapture::Stamp{p.frame, p.utc_us, p.time_verified};
  };
  capture.journal = [recording](const warc::WrittenRecord& w, const webcapture::Stamp& stamp) {
    return status_of(recording->journal_page(recorder::PageInput{w.offset, w.length, w.member_sha256, stamp.frame, stamp.utc_us, w.target_uri, w.type}));
  };
  NETSAMPLE_ASSIGN(pages, webcapture::BrowserCapture::start(*chromium, capture));
  return browser::Page::of(*chromium).navigate(start_page(view.record));
}

// Stops the capture (the WARC closed, every record chained), then the browser; its profile (the consumer account's
// cookies) goes with it. What was captured, for the manifest.
json PurchaseRecording::State::close_browser() {
  json summary = nullptr;
  if (pages) {
    auto stats = pages->finish();
    summary = stats.ok() ? stats->to_json() : json{{"failure", stats.error().describe()}};
    pages.reset();
  }
  chromium.reset();
  std::error_code ignored;
  std::filesystem::remove_all(session.recording_dir / "browser-profile", ignored);
  return summary;
}

// One DevTools command on netsample's browser, for the demo's scripted sampler: only on a local platform.
Result<json> PurchaseRecording::State::drive_browser(const json& request) {
  if (!local_platform)
    return make_error(ErrorCode::refused_by_rule, "command", "只有本机演示平台上的浏览器可以由程序操作；在真实平台上由抽样人员以消费者身份亲手购买", 35);
  if (!chromium) return make_error(ErrorCode::not_found, "browser", "本次买样没有 netsample 打开的浏览器（--own-browser）");
  NETSAMPLE_ASSIGN(json result, browser::Page::of(*chromium).call(request.value("method", ""), request.value("params", json::object())));
  return json{{"result", result}};
}

Result<json> PurchaseRecording::State::handle(const json& request) {
  const std::string command = request.value("command", "");
  if (command == "ping") return json{{"session", session.id}};
  if (command == "finish") {
    finish_requested = true;
    return json{{"session", session.id}};
  }
  if (command == "browser") return drive_browser(request);
  if (command != "purchase_mark") return make_error(ErrorCode::invalid_input, "command", "未知命令 " + command);
  std::lock_guard lock(mutex);
  return mark(request);
}

Result<json> PurchaseRecording::State::mark(const json& request) {
  const std::string step = request.value("step", "");
  const std::string by = request.value("as", "").empty() ? actor : request.value("as", "");
  if (by != actor && !by.starts_with("os:")) {  // a named person must be a drawn sampler of the case (Art 20)
    NETSAMPLE_ASSIGN(bool sampler, lifecycle->holds_role(view.record.number, by, workflow::CaseRole::sampler));
    if (!sampler)
      return make_error(ErrorCode::refused_by_rule, "as", by + " 不是任务 " + view.record.number + " 选派的抽样人员，不能标记买样步骤", 20);
  }
  NETSAMPLE_ASSIGN(json checked, sessions->check_step(session.id, step, request.value("fields", json::object())));
  if (step == "time_check") {
    const auto samples = rec->time_samples();
    checked["ntp"] = time_check_record(samples);
    rec->show_caption(time_check_caption(samples));
    caption_until = steady_clock::now() + std::chrono::seconds(6);
  }
  NETSAMPLE_ASSIGN(recorder::Marker marker, rec->mark(step, request.value("note", find_step(step)->label)));
  StepRecord record{step, checked, marker.index, marker.frame, from_utc_us(marker.utc_us), marker.still, marker.still_sha256, by};
  NETSAMPLE_ASSIGN(StepRecord added, sessions->add_step(session.id, record, by));
  say("已标记「" + find_step(step)->label + "」：第 " + std::to_string(marker.frame) + " 帧");
  return json{{"step", added.to_json()}};
}

PurchaseRecording::PurchaseRecording(std::unique_ptr<State> state) : state_(std::move(state)) {}

PurchaseRecording::~PurchaseRecording() {
  state_->control.reset();  // no mark may arrive while the recorder goes away
}

const SessionView& PurchaseRecording::session() const { return state_->session; }
const EnvironmentReport& PurchaseRecording::environment() const { return state_->environment; }

Result<std::unique_ptr<PurchaseRecording>> PurchaseRecording::start(store::Store& store, workflow::Lifecycle& lifecycle,
                                                                    const workflow::PlatformRegistry& platforms, const std::string& case_number,
                                                                    const std::string& actor, PurchaseRecordingOptions options,
                                                                    std::function<void(const recorder::Notice&)> on_notice, Say say) {
  auto s = std::make_unique<State>();
  s->store = &store;
  s->lifecycle = &lifecycle;
  s->sessions = std::make_unique<PurchaseSessions>(store, lifecycle);
  s->actor = actor;
  s->say = std::move(say);
  NETSAMPLE_ASSIGN(s->view, workflow::CaseRegistry(store).show(case_number));
  auto running = [](const fs::path& dir) { return recorder::send_control(dir, {{"command", "ping"}}).ok(); };
  NETSAMPLE_ASSIGN(s->session, s->sessions->begin(case_number, options.recording_dir, actor, options.new_purchase, running));
  options.recorder.out_dir = s->session.recording_dir;
  options.recorder.case_number = case_number;
  s->options = options;

  auto started = recorder::Recorder::start(options.recorder, std::move(on_notice));
  if (!started.ok()) {
    RecordingResult failed;
    failed.failure = started.error().describe();
    (void)s->sessions->conclude(s->session.id, failed);
    return started.error();
  }
  s->rec = std::move(started).value();

  const workflow::Platform* platform = platforms.find(s->view.record.platform);
  s->local_platform = platform && platform->local;
  if (!options.own_browser) {
    if (Status opened = s->open_browser(); !opened.ok()) {  // the purchase cannot go on: end the recording cleanly
      s->close_browser();
      s->rec->request_stop();
      RecordingResult failed;
      failed.failure = "无法打开买样浏览器：" + opened.error().describe();
      auto outcome = s->rec->finish();
      if (outcome.ok()) failed.manifest_sha256 = outcome->manifest_sha256;
      (void)s->sessions->conclude(s->session.id, failed);
      return opened.error();
    }
  }

  // The clean-environment check, in the video and in the manifest (SF/T 0091-2021).
  EnvironmentInputs inputs;
  if (platform) inputs.platform = *platform;
  if (s->chromium) {
    inputs.browser_product = s->chromium->product();
    inputs.browser_command_line = s->chromium->command_line();
  } else {
    inputs.browser_product = options.browser_product.empty() ? installed_browser() : options.browser_product;
  }
  if (auto samples = s->rec->time_samples(); !samples.empty()) inputs.clock = samples.back();
  s->environment = check_environment(inputs);
  s->rec->show_caption(s->environment.to_caption());
  s->caption_until = steady_clock::now() + std::chrono::seconds(10);
  (void)s->rec->attach("environment", s->environment.to_json());
  if (Status stored = s->sessions->set_environment(s->session.id, s->environment.to_json(), actor); !stored.ok())
    s->say("环境检查未能存入：" + stored.error().describe());

  State* state = s.get();
  auto control = recorder::ControlServer::start(state->session.recording_dir, [state](const json& request) { return state->handle(request); });
  if (control.ok()) s->control = std::move(control).value();
  else s->say("错误：" + control.error().describe());
  return std::unique_ptr<PurchaseRecording>(new PurchaseRecording(std::move(s)));
}

Result<SessionView> PurchaseRecording::run(const std::function<bool()>& stop, const std::function<void(const recorder::Progress&)>& tick) {
  State& s = *state_;
  bool caption_shown = true;
  while (!stop() && !s.finish_requested && !s.rec->capture_ended()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    tick(s.rec->progress());
    std::lock_guard lock(s.mutex);
    if (caption_shown && steady_clock::now() > s.caption_until) s.rec->show_caption("");
    caption_shown = steady_clock::now() <= s.caption_until;
  }
  s.control.reset();
  s.say("正在结束、封存并校验录像……");
  if (s.chromium) (void)s.rec->attach("pages", s.close_browser());  // before the seal: every page is in the chain

  RecordingResult result;
  if (auto current = s.sessions->get(s.session.id); current.ok()) {
    json steps = json::array();
    for (const auto& step : current->steps) steps.push_back(step.to_json());
    (void)s.rec->attach("purchase", {{"case_number", s.view.record.number}, {"session", s.session.id}, {"seq", s.session.seq}, {"steps", steps}});
  }
  auto outcome = s.rec->finish();
  if (!outcome.ok()) {
    result.failure = outcome.error().describe();
  } else {
    result.manifest_sha256 = outcome->manifest_sha256;
    auto verified = recorder::verify_recording(s.session.recording_dir, s.options.trust_store);
    result.finished = verified.ok();
    if (verified.ok()) result.verify = verified->to_json();
    else result.failure = verified.error().describe();
  }
  for (const recorder::RecordingFile& file : recorder::recording_files(s.session.recording_dir)) {
    auto stored = s.store->add_evidence(s.view.id, s.view.record.number, file.path, std::string(recorder::to_string(file.kind)), s.actor);
    if (!stored.ok()) {
      s.say("录像文件未能全部存为证据：" + stored.error().describe());
      break;
    }
  }
  return s.sessions->conclude(s.session.id, result);
}

}  // namespace netsample::purchase
