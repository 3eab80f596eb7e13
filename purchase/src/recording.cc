#include "netsample/purchase/recording.h"

#include <atomic>
#include <mutex>
#include <thread>

#include "netsample/browser/browser.h"
#include "netsample/core/process.h"
#include "netsample/ocr/ocr.h"
#include "netsample/recorder/control.h"
#include "netsample/recorder/seal.h"
#include "netsample/recorder/verify.h"
#include "netsample/webcapture/webcapture.h"
#include "netsample/workflow/cases.h"
#include "console.h"

namespace netsample::purchase {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

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
  std::unique_ptr<StationConsole> console;
  std::mutex mutex;  // the control thread marks; run() only reports progress
  std::atomic<bool> finish_requested{false};
  // The control channel answers from the recorder's first frame (a second `purchase start` must see this one
  // running), but takes commands only once the browser is open and the environment checked.
  std::atomic<bool> ready{false};

  Result<json> handle(const json& request);
  Result<json> mark(const json& request);
  Result<json> drive_browser(const json& request);
  Result<json> read_page(const std::string& step);
  json console_state();
  Status open_browser();
  nlohmann::json close_browser();
};

// Chromium on the recorded screen, inside the recorded region, with a fresh profile; its pages captured from the
// first request on.
Status PurchaseRecording::State::open_browser() {
  browser::LaunchOptions launch;
  launch.executable = options.chromium;
  launch.profile_dir = session.recording_dir / "browser-profile";
  launch.home = launch.profile_dir / "home";  // an empty certificate database: nothing the user added is trusted
  if (options.recorder.source.kind == recorder::SourceKind::x11) launch.display = options.recorder.source.url.substr(0, options.recorder.source.url.find('+'));
  const auto [width, height] = rec->picture_size();
  launch.width = width;
  launch.height = height;
  if (options.recorder.region) launch.x = options.recorder.region->x, launch.y = options.recorder.region->y;
  NETSAMPLE_ASSIGN(chromium, browser::Chromium::launch(launch));
  if (!options.page_capture) return browser::Page::of(*chromium).navigate(start_page(view.record));
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

// The step's fields as the page on screen shows them: the platform's adapter over the DOM as it is now, a licence
// picture read by OCR from the bytes the browser holds. Only the step's own fields are proposed.
Result<json> PurchaseRecording::State::read_page(const std::string& step) {
  if (!chromium) return make_error(ErrorCode::not_found, "page", "本次买样用的是自备浏览器（--own-browser），不能从网页读取，请逐项填写");
  const extract::Adapter* adapter = options.adapters.find(view.record.platform);
  if (!adapter) return make_error(ErrorCode::not_found, "page", "平台 " + view.record.platform + " 没有网页适配规则（data/adapters），请逐项填写");
  browser::Page page = browser::Page::of(*chromium);
  const std::string url = page.url();
  NETSAMPLE_ASSIGN(std::string html, page.html());
  NETSAMPLE_ASSIGN(extract::Extraction read, extract::read_step(*adapter, step, url, extract::DecodedPage{html, "UTF-8", "dom", ""}));
  for (const auto& image : read.images) {
    auto bytes = page.resource(image.url);
    auto text = bytes.ok() ? ocr::read_text(*bytes) : Result<ocr::Text>(bytes.error());
    if (!text.ok()) {
      read.problems.push_back("证照图片 " + image.url + " 未能识别：" + text.error().message);
      continue;
    }
    extract::fill_from_licence(read, image, extract::read_licence_text(text->text));
  }
  extract::name_as_step(step, url, read);
  const StepSpec* spec = find_step(step);
  auto known = [spec](const std::string& name) {
    return std::any_of(spec->fields.begin(), spec->fields.end(), [&](const StepField& f) { return f.name == name; });
  };
  json fields = json::object(), rules = json::object(), missing = json::array(), problems = read.problems;
  for (const auto& [name, value] : read.fields)
    if (known(name)) fields[name] = value.value, rules[name] = value.rule;
  for (const auto& name : read.missing)
    if (known(name)) missing.push_back(name);
  if (step == "search") fields["platform"] = adapter->name, rules["platform"] = "adapter:name";
  if (step == "order") {  // the page shows one quantity; the task says how it splits (Art 35: inspection and backup in one order)
    const auto quantity = std::find_if(read.fields.begin(), read.fields.end(), [](const auto& f) { return f.first == "quantity"; });
    const int wanted = view.record.inspection_qty + view.record.backup_qty;
    if (quantity != read.fields.end() && quantity->second.value == std::to_string(wanted)) {
      fields["inspection_qty"] = std::to_string(view.record.inspection_qty);
      fields["backup_qty"] = std::to_string(view.record.backup_qty);
      rules["inspection_qty"] = rules["backup_qty"] = "page:quantity " + quantity->second.value + " 按任务拆分";
    } else if (quantity != read.fields.end()) {
      problems.push_back("页面上的数量 " + quantity->second.value + " 与任务要求的检验样品 " + std::to_string(view.record.inspection_qty) + " + 备用样品 " +
                         std::to_string(view.record.backup_qty) + " 不符，请填写 inspection_qty 和 backup_qty");
    }
  }
  return json{{"url", url}, {"read", fields}, {"rules", rules}, {"missing", missing}, {"problems", problems}};
}

// Everything the station console shows, read afresh.
json PurchaseRecording::State::console_state() {
  json steps = json::array();
  auto current = sessions->get(session.id);
  for (const StepSpec& spec : purchase_steps()) {
    json fields = json::array();
    for (const StepField& f : spec.fields) fields.push_back({{"name", f.name}, {"label", f.label}, {"required", f.required}});
    json marked = nullptr;
    if (current.ok())
      if (const StepRecord* last = current->last(spec.id)) marked = {{"frame", last->frame}, {"time", format_iso8601_beijing(last->at)}};
    steps.push_back({{"id", spec.id}, {"label", spec.label}, {"fields", fields}, {"marked", marked}});
  }
  const recorder::Progress p = rec->progress();
  json recording = rec->health();
  recording.update({{"elapsed_ms", p.elapsed_ms}, {"frames", p.frames}, {"dropped", p.dropped}, {"gaps", p.gaps}, {"bytes", p.bytes},
                    {"time_verified", p.time_verified}, {"offset_us", p.offset_us}, {"uncertainty_us", p.uncertainty_us},
                    {"pages", pages ? pages->stats().to_json() : json{{"records", 0}}}});
  return {{"case", view.record.number}, {"seq", session.seq}, {"actor", actor}, {"steps", steps}, {"recorder", recording},
          {"environment", environment.to_json()["findings"]}};
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
  if (command == "ping") return json{{"session", session.id}, {"ready", ready.load()}};
  if (!ready) return make_error(ErrorCode::io, "command", "买样正在准备（打开浏览器、检查取证环境），请稍候再试");
  if (command == "finish") {
    finish_requested = true;
    return json{{"session", session.id}};
  }
  if (command == "browser") return drive_browser(request);
  if (command == "read_page") {
    std::lock_guard lock(mutex);
    return read_page(request.value("step", ""));
  }
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
  // In netsample's browser the page gives the fields; what the sampler typed adds to them or corrects them.
  const json given = request.value("fields", json::object());
  json fields = given, page_record;
  if (chromium && step != "time_check") {
    auto read = read_page(step);
    if (read.ok()) {
      page_record = *read;
      json corrections = json::array();
      for (const auto& [name, value] : page_record["read"].items()) {
        if (!given.contains(name)) {
          fields[name] = value;
          continue;
        }
        auto entered = check_step_fields(step, {{name, given[name]}}, false);
        auto shown = check_step_fields(step, {{name, value}}, false);
        if (entered.ok() && shown.ok() && (*entered)[name] != (*shown)[name])
          corrections.push_back({{"field", name}, {"page", value}, {"entered", given[name]}});
      }
      page_record["corrections"] = corrections;
    } else {
      page_record = {{"error", read.error().describe()}};
    }
  }
  auto checked_fields = sessions->check_step(session.id, step, fields);
  if (!checked_fields.ok() && page_record.contains("error")) {
    Error e = checked_fields.error();
    e.message += "（网页未能读取：" + page_record["error"].get<std::string>() + "）";
    return e;
  }
  NETSAMPLE_ASSIGN(json checked, std::move(checked_fields));
  if (step == "time_check") {
    const auto samples = rec->time_samples();
    checked["ntp"] = time_check_record(samples);
    rec->show_caption(time_check_caption(samples));  // each line two seconds, on the strip above the screen
  }
  NETSAMPLE_ASSIGN(recorder::Marker marker, rec->mark(step, request.value("note", find_step(step)->label)));
  StepRecord record{step, checked, marker.index, marker.frame, from_utc_us(marker.utc_us), marker.still, marker.still_sha256, by, page_record};
  NETSAMPLE_ASSIGN(StepRecord added, sessions->add_step(session.id, record, by));
  say("已标记「" + find_step(step)->label + "」：第 " + std::to_string(marker.frame) + " 帧");
  return json{{"step", added.to_json()}};
}

PurchaseRecording::PurchaseRecording(std::unique_ptr<State> state) : state_(std::move(state)) {}

PurchaseRecording::~PurchaseRecording() {
  state_->console.reset();
  state_->control.reset();  // no mark may arrive while the recorder goes away
}

std::string PurchaseRecording::console_url() const { return state_->console ? state_->console->url() : ""; }

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
  State* state = s.get();
  auto control = recorder::ControlServer::start(state->session.recording_dir, [state](const json& request) { return state->handle(request); });
  if (control.ok()) s->control = std::move(control).value();
  else s->say("错误：" + control.error().describe());

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
  inputs.check_resolvers = options.check_resolvers;
  if (s->chromium) {
    inputs.browser_product = s->chromium->product();
    inputs.browser_command_line = s->chromium->command_line();
    inputs.pages_kept = options.page_capture;
  } else {
    inputs.browser_product = options.browser_product.empty() ? installed_browser() : options.browser_product;
  }
  if (auto samples = s->rec->time_samples(); !samples.empty()) inputs.clock = samples.back();
  s->environment = check_environment(inputs);
  s->rec->show_caption(s->environment.to_caption());
  (void)s->rec->attach("environment", s->environment.to_json());
  if (Status stored = s->sessions->set_environment(s->session.id, s->environment.to_json(), actor); !stored.ok())
    s->say("环境检查未能存入：" + stored.error().describe());

  s->ready = true;
  if (options.console) {
    ConsoleHandlers handlers;
    handlers.state = [state] {
      std::lock_guard lock(state->mutex);
      return state->console_state();
    };
    handlers.read = [state](const std::string& step) -> Result<json> {
      std::lock_guard lock(state->mutex);
      if (step == "time_check") return json{{"read", json::object()}, {"rules", json::object()}, {"missing", json::array()}, {"problems", json::array()}};
      return state->read_page(step);
    };
    handlers.mark = [state](const json& request) -> Result<json> {
      std::lock_guard lock(state->mutex);
      return state->mark({{"step", request.value("step", "")}, {"fields", request.value("fields", json::object())}, {"note", request.value("note", "")}});
    };
    handlers.finish = [state] { state->finish_requested = true; };
    auto console = StationConsole::start(options.console_port, std::move(handlers));
    if (console.ok()) s->console = std::move(console).value();
    else s->say("买样工作台未能打开：" + console.error().describe());
  }
  return std::unique_ptr<PurchaseRecording>(new PurchaseRecording(std::move(s)));
}

Result<SessionView> PurchaseRecording::run(const std::function<bool()>& stop, const std::function<void(const recorder::Progress&)>& tick) {
  State& s = *state_;
  while (!stop() && !s.finish_requested && !s.rec->capture_ended()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    tick(s.rec->progress());
  }
  s.console.reset();
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
    // While the tokens are fresh: their chains and revocation status, so they verify at their own time for six years
    // (Art 47), after the TSA's certificate has expired. A TSA that names no revocation service is noted, not refused.
    const HttpClient http;
    auto kept = recorder::secure_recording_tokens(s.session.recording_dir, s.options.trust_store, http, TsaClient(http), {}, SystemClock().now());
    if (!kept.ok()) s.say("时间戳的验证材料未能保存：" + kept.error().describe());
    else
      for (const auto& token : *kept)
        if (!token.error.empty()) s.say(token.file + " 的验证材料未能保存：" + token.error + "（稍后 netsample evidence renew）");
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
