#include "netsample/runtime/runtime.h"

#include <algorithm>
#include <map>

#include "netsample/core/file_io.h"
#include "netsample/core/json_fields.h"
#include "netsample/core/sha256.h"
#include "netsample/core/long_term.h"
#include "netsample/core/tsa.h"
#include "netsample/notices/sender.h"
#include "netsample/review/review.h"
#include "netsample/unboxing/video.h"

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

// The overlay's size and modification time: enough to see that another process rewrote it.
std::string file_state(const fs::path& file) {
  std::error_code error;
  const auto size = fs::file_size(file, error);
  if (error) return "absent";
  const auto written = fs::last_write_time(file, error);
  return std::to_string(size) + "@" + std::to_string(written.time_since_epoch().count());
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
  json stamp_list = json::array();
  for (const auto& c : stamps)
    stamp_list.push_back({{"seq", c.stamp.head.seq}, {"hash", c.stamp.head.hash}, {"tsa", c.stamp.tsa_url},
                          {"stamped", format_iso8601_beijing(c.stamp.stamped)}, {"ok", c.ok}, {"problem", c.problem.empty() ? json(nullptr) : json(c.problem)},
                          {"long_term", !c.stamp.material.empty()}});
  out["stamps"] = {{"intact", stamps_intact()},
                   {"list", stamp_list},
                   {"trust", trust_source},
                   {"unstamped_rows", unstamped_rows},
                   {"last_stamped", last_stamped ? json(format_iso8601_beijing(*last_stamped)) : json(nullptr)},
                   {"gap", stamp_gap().empty() ? json(nullptr) : json(stamp_gap())},
                   {"renewal", stamp_renewal.empty() ? json(nullptr) : json(stamp_renewal)}};
  return out;
}

Result<std::unique_ptr<Runtime>> Runtime::open(const fs::path& data_dir, const store::StoreOptions& store_options) {
  std::unique_ptr<Runtime> r(new Runtime());
  r->data_dir_ = data_dir;
  NETSAMPLE_ASSIGN(r->store_, store::Store::open(data_dir, r->clock_, store_options));
  NETSAMPLE_ASSIGN(r->platforms_, workflow::PlatformRegistry::load(data_dir));
  r->calendar_file_state_ = file_state(data_dir / "calendar.json");
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

Result<bool> Runtime::refresh_calendar() {
  const std::string state = file_state(data_dir_ / "calendar.json");
  if (state == calendar_file_state_) return false;
  // Assigned in place: the lifecycle refers to this calendar.
  NETSAMPLE_ASSIGN(calendar_, workflow::Calendar::load(data_dir_));
  calendar_file_state_ = state;
  return true;
}

Result<std::vector<workflow::DeadlineView>> Runtime::add_calendar(std::string_view json_text, const std::string& source,
                                                                  const std::string& actor) {
  NETSAMPLE_ASSIGN(std::vector<workflow::CalendarYear> years, workflow::Calendar::parse(json_text, source));
  if (years.empty()) return make_error(ErrorCode::missing_field, source + ".years", "文件中没有任何年份");
  NETSAMPLE_TRY(refresh_calendar());
  const CivilDate today = beijing_date(clock_.now());
  for (const auto& year : years) NETSAMPLE_TRY(calendar_.check_notice(year, today, source));

  // The overlay keeps the operator's years as given; an imported year replaces the same year there.
  const fs::path overlay = data_dir_ / "calendar.json";
  NETSAMPLE_ASSIGN(std::optional<std::string> before, read_file_if_exists(overlay));
  json kept = json::array();
  if (before) {
    NETSAMPLE_ASSIGN(json root, parse_json(*before, overlay.string()));
    for (const auto& entry : root.value("years", json::array())) {
      const bool replaced = std::any_of(years.begin(), years.end(), [&](const auto& y) { return entry.value("year", 0) == y.year; });
      if (!replaced) kept.push_back(entry);
    }
  }
  NETSAMPLE_ASSIGN(json given, parse_json(json_text, source));
  std::vector<json> added;
  for (const auto& entry : given["years"]) {
    kept.push_back(entry);
    added.push_back(entry);
  }
  std::sort(kept.begin(), kept.end(), [](const json& a, const json& b) { return a.value("year", 0) < b.value("year", 0); });
  workflow::Calendar next = calendar_;  // the file as it will be, read before it is written
  const std::string text = json{{"_comment", "Years added with `netsample calendar add` (audited as calendar.year_added); they replace the built-in ones."},
                                {"years", kept}}
                               .dump(2) +
                           "\n";
  NETSAMPLE_TRY(next.merge(text, overlay.string()));

  const std::vector<int> loaded = calendar_.years();
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    for (size_t i = 0; i < years.size(); ++i) {
      const bool replacing = std::find(loaded.begin(), loaded.end(), years[i].year) != loaded.end();
      NETSAMPLE_TRY(status_of(store_->audit().append(
          {actor, "calendar.year_added", std::nullopt,
           {{"year", years[i].year}, {"notice", years[i].notice}, {"published", years[i].published}, {"source", years[i].source},
            {"replaced", replacing}, {"sha256", sha256_hex(added[i].dump())}, {"file", source}}},
          clock_.now())));
    }
    // Written inside the transaction: a failed write leaves no audit row, a failed commit is reported with the
    // file already written (the next import of the same year replaces it).
    return write_file_atomic(overlay, text);
  }));
  NETSAMPLE_TRY(refresh_calendar());
  return lifecycle_->recompute_deadlines();
}

