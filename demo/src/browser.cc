#include "netsample/demo/browser.h"

#include "netsample/core/file_io.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <thread>

namespace netsample::demo {
namespace {

using nlohmann::json;
using namespace std::chrono;

std::string quoted(const std::string& text) { return json(text).dump(); }  // a JavaScript string literal

}  // namespace

Result<std::unique_ptr<Browser>> Browser::launch(const BrowserOptions& options) {
  // A browser that dies makes our next write fail with EPIPE; without this the signal would end the process.
  ::signal(SIGPIPE, SIG_IGN);
  // No translation bar over the recorded pages (the --disable-features switch alone does not stop it).
  const auto preferences = options.profile_dir / "Default" / "Preferences";
  if (!std::filesystem::exists(preferences)) {
    std::error_code ec;
    std::filesystem::create_directories(preferences.parent_path(), ec);
    NETSAMPLE_TRY(write_file_atomic(preferences, R"({"translate": {"enabled": false}})"));
  }
  int commands[2], answers[2];  // we write commands, the browser writes answers
  if (::pipe2(commands, O_CLOEXEC) != 0 || ::pipe2(answers, O_CLOEXEC) != 0)
    return make_error(ErrorCode::io, "browser", "无法建立与浏览器的管道");
  std::vector<std::string> args = {options.executable,
                                   "--remote-debugging-pipe",
                                   "--user-data-dir=" + options.profile_dir.string(),
                                   "--no-first-run",
                                   "--no-default-browser-check",
                                   "--disable-gpu",
                                   "--disable-quic",
                                   // No traffic to Google's hosts: updates, sync, safe browsing, translate.
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--disable-features=Translate,TranslateUI,MediaRouter",
                                   "--lang=zh-CN",  // the pages are Chinese: no offer to translate them over the page
                                   "--noerrdialogs",
                                   "--window-position=0,0",
                                   "--window-size=" + std::to_string(options.width) + "," + std::to_string(options.height),
                                   "--kiosk",
                                   "about:blank"};
  if (::geteuid() == 0) args.insert(args.begin() + 1, "--no-sandbox");  // Chromium refuses to run as root with it
  const std::string display = "DISPLAY=" + options.display;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);  // its helpers end with it
    // Out of the way first: a pipe end may already be fd 3 or 4, and dup2 onto itself keeps close-on-exec.
    const int read_end = ::fcntl(commands[0], F_DUPFD_CLOEXEC, 10);
    const int write_end = ::fcntl(answers[1], F_DUPFD_CLOEXEC, 10);
    ::dup2(read_end, 3);
    ::dup2(write_end, 4);
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::putenv(const_cast<char*>(display.c_str()));
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(commands[0]);
  ::close(answers[1]);
  std::unique_ptr<Browser> browser(new Browser());
  browser->pid_ = pid;
  browser->to_browser_ = commands[1];
  browser->from_browser_ = answers[0];

  auto version = browser->call("Browser.getVersion", json::object(), false);
  if (!version.ok())
    return make_error(ErrorCode::not_found, "browser", "浏览器 " + options.executable + " 没有启动或不应答（Debian 软件包 chromium）：" + version.error().message);
  browser->product_ = version->value("product", "");
  NETSAMPLE_ASSIGN(json targets, browser->call("Target.getTargets", json::object(), false));
  std::string target;
  for (const auto& t : targets["targetInfos"])
    if (t.value("type", "") == "page") target = t.value("targetId", "");
  if (target.empty()) return make_error(ErrorCode::internal, "browser", "浏览器没有打开页面");
  NETSAMPLE_ASSIGN(json attached, browser->call("Target.attachToTarget", {{"targetId", target}, {"flatten", true}}, false));
  browser->session_ = attached.value("sessionId", "");
  NETSAMPLE_TRY(status_of(browser->call("Page.enable")));
  return browser;
}

Browser::~Browser() {
  if (pid_ > 0) {
    (void)call("Browser.close", json::object(), false);
    for (int i = 0; i < 50 && ::waitpid(pid_, nullptr, WNOHANG) == 0; ++i) std::this_thread::sleep_for(milliseconds(20));
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, WNOHANG);
  }
  if (to_browser_ >= 0) ::close(to_browser_);
  if (from_browser_ >= 0) ::close(from_browser_);
}

