#include "netsample/demo/steps.h"

#include <unistd.h>

#include <iostream>
#include <random>
#include <thread>

#include "netsample/core/file_io.h"
#include "netsample/core/process.h"
#include "netsample/browser/browser.h"
#include "netsample/purchase/recording.h"
#include "netsample/recorder/control.h"

namespace netsample::demo {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int kScreenWidth = 1280, kScreenHeight = 720;

void say(const std::string& text) { std::cout << "    " << text << "\n" << std::flush; }

// Long enough for a reviewer to read the page in the video.
void linger(std::chrono::milliseconds time = 1500ms) { std::this_thread::sleep_for(time); }

std::string tail(const fs::path& log, size_t lines) {
  auto text = read_file(log);
  if (!text.ok()) return "";
  size_t at = text->size();
  for (size_t n = 0; n <= lines && at != std::string::npos && at > 0; ++n) at = text->rfind('\n', at - 1);
  return at == std::string::npos || at >= text->size() ? *text : text->substr(at + 1);
}

// Adds the local TSA's CA to <data>/tsa-trust.pem, once. The demo names it with --trust wherever a stamp is checked:
// a file in the data directory is never trusted by default (anyone who can write there could add a CA).
Status trust_local_tsa(const DemoRun& run, const DemoWorld& world) {
  NETSAMPLE_ASSIGN(std::string ca, read_file(world.tsa->ca_file()));
  const fs::path store = run.runtime.data_dir() / "tsa-trust.pem";
  std::string bundle;
  if (fs::exists(store)) {
    NETSAMPLE_ASSIGN(bundle, read_file(store));
  }
  if (bundle.find(ca) == std::string::npos) bundle += ca;
  return write_file_atomic(store, bundle);
}

}  // namespace

Result<unboxing::ParcelView> run_demo_delivery(DemoRun& run, DemoWorld& world, const std::string& case_number, UtcTime ordered) {
  // Credentials only in the data directory's configuration, as a bureau would keep its own.
  NETSAMPLE_TRY(write_file_atomic(run.runtime.data_dir() / "tracking.json",
                                  json{{"_comment", "netsample demo: the local courier service of the last demo run"},
                                       {"providers", {{"demo-kuaidi100", {{"type", "kuaidi100"}, {"url", world.courier->url()}, {"customer", "NS-DEMO"},
                                                                         {"key", world.courier_key}, {"min_interval_ms", 200}}}}},
                                       {"default_provider", "demo-kuaidi100"}}
                                      .dump(2) + "\n"));
  NETSAMPLE_ASSIGN(unboxing::TrackingConfig config, unboxing::load_tracking_config(run.runtime.data_dir()));
  std::string number = "SF" + case_number;
  std::erase_if(number, [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); });
  const auto journey = world.clock.now() - ordered;
  auto at = [&](int fifth) { return format_beijing(ordered + journey * fifth / 5).substr(0, 19); };
  const std::vector<std::pair<std::string, std::string>> events = {
      {at(1), "【重庆市渝北区】顺丰速运 已收取快件"},
      {at(2), "【重庆转运中心】快件已发出，下一站【重庆市渝中区】"},
      {at(3), "【重庆市渝中区】快件交给张师傅，正在派送途中（联系电话：95338）"},
      {at(4), "【重庆市渝中区】快件已签收，签收人：市场监管局收样室"}};
  auto first = [&](size_t n) { return std::vector(events.begin(), events.begin() + static_cast<long>(n)); };
  // Collected, the service failing once (retried), in transit, out for delivery, delivered.
  world.courier->script(number, {loopback::kuaidi100_answer(1, first(1)), 502, loopback::kuaidi100_answer(0, first(2)), loopback::kuaidi100_answer(5, first(3)),
                                 loopback::kuaidi100_answer(3, first(4), true)},
                        "0000");
  workflow::Lifecycle& lifecycle = run.runtime.lifecycle();
  unboxing::TrackerOptions options;  // the demo's clock runs fast: a query a second instead of every 30 minutes
  options.interval = std::chrono::minutes(0);
  options.first_backoff = std::chrono::seconds(1);
  unboxing::ParcelTracker tracker(run.runtime.store(), lifecycle, config, options);
  say("$ netsample track add " + case_number + " --courier shunfeng --number " + number + " --phone 0000");
  NETSAMPLE_ASSIGN(unboxing::ParcelView parcel, tracker.add(case_number, {"shunfeng", number, "0000"}, run.actor));
  say("$ netsample track poll");
  for (int round = 0; round < 20 && !parcel.final; ++round) {
    NETSAMPLE_ASSIGN(unboxing::PollReport report, tracker.poll(world.clock.now()));
    for (const auto& line : report.lines) say("  " + line);
    NETSAMPLE_ASSIGN(auto parcels, tracker.of_case(case_number));
    parcel = parcels.front();
    if (!parcel.final) linger(1s);
  }
  if (!parcel.final) return make_error(ErrorCode::internal, "track", "演示快递没有在预期内签收");
  return parcel;
}

