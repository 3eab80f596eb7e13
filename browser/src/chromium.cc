#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "netsample/browser/browser.h"
#include "netsample/core/file_io.h"

namespace netsample::browser {
namespace {

using nlohmann::json;
using namespace std::chrono;

std::vector<std::string> chromium_arguments(const LaunchOptions& options) {
  std::vector<std::string> args = {options.executable,
                                   "--remote-debugging-pipe",
                                   "--user-data-dir=" + options.profile_dir.string(),
                                   "--no-first-run",
                                   "--no-default-browser-check",
                                   "--disable-extensions",
                                   "--disable-gpu",
                                   "--disable-quic",  // HTTP/1.1 and 2 over TCP: what the WARC records say went over the wire
                                   // No traffic to Google's hosts: updates, sync, safe browsing, translate.
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--disable-features=Translate,TranslateUI,MediaRouter",
                                   "--lang=zh-CN",  // the pages are Chinese: no offer to translate them over the page
                                   "--noerrdialogs",
                                   "--window-position=" + std::to_string(options.x) + "," + std::to_string(options.y),
                                   "--window-size=" + std::to_string(options.width) + "," + std::to_string(options.height)};
  if (options.no_proxy) args.push_back("--no-proxy-server");
  if (options.kiosk) args.push_back("--kiosk");
  if (::geteuid() == 0) args.insert(args.begin() + 1, "--no-sandbox");  // Chromium refuses to run as root with it
  args.push_back("about:blank");
  return args;
}

}  // namespace

struct Chromium::Impl {
  UniqueFd to_browser, from_browser;
  std::mutex write_mutex;
  std::mutex mutex;  // guards everything below
  std::condition_variable answered;
  std::map<int, json> answers;  // id → the whole message, until its caller takes it
  std::map<int, bool> waiting;  // ids whose caller still waits (an answer for no one is dropped)
  EventHandler handler;
  bool closed = false;  // the pipe ended: the browser is gone
  int next_id = 1;
  std::atomic<bool> stopping{false};
  std::thread reader;
  // NETSAMPLE_DEVTOOLS_LOG=FILE: every message both ways, shortened, for finding out what a browser did.
  std::mutex log_mutex;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> log{nullptr, &std::fclose};

  void trace(char direction, std::string_view message) {
    if (!log) return;
    std::lock_guard lock(log_mutex);
    const auto ms = duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count() % 1000000;
    std::fprintf(log.get(), "%06lld %c %.*s\n", static_cast<long long>(ms), direction, static_cast<int>(std::min<size_t>(message.size(), 400)), message.data());
    std::fflush(log.get());
  }

  void read_loop() {
    std::string pending;
    char buffer[1 << 16];
    while (!stopping) {
      pollfd p{from_browser.get(), POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      const ssize_t n = ::read(from_browser.get(), buffer, sizeof buffer);
      if (n <= 0) break;
      pending.append(buffer, static_cast<size_t>(n));
      size_t start = 0, end;
      while ((end = pending.find('\0', start)) != std::string::npos) {
        trace('<', std::string_view(pending).substr(start, end - start));
        dispatch(json::parse(pending.begin() + static_cast<long>(start), pending.begin() + static_cast<long>(end), nullptr, false));
        start = end + 1;
      }
      pending.erase(0, start);
    }
    std::lock_guard lock(mutex);
    closed = true;
    answered.notify_all();
  }

  void dispatch(json message) {
    if (!message.is_object()) return;
    if (message.contains("id")) {
      std::lock_guard lock(mutex);
      const int id = message.value("id", -1);
      if (!waiting.count(id)) return;
      answers[id] = std::move(message);
      answered.notify_all();
      return;
    }
    EventHandler h;
    {
      std::lock_guard lock(mutex);
      h = handler;
    }
    if (h) h(message);
  }
};

Chromium::Chromium() : impl_(std::make_unique<Impl>()) {}

Result<std::unique_ptr<Chromium>> Chromium::launch(const LaunchOptions& options) {
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
  if (::pipe2(commands, O_CLOEXEC) != 0) return io_error("browser", "无法建立与浏览器的管道");
  UniqueFd command_read(commands[0]), command_write(commands[1]);
  if (::pipe2(answers, O_CLOEXEC) != 0) return io_error("browser", "无法建立与浏览器的管道");
  UniqueFd answer_read(answers[0]), answer_write(answers[1]);

  std::unique_ptr<Chromium> chromium(new Chromium());
  chromium->command_line_ = chromium_arguments(options);
  const std::string display = "DISPLAY=" + options.display;
  const std::string home = "HOME=" + options.home.string();
  if (!options.home.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.home, ec);
  }
  // The child's arguments and environment are made before fork: with other threads running, the child may make
  // only async-signal-safe calls (an allocation there can wait forever on a lock held at the fork).
  std::vector<std::string> environment;
  for (char** e = environ; e && *e; ++e) {
    const std::string entry = *e;
    if ((!options.display.empty() && entry.rfind("DISPLAY=", 0) == 0) || (!options.home.empty() && entry.rfind("HOME=", 0) == 0)) continue;
    environment.push_back(entry);
  }
  if (!options.display.empty()) environment.push_back(display);
  if (!options.home.empty()) environment.push_back(home);
  std::vector<char*> env;
  for (auto& entry : environment) env.push_back(entry.data());
  env.push_back(nullptr);
  std::vector<char*> argv;
  for (auto& a : chromium->command_line_) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return io_error("browser", "无法启动浏览器进程");
  if (pid == 0) {
    ::setpgid(0, 0);  // its helpers end with it
    // Out of the way first: a pipe end may already be fd 3 or 4, and dup2 onto itself keeps close-on-exec.
    const int read_end = ::fcntl(command_read.get(), F_DUPFD_CLOEXEC, 10);
    const int write_end = ::fcntl(answer_write.get(), F_DUPFD_CLOEXEC, 10);
    ::dup2(read_end, 3);
    ::dup2(write_end, 4);
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execvpe(argv[0], argv.data(), env.data());
    ::_exit(127);
  }
  chromium->pid_ = pid;
  command_read = UniqueFd();  // the child's ends: once it exits, our read sees the end at once
  answer_write = UniqueFd();
  chromium->impl_->to_browser = std::move(command_write);
  chromium->impl_->from_browser = std::move(answer_read);
  Impl* impl = chromium->impl_.get();
  if (const char* log = std::getenv("NETSAMPLE_DEVTOOLS_LOG")) impl->log.reset(std::fopen(log, "a"));
  impl->reader = std::thread([impl] { impl->read_loop(); });

