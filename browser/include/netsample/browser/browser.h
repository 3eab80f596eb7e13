// Chromium, opened and driven by netsample over the DevTools protocol on a pipe (--remote-debugging-pipe: JSON
// messages ending in NUL on fds 3 and 4). A pipe, not a port: no other local process can attach to the browser
// that is being recorded. The sampler's browser (a fresh profile in the recording's folder, no extensions, no
// proxy) and the demo's scripted one are both this.
//
// Chromium: the process, one reader thread that hands answers to their callers and events to the subscriber.
// Page: what a script does with a tab (open, wait, read, type, click), over any way of sending commands — the
// pipe, or the recorder's control channel for the demo's scripted sampler.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"

namespace netsample::browser {

struct LaunchOptions {
  std::string display;                  // X display, e.g. ":99"; empty: this process's DISPLAY
  std::filesystem::path profile_dir;    // a fresh user-data directory (created when missing)
  std::string executable = "chromium";  // Debian's package
  int x = 0, y = 0, width = 1280, height = 720;  // the window, inside the recorded region
  bool kiosk = false;                   // no address bar: only for a screen that is not evidence
  bool no_proxy = true;                 // --no-proxy-server: pages come straight from the platform
  // A HOME of its own (created): Chromium on Linux trusts the certificates in $HOME/.pki/nssdb, so with a fresh
  // HOME a certificate someone added to the user's database is not trusted. Empty: this process's HOME.
  std::filesystem::path home;
};

class Chromium {
 public:
  // An event: {"method", "params", "sessionId"?}. Called on the reader thread, one at a time; a handler must not
  // wait for an answer (call() from it would wait for itself): hand the work to another thread.
  using EventHandler = std::function<void(const nlohmann::json& event)>;

  static Result<std::unique_ptr<Chromium>> launch(const LaunchOptions& options);
  ~Chromium();  // closes the browser (Browser.close, then its process group is killed)
  Chromium(const Chromium&) = delete;
  Chromium& operator=(const Chromium&) = delete;

  // "Chrome/156.0.8078.114" (Browser.getVersion), for the environment check.
  const std::string& product() const { return product_; }
  // The command line it was started with, and its process id, for the environment check.
  const std::vector<std::string>& command_line() const { return command_line_; }
  int pid() const { return pid_; }
  // The DevTools session of the tab it opened with.
  const std::string& page_session() const { return page_session_; }
  bool alive() const;

  // One command, to the browser (session "") or to a target's session; its result, or the error it answered.
  Result<nlohmann::json> call(const std::string& method, const nlohmann::json& params = nlohmann::json::object(),
                              const std::string& session = "", std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // From now on every event goes to `handler` (replacing any before).
  void subscribe(EventHandler handler);

 private:
  struct Impl;
  Chromium();
  std::unique_ptr<Impl> impl_;
  int pid_ = -1;
  std::string product_, page_session_;
  std::vector<std::string> command_line_;
};

class Page {
 public:
  using Send = std::function<Result<nlohmann::json>(const std::string& method, const nlohmann::json& params)>;
  explicit Page(Send send) : send_(std::move(send)) {}
  // The first tab of a browser netsample opened.
  static Page of(Chromium& chromium);

  Result<nlohmann::json> call(const std::string& method, const nlohmann::json& params = nlohmann::json::object()) { return send_(method, params); }
  // Loads `url` and waits until the document is complete.
  Status navigate(const std::string& url, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // The value of a JavaScript expression (promises awaited).
  Result<nlohmann::json> evaluate(const std::string& expression);
  // Waits until the expression is true.
  Status wait_until(const std::string& condition, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // The text of the element with this CSS selector; not_found when there is none.
  Result<std::string> text(const std::string& selector);
  Status type(const std::string& selector, const std::string& value);  // sets the field's value as typing would
  Status click(const std::string& selector);
  std::string url();
  // The document as it is now (the DOM serialised, scripts' changes included).
  Result<std::string> html();
  // A resource the page loaded (a picture), as the browser keeps it: the bytes, not fetched again.
  Result<std::string> resource(const std::string& url);
  // What the page shows now, as PNG.
  Result<std::string> screenshot();

 private:
  Send send_;
};

// Binary data as DevTools sends it (standard base64); nullopt when it is not base64.
std::optional<std::string> decode_base64(std::string_view text);

}  // namespace netsample::browser