Result<std::unique_ptr<DemoWorld>> start_demo_world(const fs::path& dir) {
  auto world = std::make_unique<DemoWorld>();
  world->dir = dir;
  fs::create_directories(dir);
  NETSAMPLE_ASSIGN(world->display, loopback::VirtualDisplay::start(dir, kScreenWidth, kScreenHeight));
  say("虚拟屏幕 Xvfb " + world->display->display() + "（" + std::to_string(kScreenWidth) + "x" + std::to_string(kScreenHeight) + "），录像录的就是它");
  NETSAMPLE_ASSIGN(world->ntp, loopback::TimeServer::start(dir));
  say("本机 NTP 服务 chronyd " + world->ntp->address() + "（代替国家授时中心 ntp.ntsc.ac.cn；不调整本机时钟）");
  NETSAMPLE_ASSIGN(world->tsa, loopback::TimestampAuthority::start(dir / "tsa"));
  say("本机时间戳服务（OpenSSL TSA，RFC 3161）" + world->tsa->url());
  NETSAMPLE_ASSIGN(world->shop, DemoShop::start(world->clock));
  say("演示商城 " + world->shop->url() + "（数据固定，不是真实商家）");
  std::random_device entropy;
  char key[33];
  std::snprintf(key, sizeof key, "%08x%08x%08x%08x", entropy(), entropy(), entropy(), entropy());
  world->courier_key = key;
  NETSAMPLE_ASSIGN(world->courier, loopback::CourierService::start("NS-DEMO", key));
  say("本机快递查询服务（快递100 实时查询格式，校验签名）" + world->courier->url());
  std::snprintf(key, sizeof key, "%08x%08x%08x%08x", entropy(), entropy(), entropy(), entropy());
  world->platform_secret = key;
  // The platform's notice endpoint fails its first request: the demo shows a retry with the same key.
  NETSAMPLE_ASSIGN(world->platform_hook, loopback::WebhookReceiver::start(world->platform_secret, 1));
  say("本机电商平台通知接口（校验 HMAC-SHA256 签名与幂等键）" + world->platform_hook->url());
  NETSAMPLE_ASSIGN(world->mail, loopback::MailSink::start());
  say("本机邮件服务器（SMTP，收下所有邮件）" + world->mail->url());
  return world;
}

json demo_shop_platforms() {
  return {{"platforms", {{{"code", "demo-shop"}, {"name", "演示商城（本机）"}, {"hosts", {"127.0.0.1"}}, {"local", true}}}}};
}

json demo_shop_case(const std::string& number, const DemoWorld& world) {
  const json& shop = DemoShop::catalogue()["shop"];
  const json& kettle = DemoShop::catalogue()["products"][0];
  return {{"number", number},
          {"organizer", "cq-amr"},
          {"level", "city"},
          {"plan", "routine"},
          {"product", {{"name", "电热水壶"}, {"trademark", kettle["trademark"]}, {"model", kettle["model"]}, {"category", kettle["category"]},
                       {"standard", kettle["standard"]}}},
          {"platform", "demo-shop"},
          {"shop", {{"name", shop["name"]}, {"url", world.shop->url()}, {"listing_url", world.shop->url() + "item/" + kettle["id"].get<std::string>()}}},
          {"operator", {{"name", shop["operator"]["name"]}, {"address", shop["operator"]["address"]}}},
          {"producer", {{"name", kettle["producer"]}, {"address", kettle["producer_address"]}}},
          {"samples", {{"inspection", 2}, {"backup", 2}}}};
}