  auto version = chromium->call("Browser.getVersion", json::object(), "", seconds(30));
  if (!version.ok())
    return make_error(ErrorCode::not_found, "browser", "浏览器 " + options.executable + " 没有启动或不应答（Debian 软件包 chromium）：" + version.error().message);
  chromium->product_ = version->value("product", "");
  NETSAMPLE_ASSIGN(json targets, chromium->call("Target.getTargets"));
  std::string target;
  for (const auto& t : targets["targetInfos"])
    if (t.value("type", "") == "page") target = t.value("targetId", "");
  if (target.empty()) return make_error(ErrorCode::internal, "browser", "浏览器没有打开页面");
  NETSAMPLE_ASSIGN(json attached, chromium->call("Target.attachToTarget", {{"targetId", target}, {"flatten", true}}));
  chromium->page_session_ = attached.value("sessionId", "");
  NETSAMPLE_TRY(status_of(chromium->call("Page.enable", json::object(), chromium->page_session_)));
  return chromium;
}

Chromium::~Chromium() {
  if (pid_ > 0) {
    (void)call("Browser.close", json::object(), "", seconds(2));
    for (int i = 0; i < 50 && ::waitpid(pid_, nullptr, WNOHANG) == 0; ++i) std::this_thread::sleep_for(milliseconds(20));
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, WNOHANG);
  }
  impl_->stopping = true;
  if (impl_->reader.joinable()) impl_->reader.join();
}

bool Chromium::alive() const {
  std::lock_guard lock(impl_->mutex);
  return !impl_->closed;
}

void Chromium::subscribe(EventHandler handler) {
  std::lock_guard lock(impl_->mutex);
  impl_->handler = std::move(handler);
}

Result<json> Chromium::call(const std::string& method, const json& params, const std::string& session, milliseconds timeout) {
  Impl& s = *impl_;
  int id;
  {
    std::lock_guard lock(s.mutex);
    if (s.closed) return make_error(ErrorCode::network, "browser", "浏览器已退出");
    id = s.next_id++;
    s.waiting[id] = true;
  }
  json message = {{"id", id}, {"method", method}, {"params", params}};
  if (!session.empty()) message["sessionId"] = session;
  Status sent;
  s.trace('>', message.dump());
  {
    std::lock_guard lock(s.write_mutex);
    sent = write_all(s.to_browser.get(), message.dump() + std::string(1, '\0'), "browser");
  }
  std::unique_lock lock(s.mutex);
  if (sent.ok()) s.answered.wait_for(lock, timeout, [&] { return s.answers.count(id) || s.closed; });
  s.waiting.erase(id);
  auto found = s.answers.find(id);
  if (found == s.answers.end()) {
    if (!sent.ok()) return make_error(ErrorCode::network, "browser", "无法向浏览器发送命令 " + method);
    return make_error(ErrorCode::network, "browser", s.closed ? "浏览器已退出" : "浏览器 " + std::to_string(timeout.count()) + " 毫秒内没有应答 " + method);
  }
  json answer = std::move(found->second);
  s.answers.erase(found);
  if (answer.contains("error"))
    return make_error(ErrorCode::network, "browser", "浏览器拒绝了命令 " + method + "：" + answer["error"].value("message", ""));
  return answer.value("result", json::object());
}

std::optional<std::string> decode_base64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') ++padding;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++padding;
  out.resize(static_cast<size_t>(n) - padding);  // EVP_DecodeBlock counts the padding as zero bytes
  return out;
}

}  // namespace netsample::browser
