#include "station_sync.h"

#include "netsample/bundle/bundle.h"
#include "netsample/runtime/runtime.h"

namespace netsample::server {

StationSyncWork::StationSyncWork(std::filesystem::path data_dir, store::StoreOptions store, sync::SyncOptions options,
                                 std::chrono::seconds interval, std::function<void(const std::string&)> log)
    : data_dir_(std::move(data_dir)),
      store_(std::move(store)),
      options_(std::move(options)),
      log_(std::move(log)),
      periodic_(interval, [this] { round(); }),
      live_periodic_(kLiveInterval, [this] { live_round(); }) {}

StationSyncWork::~StationSyncWork() = default;

// A failure is logged once until a round succeeds again: a centre offline for hours is one line, not one a round.
void StationSyncWork::note(const Status& outcome, std::string& last, const std::string& what) {
  if (outcome.ok()) {
    last.clear();
    return;
  }
  const std::string said = outcome.error().describe();
  if (said != last) log_(what + said);
  last = said;
}

void StationSyncWork::live_round() {
  if (!live_runtime_) {
    auto opened = runtime::Runtime::open(data_dir_, store_);
    if (!opened.ok()) return;  // the full round says why
    live_runtime_ = std::move(*opened);
  }
  sync::SyncOptions options = options_;
  bundle::add_station_sources(*live_runtime_, options);
  const std::lock_guard sending(sending_);
  note(status_of(sync::push_live(options)), last_live_failure_, "netsample serve: 录制中的录像未能送到中心 " + options_.central + "（稍后重试）：");
}

void StationSyncWork::round() {
  auto report = [&]() -> Result<sync::SyncReport> {
    NETSAMPLE_ASSIGN(std::unique_ptr<runtime::Runtime> runtime, runtime::Runtime::open(data_dir_, store_));
    sync::SyncOptions options = options_;
    bundle::add_station_sources(*runtime, options);
    const std::lock_guard sending(sending_);
    return sync::push(runtime->store(), options);
  }();
  note(status_of(report), last_failure_, "netsample serve: 同步到中心 " + options_.central + " 未完成（下一轮重试）：");
  if (!report.ok()) return;
  for (const auto& [number, holder] : report->handed_away)
    if (handed_away_.emplace(number, holder).second)
      log_("netsample serve: 中心已将任务 " + number + " 移交工作站 " + holder + "：本站不再送它的文书，中心以该站送来的为准");
  if (report->rows_sent == 0 && report->blobs_sent == 0 && report->cases_sent == 0 && report->live_lines_sent == 0 &&
      report->live_stamps_sent == 0)
    return;  // nothing new: nothing to say
  log_("netsample serve: 已同步到中心：证据 " + std::to_string(report->blobs_sent) + " 件（" + std::to_string(report->bytes_sent) + " 字节），审计记录 " +
       std::to_string(report->rows_sent) + " 条，任务文书 " + std::to_string(report->cases_sent) + " 件，录像逐段送达 " +
       std::to_string(report->live_lines_sent) + " 段、时间戳 " + std::to_string(report->live_stamps_sent) + " 个，中心所存本站审计链到第 " + std::to_string(report->central_head.seq) + " 条");
}

}  // namespace netsample::server