Result<purchase::SessionView> run_demo_purchase(DemoRun& run, DemoWorld& world, const std::string& case_number, const std::string& sampler) {
  NETSAMPLE_TRY(trust_local_tsa(run, world));
  // The sampler's first terminal: `netsample purchase start` (it records until `purchase finish`).
  const fs::path log = world.dir / ("purchase-" + case_number + ".log");
  std::vector<std::string> argv = {sibling_program("netsample-recorder").string(), "--data", run.runtime.data_dir().string(), "--as", sampler,
                                         "purchase", "start", "--case", case_number, "--source", "x11:" + world.display->display(),
                                         "--ntp", world.ntp->address(), "--tsa", world.tsa->url(), "--tsa-interval", "10",
                                         "--trust", (run.runtime.data_dir() / "tsa-trust.pem").string()};
  if (!run.page_capture) argv.push_back("--no-page-capture");
  say("$ netsample purchase start --case " + case_number + " --as " + sampler + " --source x11:" + world.display->display() + " --ntp " +
      world.ntp->address() + " --tsa " + world.tsa->url() + "   （输出见 " + log.string() + "）");
  ChildProcess recorder(argv, log);
  purchase::PurchaseSessions& sessions = run.runtime.purchases();
  std::optional<purchase::SessionView> session;
  for (auto deadline = std::chrono::steady_clock::now() + 30s; !session;) {
    if (!recorder.running()) return make_error(ErrorCode::internal, "purchase", "录制程序提前退出：\n" + tail(log, 12));
    if (std::chrono::steady_clock::now() > deadline) return make_error(ErrorCode::internal, "purchase", "录制程序 30 秒内没有开始：\n" + tail(log, 12));
    NETSAMPLE_ASSIGN(auto recording, sessions.recording(case_number));
    // Ready once the recorder has opened the browser and checked the environment (it answers "ping" before).
    auto pong = recording.empty() ? Result<json>(make_error(ErrorCode::not_found, "session", "")) : recorder::send_control(recording.front().recording_dir, {{"command", "ping"}});
    if (pong.ok() && pong->value("ready", false)) session = recording.front();
    else std::this_thread::sleep_for(100ms);
  }
  say("开始录像：" + session->recording_dir.string() + "；取证环境检查结果显示在录像开头（画面上方的时间条）");
  say("netsample 在录制的屏幕上打开了全新的 Chromium，浏览的每个网页都以 WARC 存入录像的哈希链");
  // The scripted sampler works netsample's browser through the recorder's control channel, which allows it only
  // on a local platform (the demo shop); a real purchase is made by hand.
  const fs::path dir = session->recording_dir;
  browser::Page page([dir](const std::string& method, const json& params) -> Result<json> {
    NETSAMPLE_ASSIGN(json answer, recorder::send_control(dir, {{"command", "browser"}, {"method", method}, {"params", params}}));
    return answer.value("result", json::object());
  });
  browser::Page* browser = &page;
  NETSAMPLE_TRY(browser->wait_until("document.readyState === 'complete' && document.querySelector('#q')"));
  linger(4s);  // the environment findings, on screen

  // The sampler's second terminal: `netsample purchase mark STEP --field ...`, step by step (Art 35).
  // In netsample's browser the recorder reads each step's fields from the page on screen: the sampler types nothing.
  auto mark = [&](const std::string& step, const json& fields) -> Status {
    NETSAMPLE_ASSIGN(json marked, purchase::mark_recording_step(sessions, case_number, step, fields, "", run.actor));
    say("✓ " + purchase::find_step(step)->label + "（" + step + "）第 " + std::to_string(marked.value("frame", 0)) + " 帧  静帧 " +
        marked.value("still", ""));
    const json page = marked.value("page", json());
    if (page.contains("read")) {
      std::string read;
      for (const auto& [name, value] : page["read"].items()) read += (read.empty() ? "" : "，") + name + "=" + value.get<std::string>();
      say("    字段取自网页 " + page.value("url", "") + "：" + read);
    }
    return {};
  };
  const json& kettle = DemoShop::catalogue()["products"][0];

  NETSAMPLE_TRY(mark("time_check", json::object()));
  linger(3s);

  NETSAMPLE_TRY(browser->type("#q", "电热水壶"));
  NETSAMPLE_TRY(browser->click("#search-button"));
  NETSAMPLE_TRY(browser->wait_until("document.querySelector('#results')"));
  linger();
  NETSAMPLE_TRY(mark("search", json::object()));

  NETSAMPLE_TRY(browser->click("#licence-link"));
  NETSAMPLE_TRY(browser->wait_until("(() => { const i = document.querySelector('#licence-image'); return i && i.complete && i.naturalWidth > 0; })()"));
  linger();
  // The licence is only a picture: its fields come from OCR of the bytes the browser received.
  NETSAMPLE_TRY(mark("licence", json::object()));

  NETSAMPLE_TRY(browser->navigate(world.shop->url() + "item/" + kettle["id"].get<std::string>()));
  linger();
  NETSAMPLE_TRY(mark("product_page", json::object()));

  // Art 35: inspection and backup samples in one order (2 + 2 for this task).
  NETSAMPLE_TRY(browser->type("#qty", "4"));
  NETSAMPLE_TRY(browser->click("#buy-button"));
  NETSAMPLE_TRY(browser->wait_until("document.querySelector('#submit-order')"));
  NETSAMPLE_TRY(browser->type("#buyer-input", "cq_sampler_01"));
  NETSAMPLE_TRY(browser->type("#address-input", "重庆市渝中区示例路 1 号 市场监管局收样室"));
  NETSAMPLE_TRY(browser->type("#contact-input", "张明 023-6000 0000"));
  linger(1s);
  NETSAMPLE_TRY(browser->click("#submit-order"));
  NETSAMPLE_TRY(browser->wait_until("document.querySelector('#order-number')"));
  linger();
  NETSAMPLE_TRY(mark("order", json::object()));  // 4 on the page: 2 + 2 as the task says (Art 35)

  NETSAMPLE_TRY(browser->click("#pay-link"));
  NETSAMPLE_TRY(browser->wait_until("document.querySelector('#pay-button')"));
  NETSAMPLE_TRY(browser->evaluate("document.querySelector('#method-input').value = '微信支付'"));
  NETSAMPLE_TRY(browser->type("#pay-account-input", "wx_cq_sampler_01"));
  linger(1s);
  NETSAMPLE_TRY(browser->click("#pay-button"));
  NETSAMPLE_TRY(browser->wait_until("document.querySelector('#paid-time')"));
  linger();
  NETSAMPLE_TRY(mark("payment", json::object()));

  const std::string question = "请问现货的生产日期和批号是多少？";
  NETSAMPLE_TRY(browser->navigate(world.shop->url() + "chat"));
  NETSAMPLE_TRY(browser->type("#chat-input", question));
  NETSAMPLE_TRY(browser->click("#chat-send"));
  NETSAMPLE_TRY(browser->wait_until("document.querySelectorAll('#chat-log .msg').length >= 2"));
  linger();
  NETSAMPLE_TRY(mark("chat", json::object()));
  linger(1s);

  // `netsample purchase finish`: seal, stamp, verify, store, conclude.
  say("$ netsample purchase finish --case " + case_number + "（封存、加盖时间戳、校验、存为证据）");
  NETSAMPLE_ASSIGN(json finished, recorder::send_control(session->recording_dir, {{"command", "finish"}}));
  (void)finished;
  if (!recorder.wait_for(180s)) return make_error(ErrorCode::internal, "purchase", "录制程序 180 秒内没有结束：\n" + tail(log, 12));
  return sessions.get(session->id);
}

}  // namespace netsample::demo
