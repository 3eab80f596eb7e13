// A Chromium the demo and the tests drive, over the DevTools protocol on a pipe (--remote-debugging-pipe:
// JSON messages ending in NUL on fds 3 and 4; no port, no WebSocket, nothing another local process can
// connect to). Enough to walk a shop as a sampler would: open a page, wait for it, read values by element
// id, type into fields and click. The window is a real one on the given X display, so the recorder sees it.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"

namespace netsample::demo {

struct BrowserOptions {
  std::string display;                  // X display, e.g. ":99"
  std::filesystem::path profile_dir;    // a fresh, empty user-data directory
  std::string executable = "chromium";  // Debian's package
  int width = 1280, height = 720;
};

class Browser {
 public:
  static Result<std::unique_ptr<Browser>> launch(const BrowserOptions& options);
  ~Browser();
  Browser(const Browser&) = delete;
  Browser& operator=(const Browser&) = delete;

  // "Chrome/120.0.6099.224" (Browser.getVersion), for the environment check.
  const std::string& product() const { return product_; }

  // One DevTools command on the page (or on the browser itself); its result, or the error it answered.
  Result<nlohmann::json> call(const std::string& method, const nlohmann::json& params = nlohmann::json::object(), bool on_page = true);
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
  // What the page shows now, as PNG.
  Result<std::string> screenshot();

 private:
  Browser() = default;
  Result<nlohmann::json> read_answer(int id, std::chrono::milliseconds timeout);
  int pid_ = -1;
  int to_browser_ = -1, from_browser_ = -1;
  int next_id_ = 1;
  std::string session_;  // the page's DevTools session
  std::string product_;
  std::string pending_;  // bytes read past the last message
};

}  // namespace netsample::demo