json TsaTrust::to_json() const { return {{"file", file.string()}, {"source", source}, {"notes", notes}}; }

TsaTrust tsa_trust(const fs::path& data_dir, const std::string& given) {
  TsaTrust trust;
  std::error_code ec;
  const fs::path data = fs::weakly_canonical(data_dir, ec);
  if (!given.empty()) {
    trust.file = given;
    trust.source = "--trust " + given;
    const fs::path named = fs::weakly_canonical(given, ec);
    const auto [data_end, named_at] = std::mismatch(data.begin(), data.end(), named.begin(), named.end());
    if (!data.empty() && data_end == data.end())
      trust.notes.push_back("所用的时间戳服务机构证书 " + given +
                            " 在数据目录内：能写数据目录的人也能改它，时间戳的可信只到这个程度；正式核验请用本单位保管的证书（" +
                            std::string(kSystemTsaTrust) + " 或另行指明）");
  } else if (fs::exists(kSystemTsaTrust, ec)) {
    trust.file = kSystemTsaTrust;
    trust.source = kSystemTsaTrust;
  } else {
    trust.file = "/etc/ssl/certs/ca-certificates.crt";
    trust.source = "系统 CA 证书（/etc/ssl/certs/ca-certificates.crt）";
  }
  if (given.empty() && fs::exists(data_dir / "tsa-trust.pem", ec))
    trust.notes.push_back("数据目录里的 tsa-trust.pem 未被采用：任何能写数据目录的人都能放进一个证书；确需使用时用 --trust " +
                          (data_dir / "tsa-trust.pem").string() + " 指明");
  return trust;
}

TsaTrust Runtime::tsa_trust(const std::string& given) const {
  return runtime::tsa_trust(data_dir_, given.empty() ? tsa_trust_given_ : given);
}

fs::path Runtime::tsa_trust_store(const std::string& given) const { return tsa_trust(given).file; }

bool AuditReport::stamps_intact() const {
  return std::all_of(stamps.begin(), stamps.end(), [](const StampCheck& c) { return c.ok; });
}

std::string AuditReport::stamp_gap() const {
  if (!last_stamped)
    return chain.rows == 0 ? std::string()
                           : "审计链头从未由时间戳服务盖章：有人同时改写整条链和见证时无法发现（netsample audit stamp --tsa 地址）";
  if (unstamped_rows == 0) return "";
  return "最近一次盖章（" + format_iso8601_beijing(*last_stamped) + "）之后的 " + std::to_string(unstamped_rows) +
         " 条记录尚未盖时间戳：它们的改写只能由见证发现";
}

