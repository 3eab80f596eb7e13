#include "background.h"

#include "netsample/core/http.h"
#include "netsample/notices/deliveries.h"
#include "netsample/notices/sender.h"
#include "netsample/runtime/runtime.h"

namespace netsample::server {

BackgroundWork::BackgroundWork(std::filesystem::path data_dir, store::StoreOptions store, std::chrono::seconds interval, std::function<void(const std::string&)> log,
                               std::vector<std::string> tsa, std::chrono::seconds stamp_interval, std::string tsa_trust)
    : data_dir_(std::move(data_dir)),
      store_(std::move(store)),
      tsa_trust_(std::move(tsa_trust)),
      tsa_(std::move(tsa)),
      stamp_interval_(stamp_interval),
      log_(std::move(log)),
      periodic_(interval, [this] { round(); }) {}

BackgroundWork::~BackgroundWork() = default;

void BackgroundWork::round() {
  const auto said = [this](const std::string& what, const Error& error) { log_("netsample serve: " + what + "：" + error.describe()); };
  auto opened = runtime::Runtime::open(data_dir_, store_);
  if (!opened.ok()) return said("后台工作无法打开数据目录", opened.error());
  runtime::Runtime& runtime = **opened;
  if (!tsa_trust_.empty()) runtime.set_tsa_trust(tsa_trust_);
  const auto never = [] { return false; };

  // The notices: only when some are owed (a data directory without parties or notices.json is not an error).
  auto deliveries = runtime.deliveries();
  auto mail = notices::load_mail_settings(data_dir_);
  if (!deliveries.ok()) said("通知送达", deliveries.error());
  else if (!mail.ok()) said("通知送达（notices.json）", mail.error());
  else {
    HttpClientOptions http_options;
    http_options.retry.max_attempts = 1;  // one try per attempt: the deliveries keep the schedule
    HttpClient http(http_options);
    Status delivered = notices::run_delivery_worker(**deliveries, notices::make_sender(http, *mail), runtime.clock(), /*once=*/true, never,
                                                    [this](const std::string& line) { log_("netsample serve: 送达 " + line); });
    if (!delivered.ok()) said("通知送达", delivered.error());
  }

  // The parcels: only where tracking.json configures a tracking service.
  if (std::filesystem::exists(data_dir_ / "tracking.json")) {
    auto tracker = runtime.tracker();
    if (!tracker.ok()) {
      said("快递跟踪", tracker.error());
    } else {
      Status polled = unboxing::run_tracking_worker(**tracker, runtime.clock(), /*once=*/true, never, [this](const unboxing::PollReport& report) {
        for (const auto& line : report.lines) log_("netsample serve: 快递 " + line);
      });
      if (!polled.ok()) said("快递跟踪", polled.error());
    }
  }
  if (!tsa_.empty()) stamp_audit_head(runtime);
  if (!tsa_.empty()) renew_evidence(runtime);
  ++rounds_;
}

// Art 47: the recordings' tokens must outlive their TSA certificates. Once a day every token without its material
// gets it, and every one within 180 days of its certificates' end is stamped again (as `evidence renew --tsa`).
void BackgroundWork::renew_evidence(runtime::Runtime& runtime) {
  const auto now = std::chrono::steady_clock::now();
  if (last_renewal_ && now - *last_renewal_ < std::chrono::hours(24)) return;
  last_renewal_ = now;
  auto report = runtime.renew_evidence(std::nullopt, tsa_, /*force=*/false, "system:serve");
  if (!report.ok()) return log_("netsample serve: 时间戳续期：" + report.error().describe());
  for (const auto& t : report->tokens)
    if (!t.token.error.empty() || t.token.done.find("已续期") != std::string::npos || t.token.done.find("保存了") != std::string::npos)
      log_("netsample serve: 时间戳续期 " + t.case_number + " " + t.recording.filename().string() + "/" + t.token.file + "：" +
           (t.token.error.empty() ? t.token.done : t.token.error));
}

void BackgroundWork::stamp_audit_head(runtime::Runtime& runtime) {
  auto stamps = runtime.store().audit().stamps();
  auto head = runtime.store().audit().head();
  if (!stamps.ok() || !head.ok()) return log_("netsample serve: 审计链头盖章：无法读取审计链");
  if (!stamps->empty()) {
    const store::AuditStamp& last = stamps->back();
    // Due once the interval has passed and the chain has grown by more than the stamp's own row.
    if (runtime.clock().now() - last.stamped < stamp_interval_ || head->seq <= last.head.seq + 1) return;
  } else if (head->seq == 0) {
    return;
  }
  auto outcomes = runtime.stamp_audit_head(tsa_, "system:serve");
  if (!outcomes.ok()) return log_("netsample serve: 审计链头盖章：" + outcomes.error().describe());
  for (const auto& o : *outcomes)
    log_("netsample serve: 审计链头第 " + std::to_string(o.head.seq) + " 条" +
         (o.ok ? " 由 " + o.tsa_url + " 盖章" : " 未能由 " + o.tsa_url + " 盖章（" + o.error + "），下一轮重试"));
}

}  // namespace netsample::server
