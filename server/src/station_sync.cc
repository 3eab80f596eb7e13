#include "station_sync.h"

#include "netsample/bundle/bundle.h"
#include "netsample/purchase/session.h"
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

namespace {

// The purchases being recorded now: a station that dies mid-purchase has delivered what it recorded.
std::vector<sync::LiveSource> purchases_recording(runtime::Runtime& runtime) {
  std::vector<sync::LiveSource> out;
  auto sessions = runtime.purchases().recording(std::nullopt);
  if (sessions.ok())
    for (const auto& s : *sessions) out.push_back({s.recording_dir, s.case_number});
  return out;
}

}  // namespace

void StationSyncWork::live_round() {
  if (!live_runtime_) {
    auto opened = runtime::Runtime::open(data_dir_, store_);
    if (!opened.ok()) return;  // the full round says why
    live_runtime_ = std::move(*opened);
  }
  sync::SyncOptions options = options_;
  options.live_recordings = [&] { return purchases_recording(*live_runtime_); };
  const std::lock_guard sending(sending_);
  auto report = sync::push_live(options);
  if (!report.ok()) {
    const std::string said = report.error().describe();
    if (said != last_live_failure_) log_("netsample serve: 录制中的录像未能送到中心 " + options_.central + "（稍后重试）：" + said);
    last_live_failure_ = said;
    return;
  }
  last_live_failure_.clear();
}

void StationSyncWork::round() {
  auto runtime = runtime::Runtime::open(data_dir_, store_);
  Result<sync::SyncReport> report = runtime.ok() ? Result<sync::SyncReport>(sync::SyncReport{}) : Result<sync::SyncReport>(runtime.error());
  if (runtime.ok()) {
    sync::SyncOptions options = options_;
    options.case_documents = [&](const std::string& number) { return bundle::case_documents(**runtime, number); };
    options.live_recordings = [&] { return purchases_recording(**runtime); };
    const std::lock_guard sending(sending_);
    report = sync::push((*runtime)->store(), options);
  }
  if (!report.ok()) {
    const std::string said = report.error().describe();
    if (said != last_failure_) log_("netsample serve: 同步到中心 " + options_.central + " 未完成（下一轮重试）：" + said);
    last_failure_ = said;
    return;
  }
  last_failure_.clear();
  if (report->rows_sent == 0 && report->blobs_sent == 0 && report->cases_sent == 0 && report->live_lines_sent == 0) return;  // nothing new: nothing to say
  log_("netsample serve: 已同步到中心：证据 " + std::to_string(report->blobs_sent) + " 件（" + std::to_string(report->bytes_sent) + " 字节），审计记录 " +
       std::to_string(report->rows_sent) + " 条，任务文书 " + std::to_string(report->cases_sent) + " 件，录像逐段送达 " + std::to_string(report->live_lines_sent) + " 段，中心所存本站审计链到第 " + std::to_string(report->central_head.seq) + " 条");
}

}  // namespace netsample::server