Result<json> Browser::read_answer(int id, milliseconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  for (;;) {
    size_t end;
    while ((end = pending_.find('\0')) != std::string::npos) {
      const auto message = json::parse(pending_.substr(0, end), nullptr, false);
      pending_.erase(0, end + 1);
      if (!message.is_object() || message.value("id", -1) != id) continue;  // an event, or an old answer
      if (message.contains("error"))
        return make_error(ErrorCode::network, "browser", "浏览器拒绝了命令：" + message["error"].value("message", ""));
      return message.value("result", json::object());
    }
    const auto left = duration_cast<milliseconds>(deadline - steady_clock::now()).count();
    pollfd p{from_browser_, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0)
      return make_error(ErrorCode::network, "browser", "浏览器 " + std::to_string(timeout.count()) + " 毫秒内没有应答");
    char buffer[65536];
    const ssize_t n = ::read(from_browser_, buffer, sizeof buffer);
    if (n <= 0) return make_error(ErrorCode::network, "browser", "浏览器已退出");
    pending_.append(buffer, static_cast<size_t>(n));
  }
}

Result<json> Browser::call(const std::string& method, const json& params, bool on_page) {
  const int id = next_id_++;
  json message = {{"id", id}, {"method", method}, {"params", params}};
  if (on_page && !session_.empty()) message["sessionId"] = session_;
  const std::string bytes = message.dump() + std::string(1, '\0');
  if (::write(to_browser_, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()))
    return make_error(ErrorCode::network, "browser", "无法向浏览器发送命令 " + method);
  return read_answer(id, seconds(30));
}

Result<json> Browser::evaluate(const std::string& expression) {
  NETSAMPLE_ASSIGN(json answer, call("Runtime.evaluate", {{"expression", expression}, {"returnByValue", true}, {"awaitPromise", true}}));
  if (answer.contains("exceptionDetails"))
    return make_error(ErrorCode::invalid_input, "browser", "页面脚本出错：" + answer["exceptionDetails"].dump());
  return answer["result"].value("value", json(nullptr));
}

Status Browser::wait_until(const std::string& condition, milliseconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  for (;;) {
    auto value = evaluate("Boolean(" + condition + ")");
    if (value.ok() && value->is_boolean() && value->get<bool>()) return {};
    if (steady_clock::now() > deadline) return make_error(ErrorCode::network, "browser", "等待页面条件超时：" + condition);
    std::this_thread::sleep_for(milliseconds(50));
  }
}

Status Browser::navigate(const std::string& url, milliseconds timeout) {
  NETSAMPLE_ASSIGN(json answer, call("Page.navigate", {{"url", url}}));
  if (answer.contains("errorText") && !answer["errorText"].get<std::string>().empty())
    return make_error(ErrorCode::network, "browser", "打不开 " + url + "：" + answer["errorText"].get<std::string>());
  return wait_until("document.readyState === 'complete' && location.href !== 'about:blank'", timeout);
}

Result<std::string> Browser::text(const std::string& selector) {
  NETSAMPLE_ASSIGN(json value, evaluate("(() => { const e = document.querySelector(" + quoted(selector) + "); return e ? e.textContent : null; })()"));
  if (!value.is_string()) return make_error(ErrorCode::not_found, selector, "页面上没有这个元素");
  return value.get<std::string>();
}

Status Browser::type(const std::string& selector, const std::string& value) {
  NETSAMPLE_ASSIGN(json done, evaluate("(() => { const e = document.querySelector(" + quoted(selector) + "); if (!e) return false; e.focus(); e.value = " +
                                       quoted(value) + "; e.dispatchEvent(new Event('input', {bubbles: true})); return true; })()"));
  if (done != true) return make_error(ErrorCode::not_found, selector, "页面上没有这个输入框");
  return {};
}

Status Browser::click(const std::string& selector) {
  NETSAMPLE_ASSIGN(json done, evaluate("(() => { const e = document.querySelector(" + quoted(selector) + "); if (!e) return false; e.click(); return true; })()"));
  if (done != true) return make_error(ErrorCode::not_found, selector, "页面上没有这个元素");
  return {};
}

Result<std::string> Browser::screenshot() {
  NETSAMPLE_ASSIGN(json shot, call("Page.captureScreenshot", {{"format", "png"}}));
  std::string png;
  const std::string encoded = shot.value("data", "");
  // Base64, as DevTools sends binary data.
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  unsigned value = 0;
  int bits = 0;
  for (char c : encoded) {
    const auto at = alphabet.find(c);
    if (at == std::string::npos) continue;  // padding
    value = (value << 6) | static_cast<unsigned>(at);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      png += static_cast<char>((value >> bits) & 0xFF);
    }
  }
  if (png.substr(1, 3) != "PNG") return make_error(ErrorCode::network, "browser", "浏览器没有给出截图");
  return png;
}

std::string Browser::url() {
  auto value = evaluate("location.href");
  return value.ok() && value->is_string() ? value->get<std::string>() : "";
}

}  // namespace netsample::demo
