#include "netsample/runtime/runtime.h"

#include <algorithm>

#include "netsample/core/file_io.h"
#include "netsample/core/json_fields.h"
#include "netsample/notices/sender.h"

namespace netsample::runtime {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Settings {
  workflow::LifecycleOptions lifecycle;
  extract::Region region;
};

// <data>/settings.json: {"period_rule": "default" | "strict"} (Art 75), {"region": {"code": "500112", "name":
// "渝北"}} (Art 34: the organizer's administrative division, GB/T 2260, and its name as addresses write it;
// default Chongqing).
Result<Settings> load_settings(const fs::path& data_dir) {
  Settings settings;
  const auto settings_file = data_dir / "settings.json";
  NETSAMPLE_ASSIGN(std::optional<std::string> settings_text, read_file_if_exists(settings_file));
  if (!settings_text) return settings;
  NETSAMPLE_ASSIGN(json root, parse_json(*settings_text, settings_file.string()));
  NETSAMPLE_ASSIGN(JsonFields fields, JsonFields::of(root, settings_file.string()));
  NETSAMPLE_ASSIGN(std::optional<std::string> rule, fields.optional_text("period_rule"));
  std::optional<JsonFields> region;
  if (root.contains("region")) {
    NETSAMPLE_ASSIGN(region, fields.object("region"));
  }
  NETSAMPLE_TRY(fields.reject_unknown_keys());
  if (rule && *rule != "default" && *rule != "strict")
    return make_error(ErrorCode::invalid_input, fields.path_of("period_rule"), "取值：default（节假日和休息日顺延）或 strict（仅法定节假日顺延）", 75);
  settings.lifecycle.rule = rule == "strict" ? workflow::PeriodRule::holidays_only : workflow::PeriodRule::rest_days_move;
  if (region) {
    NETSAMPLE_ASSIGN(settings.region.code, region->text("code"));
    NETSAMPLE_ASSIGN(settings.region.name, region->text("name"));
    NETSAMPLE_TRY(region->reject_unknown_keys());
    const bool six_digits = settings.region.code.size() == 6 &&
                            std::all_of(settings.region.code.begin(), settings.region.code.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!six_digits || settings.region.code.substr(0, 2) == "00")
      return make_error(ErrorCode::invalid_input, region->path_of("code"), "须为 6 位行政区划代码（GB/T 2260），如重庆市 500000、渝北区 500112", 34);
  }
  return settings;
}

}  // namespace

json AuditReport::to_json() const {
  json out = {{"intact", intact()},
              {"chain", {{"intact", chain.intact},
                         {"rows", chain.rows},
                         {"head", {{"seq", chain.head.seq}, {"hash", chain.head.hash}}},
                         {"first_bad_row", chain.intact ? json(nullptr) : json(chain.first_bad_seq)},
                         {"problem", chain.problem}}},
              {"records", {{"intact", records.intact},
                           {"cases_checked", records.cases_checked},
                           {"people_checked", records.people_checked},
                           {"parties_checked", parties_checked},
                           {"problems", records.problems}}}};
  if (chain.witness) out["chain"]["witness"] = {{"seq", chain.witness->seq}, {"hash", chain.witness->hash}};
  return out;
}

Result<std::unique_ptr<Runtime>> Runtime::open(const fs::path& data_dir) {
  std::unique_ptr<Runtime> r(new Runtime());
  r->data_dir_ = data_dir;
  NETSAMPLE_ASSIGN(r->store_, store::Store::open(data_dir, r->clock_));
  NETSAMPLE_ASSIGN(r->platforms_, workflow::PlatformRegistry::load(data_dir));
  NETSAMPLE_ASSIGN(r->calendar_, workflow::Calendar::load(data_dir));
  NETSAMPLE_ASSIGN(Settings settings, load_settings(data_dir));
  r->lifecycle_options_ = settings.lifecycle;
  r->lifecycle_ = std::make_unique<workflow::Lifecycle>(*r->store_, r->calendar_, r->lifecycle_options_);
  r->cases_ = std::make_unique<workflow::CaseRegistry>(*r->store_);
  r->roster_ = std::make_unique<workflow::Roster>(*r->store_);
  r->purchases_ = std::make_unique<purchase::PurchaseSessions>(*r->store_, *r->lifecycle_);
  r->unboxings_ = std::make_unique<unboxing::UnboxingSessions>(*r->store_, *r->lifecycle_);
  r->parties_ = std::make_unique<notices::PartyRegistry>(*r->store_);
  r->pages_ = std::make_unique<listing::PageChecks>(*r->store_, *r->cases_, r->platforms_, data_dir, settings.region);
  return r;
}

Result<unboxing::ParcelTracker*> Runtime::tracker() {
  if (!tracker_) {
    NETSAMPLE_ASSIGN(unboxing::TrackingConfig config, unboxing::load_tracking_config(data_dir_));
    tracking_config_ = std::make_unique<unboxing::TrackingConfig>(std::move(config));
    tracker_ = std::make_unique<unboxing::ParcelTracker>(*store_, *lifecycle_, *tracking_config_);
  }
  return tracker_.get();
}

Result<std::unique_ptr<notices::Deliveries>> Runtime::deliveries(notices::DeliveryPolicy policy) {
  NETSAMPLE_ASSIGN(std::optional<notices::MailSettings> mail, notices::load_mail_settings(data_dir_));
  return std::make_unique<notices::Deliveries>(*store_, *lifecycle_, *parties_, policy, mail.has_value());
}

Status Runtime::reload_platforms() {
  NETSAMPLE_ASSIGN(platforms_, workflow::PlatformRegistry::load(data_dir_));
  return {};
}

fs::path tsa_trust_store(const fs::path& data_dir, const std::string& given) {
  if (!given.empty()) return given;
  if (fs::exists(data_dir / "tsa-trust.pem")) return data_dir / "tsa-trust.pem";
  return "/etc/ssl/certs/ca-certificates.crt";
}

fs::path Runtime::tsa_trust_store(const std::string& given) const { return runtime::tsa_trust_store(data_dir_, given); }

Result<AuditReport> Runtime::verify_audit() {
  AuditReport report;
  NETSAMPLE_ASSIGN(report.chain, store_->audit().verify());
  NETSAMPLE_ASSIGN(report.records, cases_->verify_records());
  auto add = [&](const std::vector<std::string>& problems) {
    report.records.problems.insert(report.records.problems.end(), problems.begin(), problems.end());
    report.records.intact = report.records.intact && problems.empty();
  };
  NETSAMPLE_ASSIGN(std::vector<std::string> purchases, purchases_->verify_records());
  add(purchases);
  NETSAMPLE_ASSIGN(std::vector<std::string> unboxings, unboxings_->verify_records());
  add(unboxings);
  NETSAMPLE_ASSIGN(std::vector<std::string> parties, parties_->verify_records());
  add(parties);
  NETSAMPLE_ASSIGN(std::vector<notices::Party> party_rows, parties_->list());
  report.parties_checked = static_cast<int>(party_rows.size());
  return report;
}

}  // namespace netsample::runtime
