#include "netsample/runtime/runtime.h"

#include "netsample/core/file_io.h"
#include "netsample/core/json_fields.h"
#include "netsample/notices/sender.h"

namespace netsample::runtime {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// <data>/settings.json: {"period_rule": "default" | "strict"} (Art 75).
Result<workflow::LifecycleOptions> load_settings(const fs::path& data_dir) {
  workflow::LifecycleOptions options;
  const auto settings_file = data_dir / "settings.json";
  NETSAMPLE_ASSIGN(std::optional<std::string> settings_text, read_file_if_exists(settings_file));
  if (!settings_text) return options;
  NETSAMPLE_ASSIGN(json settings, parse_json(*settings_text, settings_file.string()));
  NETSAMPLE_ASSIGN(JsonFields fields, JsonFields::of(settings, settings_file.string()));
  NETSAMPLE_ASSIGN(std::optional<std::string> rule, fields.optional_text("period_rule"));
  NETSAMPLE_TRY(fields.reject_unknown_keys());
  if (rule && *rule != "default" && *rule != "strict")
    return make_error(ErrorCode::invalid_input, fields.path_of("period_rule"), "取值：default（节假日和休息日顺延）或 strict（仅法定节假日顺延）", 75);
  options.rule = rule == "strict" ? workflow::PeriodRule::holidays_only : workflow::PeriodRule::rest_days_move;
  return options;
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
  NETSAMPLE_ASSIGN(r->lifecycle_options_, load_settings(data_dir));
  r->lifecycle_ = std::make_unique<workflow::Lifecycle>(*r->store_, r->calendar_, r->lifecycle_options_);
  r->cases_ = std::make_unique<workflow::CaseRegistry>(*r->store_);
  r->roster_ = std::make_unique<workflow::Roster>(*r->store_);
  r->purchases_ = std::make_unique<purchase::PurchaseSessions>(*r->store_, *r->lifecycle_);
  r->unboxings_ = std::make_unique<unboxing::UnboxingSessions>(*r->store_, *r->lifecycle_);
  r->parties_ = std::make_unique<notices::PartyRegistry>(*r->store_);
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
