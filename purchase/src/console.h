// The sampler's station console: a small page on 127.0.0.1, served by the purchase being recorded, for a second
// screen or the part of the screen outside the recorded region. The seven steps with a key each, what the page on
// screen gives each step (to confirm or correct), the recorder's state and the environment findings.
//
// Who may use it: whoever holds the random token printed on the sampler's terminal (it travels in the address's
// fragment and then in a header, never in a request line, a log or a command line); requests for another Host
// (DNS rebinding) or from another Origin are refused.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"

namespace netsample::purchase {

struct ConsoleHandlers {
  std::function<nlohmann::json()> state;                                     // GET /api/state
  std::function<Result<nlohmann::json>(const std::string& step)> read;       // POST /api/read {step}
  std::function<Result<nlohmann::json>(const nlohmann::json& request)> mark;  // POST /api/mark {step, fields, note}
  std::function<void()> finish;                                               // POST /api/finish
};

class StationConsole {
 public:
  // Listens on 127.0.0.1:`port` (0: a free one).
  static Result<std::unique_ptr<StationConsole>> start(int port, ConsoleHandlers handlers);
  ~StationConsole();
  StationConsole(const StationConsole&) = delete;
  StationConsole& operator=(const StationConsole&) = delete;
  // http://127.0.0.1:PORT/#TOKEN — for the sampler's eyes only.
  std::string url() const;

 private:
  struct Impl;
  explicit StationConsole(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace netsample::purchase