Result<std::vector<StampOutcome>> Runtime::stamp_audit_head(const std::vector<std::string>& tsa_urls, const std::string& actor) {
  if (tsa_urls.empty()) return make_error(ErrorCode::missing_field, "tsa", "须至少给出一个时间戳服务地址（--tsa）");
  HttpClient http;  // default retries: a TSA that does not answer at once is asked again
  TsaClient client(http);
  NETSAMPLE_ASSIGN(store::AuditHead head, store_->audit().head());
  NETSAMPLE_ASSIGN(std::vector<std::string> hashes, store_->audit().hashes_until(head.seq));
  const std::string root = store::audit_merkle_root(hashes);  // lets a bundle prove its case's rows under this stamp
  std::vector<StampOutcome> out;
  for (const std::string& url : tsa_urls) {
    StampOutcome outcome{url, false, "", head, std::nullopt, ""};
    auto token = client.stamp(url, store::audit_head_imprint(head, root));
    if (!token.ok()) {
      outcome.error = token.error().describe();
      out.push_back(std::move(outcome));
      continue;
    }
    // Its chain and revocation status while fresh: the stamp then verifies at its own time after the certificate expired.
    auto material = collect_validation_material(token->response_der, tsa_trust().file, http, clock_.now());
    if (!material.ok()) outcome.note = "未保存验证材料：" + material.error().describe();
    const store::AuditStamp stamp{0, head, url, token->response_der, token->gen_time, material.ok() ? material->to_json().dump() : "", root};
    NETSAMPLE_TRY(store_->write([&]() -> Status {
      NETSAMPLE_TRY(store_->audit().record_stamp(stamp));
      return status_of(store_->audit().append(
          {actor, "audit.head_stamped", std::nullopt,
           {{"seq", head.seq}, {"hash", head.hash}, {"merkle_root", root}, {"tsa", url}, {"stamped", format_iso8601_beijing(token->gen_time)},
            {"serial", token->serial_hex}}},
          clock_.now()));
    }));
    outcome.ok = true;
    outcome.stamped = token->gen_time;
    out.push_back(std::move(outcome));
  }
  return out;
}

