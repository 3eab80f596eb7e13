// What the service does without being asked, as `netsample notices deliver` and `netsample track poll` do on
// the command line: every interval, one round of the notices due (webhooks, e-mail; Art 39, 50, 51, 62, 74)
// and one of the parcels due (Art 32, 36: a delivered parcel moves its case on). Their own Runtime on their own
// thread; each round's lines go to the service's log. A round that fails is logged and tried again next time.
// With TSAs configured (serve --tsa), it also stamps the audit chain's head every `stamp_interval` while the
// chain has grown since the last stamp; a stamp that fails is tried again the next round.
#pragma once

#include <atomic>
#include <optional>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "netsample/store/store.h"
#include "periodic.h"

namespace netsample::runtime {
class Runtime;
}

namespace netsample::server {

class BackgroundWork {
 public:
  // `log` gets one line per thing done or failed (thread-safe on the caller's side).
  BackgroundWork(std::filesystem::path data_dir, store::StoreOptions store, std::chrono::seconds interval, std::function<void(const std::string&)> log,
                 std::vector<std::string> tsa = {}, std::chrono::seconds stamp_interval = std::chrono::hours(1), std::string tsa_trust = {});
  ~BackgroundWork();  // stops after the round in progress
  BackgroundWork(const BackgroundWork&) = delete;
  BackgroundWork& operator=(const BackgroundWork&) = delete;

  std::uint64_t rounds() const { return rounds_.load(); }

 private:
  void round();
  void stamp_audit_head(runtime::Runtime& runtime);
  void renew_evidence(runtime::Runtime& runtime);
  std::filesystem::path data_dir_;
  store::StoreOptions store_;
  std::string tsa_trust_;
  std::optional<std::chrono::steady_clock::time_point> last_renewal_;  // evidence records are looked at once a day
  std::vector<std::string> tsa_;
  std::chrono::seconds stamp_interval_;
  std::function<void(const std::string&)> log_;
  std::atomic<std::uint64_t> rounds_{0};
  Periodic periodic_;  // last: its thread uses everything above
};

}  // namespace netsample::server
