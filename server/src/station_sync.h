// A station's service syncing to the centre on its own (serve --central): every interval, one sync::push of what
// the centre lacks (design/central.md), on a thread and a Runtime of its own (a case's documents are read as its bundle shows them); each round's outcome goes to the
// service's log. A round that fails (the centre unreachable, a refusal) is logged and tried again next time.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

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
  void round();
  std::filesystem::path data_dir_;
  store::StoreOptions store_;
  sync::SyncOptions options_;
  std::function<void(const std::string&)> log_;
  std::string last_failure_;  // a failure repeated every round is logged once
  Periodic periodic_;  // last: its thread uses everything above
};

}  // namespace netsample::server