Result<RenewReport> Runtime::renew_evidence(const std::optional<std::string>& case_number, const std::vector<std::string>& tsa_urls, bool force,
                                            const std::string& actor) {
  RenewReport report;
  report.trust = tsa_trust();
  std::vector<workflow::CaseView> cases;
  if (case_number) {
    NETSAMPLE_ASSIGN(workflow::CaseView one, cases_->show(*case_number));
    cases.push_back(std::move(one));
  } else {
    NETSAMPLE_ASSIGN(cases, cases_->list());
  }
  const HttpClient http;
  const TsaClient tsa(http);
  for (const auto& view : cases) {
    std::vector<fs::path> dirs;
    NETSAMPLE_ASSIGN(auto purchases, purchases_->of_case(view.record.number));
    for (const auto& p : purchases) dirs.push_back(p.recording_dir);
    NETSAMPLE_ASSIGN(auto unboxings, unboxings_->of_case(view.record.number));
    for (const auto& u : unboxings) dirs.push_back(u.recording_dir);
    for (const auto& dir : dirs) {
      auto tokens = unboxing::tokens_of_recording(dir);
      if (!tokens.ok()) continue;  // a recording that never began has no tokens
      NETSAMPLE_ASSIGN(auto lines, recorder::secure_tokens(dir, *tokens, report.trust.file, http, tsa, tsa_urls, clock_.now(), force));
      for (auto& line : lines) {
        // The record as it is now, kept with the case's evidence (and its audit row) whenever it changed.
        const fs::path record = recorder::evidence_record_path(dir / line.file);
        if (line.error.empty() && fs::exists(record)) {
          NETSAMPLE_ASSIGN(auto known, store_->find_evidence(view.record.number, record));
          NETSAMPLE_ASSIGN(Sha256Digest now_hash, sha256_file(record));
          if (!known || known->sha256 != to_hex(now_hash))
            NETSAMPLE_TRY(status_of(store_->add_evidence(view.id, view.record.number, record, "evidence_record", actor)));
        }
        RenewedToken renewed{view.record.number, dir, std::move(line)};
        report.failures += !renewed.token.error.empty();
        report.due += renewed.due();
        report.tokens.push_back(std::move(renewed));
      }
    }
  }
  return report;
}

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
  // The case facts kept outside the snapshots: its history, evidence, deliveries and receipts, parcels and timelines.
  NETSAMPLE_ASSIGN(std::vector<std::string> events, lifecycle_->verify_event_records());
  add(events);
  NETSAMPLE_ASSIGN(std::vector<std::string> evidence, store_->verify_evidence_records());
  add(evidence);
  NETSAMPLE_ASSIGN(std::vector<std::string> deliveries, notices::verify_delivery_records(*store_));
  add(deliveries);
  NETSAMPLE_ASSIGN(std::vector<std::string> parcels, unboxing::verify_parcel_records(*store_));
  add(parcels);
  NETSAMPLE_ASSIGN(std::vector<std::string> reviews, review::Reviews(*store_, *lifecycle_).verify_records());
  add(reviews);
  NETSAMPLE_ASSIGN(std::vector<notices::Party> party_rows, parties_->list());
  report.parties_checked = static_cast<int>(party_rows.size());

  // Each stamp proves the row it names had that hash at the TSA's time: a chain rewritten together with its witness
  // still differs there.
  const TsaTrust trust = tsa_trust();
  report.trust_source = trust.source;
  NETSAMPLE_ASSIGN(std::vector<store::AuditStamp> stamps, store_->audit().stamps());
  std::int64_t last_good_seq = 0;
  std::optional<UtcTime> latest_expiry;  // of the good stamps that kept their material
  std::map<std::int64_t, std::string> roots;  // seq -> the root the rows 1..seq have now
  auto root_holds = [&](const store::AuditStamp& stamp) {
    if (!roots.contains(stamp.head.seq)) {
      auto hashes = store_->audit().hashes_until(stamp.head.seq);
      roots[stamp.head.seq] = hashes.ok() ? store::audit_merkle_root(*hashes) : "";
    }
    return roots[stamp.head.seq] == stamp.merkle_root;
  };
  for (const auto& stamp : stamps) {
    StampCheck check{stamp, false, ""};
    // With its material: at its own time (core/long_term.h); stamps made before it was kept: against today's clock.
    std::optional<UtcTime> expires;
    Result<TimestampToken> token = make_error(ErrorCode::internal, "stamp", "");
    auto material = stamp.material.empty() ? Result<ValidationMaterial>(make_error(ErrorCode::not_found, "material", ""))
                                           : ValidationMaterial::from_json(nlohmann::json::parse(stamp.material, nullptr, false));
    if (material.ok()) {
      auto layer = verify_timestamp_at_its_time(stamp.token_der, store::audit_head_imprint(stamp.head, stamp.merkle_root), *material, trust.file);
      if (layer.ok()) {
        expires = layer->chain_expires;
        token = TimestampToken{};
      } else {
        token = layer.error();
      }
    } else {
      token = verify_timestamp(stamp.token_der, store::audit_head_imprint(stamp.head, stamp.merkle_root), trust.file);
    }
    NETSAMPLE_ASSIGN(std::optional<std::string> now_hash, store_->audit().hash_at(stamp.head.seq));
    const std::string who = stamp.tsa_url + " 于 " + format_iso8601_beijing(stamp.stamped) + " 的时间戳";
    if (!token.ok())
      check.problem = who + "不成立（" + token.error().message + "；核验证书：" + trust.source + "）";
    else if (!now_hash)
      check.problem = who + "证明审计链当时已有第 " + std::to_string(stamp.head.seq) + " 条（哈希 " + stamp.head.hash.substr(0, 16) +
                      "…），现在没有这一条：链被截短或改写";
    else if (*now_hash == stamp.head.hash && !stamp.merkle_root.empty() && !root_holds(stamp))
      check.problem = who + "证明第 1 至 " + std::to_string(stamp.head.seq) + " 条的默克尔根为 " + stamp.merkle_root.substr(0, 16) +
                      "…，现在的记录算出的不同：其中有记录被改写";
    else if (*now_hash != stamp.head.hash)
      check.problem = who + "证明第 " + std::to_string(stamp.head.seq) + " 条的哈希为 " + stamp.head.hash.substr(0, 16) + "…，现在是 " +
                      now_hash->substr(0, 16) + "…：此条及以前的记录被改写（见证也被一并改写时，只有时间戳能发现）";
    else {
      check.ok = true;
      if (stamp.head.seq >= last_good_seq) {
        last_good_seq = stamp.head.seq;
        report.last_stamped = stamp.stamped;
      }
      if (expires) latest_expiry = std::max(latest_expiry.value_or(*expires), *expires);
    }
    report.stamps.push_back(std::move(check));
  }
  // A newer stamp carries the whole chain before it: renewing is stamping the head again before the certificates run out.
  if (const UtcTime now = clock_.now(); latest_expiry && now + kRenewalMargin >= *latest_expiry)
    report.stamp_renewal = "链头时间戳的证书" + std::string(now >= *latest_expiry ? "已于 " : "将于 ") + format_iso8601_beijing(*latest_expiry) +
                           " 到期：到期前再盖一次（netsample audit stamp --tsa 地址），此前的记录由新的时间戳继续证明";
  // audit.head_stamped rows themselves follow the head they stamp; they are not what a stamp must cover.
  report.unstamped_rows = 0;
  if (report.last_stamped) {
    NETSAMPLE_ASSIGN(store::Statement after, store_->db().prepare("SELECT COUNT(*) FROM audit_log WHERE seq > ?1 AND action <> 'audit.head_stamped'"));
    NETSAMPLE_TRY(after.bind(1, last_good_seq).step());
    report.unstamped_rows = after.int64(0);
  }
  return report;
}

}  // namespace netsample::runtime
