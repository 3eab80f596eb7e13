#include "station_sync.h"

namespace netsample::server {

StationSyncWork::StationSyncWork(std::filesystem::path data_dir, store::StoreOptions store, sync::SyncOptions options,
                                 std::chrono::seconds interval, std::function<void(const std::string&)> log)
    : data_dir_(std::move(data_dir)),
      store_(std::move(store)),
      options_(std::move(options)),
      log_(std::move(log)),
      periodic_(interval, [this] { round(); }) {}

StationSyncWork::~StationSyncWork() = default;

void StationSyncWork::round() {
  SystemClock clock;
  auto store = store::Store::open(data_dir_, clock, store_);
  auto report = store.ok() ? sync::push(**store, options_) : Result<sync::SyncReport>(store.error());
  if (!report.ok()) {
    const std::string said = report.error().describe();
    if (said != last_failure_) log_("netsample serve: 同步到中心 " + options_.central + " 未完成（下一轮重试）：" + said);
    last_failure_ = said;
    return;
  }
  last_failure_.clear();
  if (report->rows_sent == 0 && report->blobs_sent == 0) return;  // nothing new: nothing to say
  log_("netsample serve: 已同步到中心：证据 " + std::to_string(report->blobs_sent) + " 件（" + std::to_string(report->bytes_sent) + " 字节），审计记录 " +
       std::to_string(report->rows_sent) + " 条，中心所存本站审计链到第 " + std::to_string(report->central_head.seq) + " 条");
}

}  // namespace netsample::server
