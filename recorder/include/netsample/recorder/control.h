// The control channel of a running recorder: `netsample record mark DIR STEP` in another terminal (or the
// purchase session) reaches the recorder writing DIR. A Linux abstract Unix socket named after the
// directory's canonical path: no file to leave behind after a crash, no path-length limit.
// One JSON request line, one JSON answer line: {"ok": true, ...the handler's fields} or {"ok": false,
// "error": error_to_json(...)}, so a refusal reaches the other terminal with its code, field and article.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <thread>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/core/file_io.h"

namespace netsample::recorder {

class ControlServer {
 public:
  // The answer's fields (an object), or the Error to send back.
  using Handler = std::function<Result<nlohmann::json>(const nlohmann::json& request)>;
  // Fails when another recorder already serves `dir`.
  static Result<std::unique_ptr<ControlServer>> start(const std::filesystem::path& dir, Handler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

 private:
  ControlServer(UniqueFd listener, Handler handler);
  void serve();
  UniqueFd listener_;
  Handler handler_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// Sends one request to the recorder writing `dir`: the answer's fields, the handler's Error as it was sent,
// or not_found when no recorder is running there.
Result<nlohmann::json> send_control(const std::filesystem::path& dir, const nlohmann::json& request);

}  // namespace netsample::recorder
