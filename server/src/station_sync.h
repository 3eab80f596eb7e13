// A station's service syncing to the centre on its own (serve --central): every interval, one sync::push of what
// the centre lacks (design/central.md), on a thread and a Runtime of its own (a case's documents are read as its
// bundle shows them); and every 2 s, the new journal lines of a purchase being recorded (sync::push_live), so the
// centre has each second of it within seconds. Each round's outcome goes to the service's log; a round that fails
// (the centre unreachable, a refusal) is logged once and tried again next time.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "netsample/runtime/runtime.h"
#include "netsample/store/store.h"
#include "netsample/sync/sync.h"
#include "periodic.h"

namespace netsample::server {

class StationSyncWork {
 public:
  StationSyncWork(std::filesystem::path data_dir, store::StoreOptions store, sync::SyncOptions options, std::chrono::seconds interval,
                  std::function<void(const std::string&)> log);
  ~StationSyncWork();  // stops after the round in progress
  StationSyncWork(const StationSyncWork&) = delete;
  StationSyncWork& operator=(const StationSyncWork&) = delete;

 private:
  // While a purchase is recorded, its new journal lines go this often (sync::push_live), between full rounds.
  static constexpr std::chrono::seconds kLiveInterval{2};
  void round();
  void live_round();
  void note(const Status& outcome, std::string& last, const std::string& what);
  std::filesystem::path data_dir_;
  store::StoreOptions store_;
  sync::SyncOptions options_;
  std::function<void(const std::string&)> log_;
  std::string last_failure_, last_live_failure_;  // a failure repeated every round is logged once
  std::map<std::string, std::string> handed_away_;   // cases the centre handed to another station, each logged once
  std::unique_ptr<runtime::Runtime> live_runtime_;  // the live rounds' own, kept open between them
  std::mutex sending_;                               // one round sends at a time: no line is sent twice at once
  Periodic periodic_;       // last two: their threads use everything above
  Periodic live_periodic_;
};

}  // namespace netsample::server
