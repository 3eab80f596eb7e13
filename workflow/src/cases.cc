#include "netsample/workflow/cases.h"

#include <algorithm>
#include <limits>
#include <map>
#include <random>

#include "netsample/core/json_fields.h"
#include "netsample/core/sha256.h"
#include "netsample/workflow/lifecycle.h"
#include "netsample/workflow/roster.h"

namespace netsample::workflow {
namespace {

using nlohmann::json;

Status check_choice(const std::string& value, const std::string& field, std::initializer_list<const char*> allowed,
                    const std::string& meaning, int article) {
  std::string list;
  for (const char* choice : allowed) {
    if (value == choice) return {};
    list += (list.empty() ? "" : "、") + std::string(choice);
  }
  return make_error(ErrorCode::invalid_input, field, "\"" + value + "\" 不是有效的" + meaning + "，取值：" + list, article);
}

Status check_url(const std::optional<std::string>& url, const std::string& field) {
  if (!url) return {};
  const std::string& u = *url;
  const size_t scheme_end = u.starts_with("https://") ? 8 : u.starts_with("http://") ? 7 : 0;
  const size_t host_end = scheme_end ? u.find_first_of("/?#", scheme_end) : 0;
  const bool has_host = scheme_end && (host_end == std::string::npos ? u.size() : host_end) > scheme_end;
  if (!has_host || u.find_first_of(" \t") != std::string::npos)
    return make_error(ErrorCode::invalid_input, field, "\"" + u + "\" 不是有效的网址：须以 http:// 或 https:// 开头并含主机名");
  return {};
}

// Keeps every field's error instead of stopping at the first: a form or a row of a plan shows all its bad
// fields at once.
struct Problems {
  std::vector<Error> errors;
  template <class T>
  T take(Result<T> result) {
    if (result.ok()) return std::move(result).value();
    errors.push_back(result.error());
    return T{};
  }
  void check(const Status& status) {
    if (!status.ok()) errors.push_back(status.error());
  }
};

Party parse_party(JsonFields& top, const char* key, Problems& problems) {
  auto fields = top.object(key);
  if (!fields.ok()) {
    problems.errors.push_back(fields.error());
    return {};
  }
  Party party;
  party.name = problems.take(fields->text("name"));
  party.address = problems.take(fields->text("address"));
  problems.check(fields->reject_unknown_keys());
  return party;
}

json party_json(const Party& party) { return {{"name", party.name}, {"address", party.address}}; }

// Uniform in [0, n) without modulo bias.
std::uint64_t uniform_below(std::mt19937_64& random, std::uint64_t n) {
  const std::uint64_t remainder = (std::numeric_limits<std::uint64_t>::max() % n + 1) % n;  // 2^64 mod n
  if (remainder == 0) return random() % n;
  const std::uint64_t limit = 0 - remainder;  // 2^64 - remainder: a multiple of n
  for (;;) {
    const std::uint64_t x = random();
    if (x < limit) return x % n;
  }
}

std::uint64_t fresh_seed() {
  std::random_device entropy;
  return (static_cast<std::uint64_t>(entropy()) << 32) ^ entropy();
}

constexpr const char* kSelectCase =
    "SELECT id, number, organizer, level, plan_kind, product_name, trademark, model, category, standard, platform, "
    "shop_name, shop_url, listing_url, operator_name, operator_address, producer_name, producer_address, "
    "inspection_qty, backup_qty, onsite_testing, state, created_utc_us, updated_utc_us, art22_exception, district FROM cases";

CaseView view_from_row(const store::Statement& row) {
  CaseView view;
  view.id = row.int64(0);
  CaseRecord& r = view.record;
  r.number = row.text(1);
  r.organizer = row.text(2);
  r.level = row.text(3);
  r.plan_kind = row.text(4);
  r.product_name = row.text(5);
  r.trademark = row.text(6);
  r.model = row.text(7);
  r.category = row.text(8);
  r.standard = row.text(9);
  r.platform = row.text(10);
  r.shop_name = row.text(11);
  r.shop_url = row.optional_text(12);
  r.listing_url = row.optional_text(13);
  r.operator_party = {row.text(14), row.text(15)};
  r.producer = {row.text(16), row.text(17)};
  r.inspection_qty = static_cast<int>(row.int64(18));
  r.backup_qty = static_cast<int>(row.int64(19));
  r.onsite_testing = row.int64(20) != 0;
  view.state = row.text(21);
  view.created = from_utc_us(row.int64(22));
  view.updated = from_utc_us(row.int64(23));
  r.art22_exception = row.optional_text(24);
  r.district = row.optional_text(25);
  return view;
}

Result<SamplerDraw> draw_from_json(const json& value) {
  try {
    SamplerDraw draw;
    draw.seed = std::stoull(value.at("seed").get<std::string>());
    draw.candidates = value.at("candidates").get<std::vector<std::string>>();
    draw.drawn = value.at("drawn").get<std::vector<std::string>>();
    return draw;
  } catch (const std::exception&) {
    return make_error(ErrorCode::integrity, "draw", "审计日志中的随机选派记录无法读取");
  }
}

}  // namespace

CaseCheck check_case(const json& root, const PlatformRegistry& platforms) {
  CaseCheck out;
  Problems problems;
  auto top_fields = JsonFields::of(root, "");
  if (!top_fields.ok()) {
    out.errors.push_back(top_fields.error());
    return out;
  }
  JsonFields& top = top_fields.value();
  CaseRecord& r = out.request.record;
  r.number = problems.take(top.text("number"));
  if (r.number.size() > 128) problems.check(make_error(ErrorCode::invalid_input, "number", "案件编号不能超过 128 字节"));
  r.organizer = problems.take(top.text("organizer"));
  if (auto level = top.text("level"); level.ok()) {
    r.level = level.value();
    problems.check(check_choice(r.level, "level", {"city", "district"}, "组织层级（city 市级 / district 区县级）", 5));
  } else {
    problems.check(status_of(level));
  }
  if (auto plan = top.text("plan"); plan.ok()) {
    r.plan_kind = plan.value();
    problems.check(check_choice(r.plan_kind, "plan", {"routine", "special"}, "抽查类型（routine 日常 / special 专项）", 4));
  } else {
    problems.check(status_of(plan));
  }

  if (auto product = top.object("product"); product.ok()) {
    r.product_name = problems.take(product->text("name"));
    r.trademark = problems.take(product->text("trademark"));
    r.model = problems.take(product->text("model"));
    r.category = problems.take(product->text("category"));
    r.standard = problems.take(product->text("standard"));
    problems.check(product->reject_unknown_keys());
  } else {
    problems.check(status_of(product));
  }

  if (auto platform = top.text("platform"); platform.ok()) {
    if (const Platform* known = platforms.find(platform.value())) r.platform = known->code;
    else
      problems.check(make_error(ErrorCode::invalid_input, "platform",
                                "未知的电子商务平台 \"" + platform.value() + "\"，已知：" + platforms.codes() +
                                    "（可在数据目录的 platforms.json 中增加）"));
  } else {
    problems.check(status_of(platform));
  }

  if (auto shop = top.object("shop"); shop.ok()) {
    r.shop_name = problems.take(shop->text("name"));
    r.shop_url = problems.take(shop->optional_text("url"));
    r.listing_url = problems.take(shop->optional_text("listing_url"));
    problems.check(shop->reject_unknown_keys());
    const bool url_given = r.shop_url || r.listing_url;
    const bool url_problem = std::any_of(problems.errors.begin(), problems.errors.end(),
                                         [](const Error& e) { return e.field == "shop.url" || e.field == "shop.listing_url"; });
    if (!url_given && !url_problem)
      problems.check(make_error(ErrorCode::missing_field, "shop.url", "须填写店铺网址 shop.url 或商品链接 shop.listing_url 之一"));
    problems.check(check_url(r.shop_url, "shop.url"));
    problems.check(check_url(r.listing_url, "shop.listing_url"));
  } else {
    problems.check(status_of(shop));
  }

  r.operator_party = parse_party(top, "operator", problems);
  r.producer = parse_party(top, "producer", problems);

  // Art 30, 35: both an inspection sample and a backup sample are bought.
  if (auto samples = top.object("samples"); samples.ok()) {
    r.inspection_qty = static_cast<int>(problems.take(samples->integer("inspection", 1, 10'000)));
    r.backup_qty = static_cast<int>(problems.take(samples->integer("backup", 1, 10'000)));
    problems.check(samples->reject_unknown_keys());
  } else {
    problems.check(status_of(samples));
  }

  auto sampler_count = top.optional_integer("samplers", 0, 50, kMinSamplers);
  if (sampler_count.ok() && sampler_count.value() < kMinSamplers)
    problems.check(make_error(ErrorCode::invalid_input, "samplers", "抽样人员不得少于 2 人", 20));
  else if (sampler_count.ok())
    out.request.sampler_count = static_cast<int>(sampler_count.value());
  else
    problems.check(status_of(sampler_count));
  r.onsite_testing = problems.take(top.optional_boolean("onsite_testing", false));
  r.art22_exception = problems.take(top.optional_text("exception"));
  if (r.art22_exception)
    problems.check(check_choice(*r.art22_exception, "exception", {"follow_up", "emergency"},
                                "第22条例外（follow_up 不合格产品跟踪抽查 / emergency 应对突发事件）", 22));
  r.district = problems.take(top.optional_text("district"));
  problems.check(top.reject_unknown_keys());
  out.errors = std::move(problems.errors);
  return out;
}

Result<CaseRequest> parse_case(const json& root, const PlatformRegistry& platforms) {
  CaseCheck check = check_case(root, platforms);
  if (!check.errors.empty()) return check.errors.front();
  return std::move(check.request);
}

json to_json(const CaseRecord& r) {
  json shop = {{"name", r.shop_name}};
  if (r.shop_url) shop["url"] = *r.shop_url;
  if (r.listing_url) shop["listing_url"] = *r.listing_url;
  json out = {{"number", r.number},
          {"organizer", r.organizer},
          {"level", r.level},
          {"plan", r.plan_kind},
          {"product", {{"name", r.product_name}, {"trademark", r.trademark}, {"model", r.model}, {"category", r.category}, {"standard", r.standard}}},
          {"platform", r.platform},
          {"shop", shop},
          {"operator", party_json(r.operator_party)},
          {"producer", party_json(r.producer)},
          {"samples", {{"inspection", r.inspection_qty}, {"backup", r.backup_qty}}},
          {"onsite_testing", r.onsite_testing}};
  if (r.art22_exception) out["exception"] = *r.art22_exception;
  if (r.district) out["district"] = *r.district;  // only when set: snapshots of cases without one stay as they were
  return out;
}

json SamplerDraw::to_json() const {
  // The seed as a string: JSON readers that use doubles would round a 64-bit number.
  return {{"seed", std::to_string(seed)}, {"candidates", candidates}, {"drawn", drawn}, {"algorithm", "mt19937_64/fisher-yates/v1"}};
}

SamplerDraw draw_samplers(std::vector<std::string> candidates, int count, std::uint64_t seed) {
  std::sort(candidates.begin(), candidates.end());
  SamplerDraw draw{seed, candidates, {}};
  std::mt19937_64 random(seed);
  const size_t n = candidates.size();
  const size_t k = std::min(n, static_cast<size_t>(std::max(count, 0)));
  for (size_t i = 0; i < k; ++i) {
    const size_t j = i + static_cast<size_t>(uniform_below(random, n - i));
    std::swap(candidates[i], candidates[j]);
    draw.drawn.push_back(candidates[i]);
  }
  return draw;
}

json CaseView::to_json() const {
  json out = workflow::to_json(record);
  out["state"] = state;
  out["created"] = format_iso8601_beijing(created);
  out["updated"] = format_iso8601_beijing(updated);
  out["people"] = json::array();
  for (const auto& a : people)
    out["people"].push_back({{"id", a.person_id}, {"name", a.name}, {"role", a.role}, {"assigned", format_iso8601_beijing(a.assigned)}});
  if (draw) out["draw"] = draw->to_json();
  out["deadlines"] = deadlines;
  out["notices"] = notices;
  out["audit_rows"] = audit_rows;
  return out;
}

std::string case_snapshot_sha256(const CaseView& view) {
  json people = json::array();
  for (const auto& a : view.people) people.push_back({a.role, a.person_id});
  std::sort(people.begin(), people.end());
  const json snapshot = {{"record", to_json(view.record)}, {"state", view.state}, {"people", people},
                         {"deadlines", view.deadlines}, {"notices", view.notices}};
  return sha256_hex(snapshot.dump());
}

Result<CaseView> CaseRegistry::load(const std::string& number) {
  store::Database& db = store_->db();
  NETSAMPLE_ASSIGN(store::Statement stmt, db.prepare(std::string(kSelectCase) + " WHERE number = ?1"));
  stmt.bind(1, number);
  NETSAMPLE_ASSIGN(bool found, stmt.step());
  if (!found) return make_error(ErrorCode::not_found, "case", "没有编号为 \"" + number + "\" 的抽样任务");
  CaseView view = view_from_row(stmt);

  NETSAMPLE_ASSIGN(store::Statement people,
                   db.prepare("SELECT cp.person_id, p.name, cp.role, cp.assigned_utc_us FROM case_people cp "
                              "JOIN people p ON p.id = cp.person_id WHERE cp.case_id = ?1 ORDER BY cp.role, cp.person_id"));
  people.bind(1, view.id);
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, people.step());
    if (!row) break;
    view.people.push_back({people.text(0), people.text(1), people.text(2), from_utc_us(people.int64(3))});
  }

  // The same readers the lifecycle uses; the record form is what the audit snapshot hashes.
  NETSAMPLE_ASSIGN(std::vector<DeadlineView> deadlines, read_deadlines(db, number, /*include_closed=*/true));
  for (const auto& d : deadlines) view.deadlines.push_back(d.record_json());
  NETSAMPLE_ASSIGN(std::vector<NoticeView> notices, read_notices(db, number));
  for (const auto& n : notices) view.notices.push_back(n.record_json());

  NETSAMPLE_ASSIGN(store::Statement audit, db.prepare("SELECT COUNT(*), (SELECT payload FROM audit_log WHERE case_number = ?1 "
                                                      "AND action = 'case.created' ORDER BY seq DESC LIMIT 1) "
                                                      "FROM audit_log WHERE case_number = ?1"));
  audit.bind(1, number);
  NETSAMPLE_TRY(audit.step());
  view.audit_rows = audit.int64(0);
  if (auto payload = audit.optional_text(1)) {
    const json created = json::parse(*payload, nullptr, false);
    if (created.is_object() && created.contains("draw")) {
      auto draw = draw_from_json(created["draw"]);
      if (draw.ok()) view.draw = std::move(draw).value();
    }
  }
  return view;
}

Status CaseRegistry::record_change(const std::string& number, const std::string& action, json payload, const std::string& actor) {
  NETSAMPLE_ASSIGN(CaseView view, load(number));
  payload["record_sha256"] = case_snapshot_sha256(view);
  return status_of(store_->audit().append({actor, action, number, std::move(payload)}, store_->clock().now()));
}

Result<std::optional<EarlierSampling>> CaseRegistry::earlier_city_sampling(const std::string& producer, const std::string& standard,
                                                                          const std::string& trademark, const std::string& model) {
  NETSAMPLE_ASSIGN(store::Statement earlier,
                   store_->db().prepare("SELECT c.number, d.from_date, d.due FROM cases c JOIN deadlines d ON d.case_id = c.id "
                                        "AND d.kind = 'duplicate_window' WHERE c.level = 'city' AND c.producer_name = ?1 AND "
                                        "c.standard = ?2 AND c.trademark = ?3 AND c.model = ?4 AND d.due >= ?5 ORDER BY d.due DESC LIMIT 1"));
  earlier.bind(1, producer).bind(2, standard).bind(3, trademark).bind(4, model);
  earlier.bind(5, format_date(beijing_date(store_->clock().now())));
  NETSAMPLE_ASSIGN(bool found, earlier.step());
  if (!found) return std::optional<EarlierSampling>{};
  return std::optional<EarlierSampling>{EarlierSampling{earlier.text(0), earlier.text(1), earlier.text(2)}};
}

Result<CaseView> CaseRegistry::create(const CaseRequest& request, const std::string& actor, std::optional<std::uint64_t> seed) {
  const CaseRecord& r = request.record;
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    store::Database& db = store_->db();
    NETSAMPLE_ASSIGN(store::Statement existing, db.prepare("SELECT 1 FROM cases WHERE number = ?1"));
    existing.bind(1, r.number);
    NETSAMPLE_ASSIGN(bool taken, existing.step());
    if (taken) return make_error(ErrorCode::duplicate, "number", "抽样任务编号 \"" + r.number + "\" 已存在");

    // Art 22: a lower level does not repeat a higher level's sampling of the same producer, standard,
    // trademark and model within 6 months, except follow-up and emergency sampling.
    if (r.level == "district" && !r.art22_exception) {
      NETSAMPLE_ASSIGN(std::optional<EarlierSampling> earlier, earlier_city_sampling(r.producer.name, r.standard, r.trademark, r.model));
      if (earlier)
        return make_error(ErrorCode::refused_by_rule, "product",
                          "同一生产者按同一标准生产的同一商标、同一规格型号的产品已于 " + earlier->from + " 由市级监督抽查（任务 " +
                              earlier->number + "），六个月内（至 " + earlier->until +
                              "）下级不得重复抽查；跟踪抽查或应对突发事件的抽查请填写 exception",
                          22);
    }

    if (r.district) NETSAMPLE_TRY(check_district(*r.district));

    // Art 20: samplers are chosen at random from the organizer's active samplers.
    Roster roster(*store_);
    NETSAMPLE_ASSIGN(std::vector<Person> people, roster.list());
    std::vector<std::string> candidates;
    for (const auto& person : people)
      if (person.org == r.organizer && person.active && person.has_role("sampler")) candidates.push_back(person.id);
    if (static_cast<int>(candidates.size()) < request.sampler_count)
      return make_error(ErrorCode::refused_by_rule, "samplers",
                        "组织者 \"" + r.organizer + "\" 的名册中在岗抽样人员只有 " + std::to_string(candidates.size()) +
                            " 名，本任务需随机选派 " + std::to_string(request.sampler_count) + " 名（不得少于 2 人）",
                        20);
    const SamplerDraw draw = draw_samplers(candidates, request.sampler_count, seed.value_or(fresh_seed()));

    const std::int64_t now_us = to_utc_us(store_->clock().now());
    NETSAMPLE_ASSIGN(store::Statement insert,
                     db.prepare("INSERT INTO cases (number, organizer, level, plan_kind, product_name, trademark, model, "
                                "category, standard, platform, shop_name, shop_url, listing_url, operator_name, "
                                "operator_address, producer_name, producer_address, inspection_qty, backup_qty, "
                                "onsite_testing, state, created_utc_us, updated_utc_us, art22_exception, district) VALUES (?1, ?2, ?3, ?4, "
                                "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, 'planned', ?21, ?21, ?22, ?23) RETURNING id"));
    insert.bind(1, r.number).bind(2, r.organizer).bind(3, r.level).bind(4, r.plan_kind).bind(5, r.product_name);
    insert.bind(6, r.trademark).bind(7, r.model).bind(8, r.category).bind(9, r.standard).bind(10, r.platform);
    insert.bind(11, r.shop_name).bind(12, r.shop_url).bind(13, r.listing_url).bind(14, r.operator_party.name);
    insert.bind(15, r.operator_party.address).bind(16, r.producer.name).bind(17, r.producer.address);
    insert.bind(18, std::int64_t{r.inspection_qty}).bind(19, std::int64_t{r.backup_qty});
    insert.bind(20, std::int64_t{r.onsite_testing}).bind(21, now_us).bind(22, r.art22_exception).bind(23, r.district);
    NETSAMPLE_ASSIGN(const std::int64_t case_id, insert.insert_id());
    NETSAMPLE_TRY(open_creation_deadlines(db, case_id, from_utc_us(now_us)));
    NETSAMPLE_ASSIGN(store::Statement assign,
                     db.prepare("INSERT INTO case_people (case_id, person_id, role, assigned_utc_us) VALUES (?1, ?2, 'sampler', ?3)"));
    for (const auto& person : draw.drawn) {
      assign.reset();
      NETSAMPLE_TRY(assign.bind(1, case_id).bind(2, person).bind(3, now_us).run());
    }
    return record_change(r.number, "case.created", {{"record", to_json(r)}, {"draw", draw.to_json()}}, actor);
  }));
  return load(r.number);
}

Result<std::vector<Result<CaseView>>> CaseRegistry::create_all(const std::vector<CaseRequest>& requests,
                                                               const std::string& actor, bool keep) {
  std::vector<Result<CaseView>> results;
  bool undo = !keep;
  std::optional<Error> system_failure;
  const Status outcome = store_->write([&]() -> Status {
    for (const auto& request : requests) {
      results.push_back(create(request, actor));  // a nested write: a refused case undoes only its own rows
      if (results.back().ok()) continue;
      undo = true;
      const ErrorCode code = results.back().error().code;
      if (code == ErrorCode::database || code == ErrorCode::io || code == ErrorCode::internal) {
        system_failure = results.back().error();
        break;
      }
    }
    if (undo) return make_error(ErrorCode::refused_by_rule, "cases", "未创建任何任务");  // rolls the whole back
    return {};
  });
  if (system_failure) return *system_failure;
  if (!outcome.ok() && !undo) return outcome.error();  // the commit itself failed
  return results;
}

json CaseSummary::to_json() const {
  json out = {{"number", number},       {"state", state},           {"state_label", state_label(state)},
              {"organizer", organizer}, {"level", level},           {"product", product_name},
              {"shop", shop_name},      {"platform", platform},     {"created", format_iso8601_beijing(created)},
              {"updated", format_iso8601_beijing(updated)}};
  out["district"] = district ? json(*district) : json(nullptr);
  out["next_deadline"] = nullptr;
  if (next_deadline)
    out["next_deadline"] = {{"kind", next_deadline->kind}, {"label", deadline_label(next_deadline->kind)}, {"article", next_deadline->article},
                            {"due", next_deadline->due ? json(*next_deadline->due) : json(nullptr)},
                            {"due_latest", next_deadline->due_latest ? json(*next_deadline->due_latest) : json(nullptr)},
                            {"provisional", !next_deadline->due || next_deadline->due_latest.has_value()}};
  return out;
}

Result<CasePage> CaseRegistry::search(const CaseQuery& query) {
  if (query.limit < 1 || query.limit > 500)
    return make_error(ErrorCode::invalid_input, "limit", "每页条数须在 1 到 500 之间");
  if (query.offset < 0) return make_error(ErrorCode::invalid_input, "offset", "起始位置不能为负数");
  std::optional<Person> viewer;
  if (query.viewer.person_id) {
    NETSAMPLE_ASSIGN(viewer, Roster(*store_).find(*query.viewer.person_id));
    if (!viewer || !viewer->active) return CasePage{};  // no one, or no longer working: no case
  }
  // The viewer's scope is the SQL form of case_visible_to (lifecycle.cc): both read case_people and the
  // roster's roles, so the list and a single case never disagree.
  std::string where = " WHERE (CAST(?1 AS TEXT) IS NULL OR c.state = ?1) AND (CAST(?2 AS TEXT) IS NULL OR c.platform = ?2) AND (CAST(?3 AS TEXT) IS NULL OR c.organizer = ?3) "
                      "AND (CAST(?4 AS TEXT) IS NULL OR c.district = ?4) AND (CAST(?5 AS TEXT) IS NULL OR instr(c.number || ' ' || c.product_name || ' ' || "
                      "c.shop_name || ' ' || c.operator_name || ' ' || c.producer_name, ?5) > 0) "
                      "AND (CAST(?22 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM deadlines d WHERE d.case_id = c.id AND d.status = 'open' AND d.unit = 'days' "
                      "AND d.due < ?22)) "
                      "AND (CAST(?23 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM deadlines d WHERE d.case_id = c.id AND d.status = 'open' AND d.unit = 'days' "
                      "AND d.due <= ?23))";
  if (viewer) where += " AND " + case_scope_sql(6);
  auto bind = [&](store::Statement& stmt) {
    stmt.bind(1, query.state).bind(2, query.platform).bind(3, query.organizer).bind(4, query.district).bind(5, query.text);
    stmt.bind(22, query.overdue_before).bind(23, query.due_by);
    if (viewer) bind_case_scope(stmt, 6, *viewer);
  };
  CasePage page;
  NETSAMPLE_ASSIGN(store::Statement count, store_->db().prepare("SELECT COUNT(*) FROM cases c" + where));
  bind(count);
  NETSAMPLE_TRY(count.step());
  page.total = count.int64(0);
  NETSAMPLE_ASSIGN(store::Statement rows,
                   store_->db().prepare("SELECT c.number, c.state, c.organizer, c.level, c.product_name, c.shop_name, c.platform, "
                                        "c.district, c.created_utc_us, c.updated_utc_us, c.id FROM cases c" + where +
                                        " ORDER BY c.created_utc_us DESC, c.id DESC LIMIT ?20 OFFSET ?21"));
  bind(rows);
  rows.bind(20, std::int64_t{query.limit}).bind(21, std::int64_t{query.offset});
  // The first open duty of each case on the page (dated ones by date, then a provisional one).
  NETSAMPLE_ASSIGN(store::Statement next, store_->db().prepare("SELECT kind, article, due, due_latest FROM deadlines WHERE case_id = ?1 AND status = 'open' "
                                                               "AND unit = 'days' ORDER BY due IS NULL, due, id LIMIT 1"));
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, rows.step());
    if (!row) return page;
    CaseSummary item{rows.text(0), rows.text(1), rows.text(2), rows.text(3), rows.text(4), rows.text(5), rows.text(6),
                     rows.optional_text(7), from_utc_us(rows.int64(8)), from_utc_us(rows.int64(9)), std::nullopt};
    next.reset();
    next.bind(1, rows.int64(10));
    NETSAMPLE_ASSIGN(bool has_next, next.step());
    if (has_next) item.next_deadline = NextDeadline{next.text(0), static_cast<int>(next.int64(1)), next.optional_text(2), next.optional_text(3)};
    page.items.push_back(std::move(item));
  }
}

Status CaseRegistry::assign_reviewer(const std::string& number, const std::string& person_id, const std::string& actor) {
  return store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(CaseView view, load(number));
    NETSAMPLE_ASSIGN(std::optional<Person> person, Roster(*store_).find(person_id));
    if (!person) return make_error(ErrorCode::not_found, "reviewer", "名册中没有编号为 \"" + person_id + "\" 的人员");
    if (!person->active) return make_error(ErrorCode::refused_by_rule, "reviewer", person->name + "（" + person_id + "）已不在岗");
    if (!person->has_role("reviewer"))
      return make_error(ErrorCode::refused_by_rule, "reviewer", person->name + "（" + person_id + "）不是审看人员（名册角色无 reviewer）");
    for (const auto& a : view.people) {
      if (a.person_id != person_id) continue;
      if (a.role == "reviewer") return make_error(ErrorCode::duplicate, "reviewer", person->name + " 已是本任务的审看人员");
      // Whoever bought or tests the sample does not review its video (the same separation as Art 16).
      return make_error(ErrorCode::refused_by_rule, "reviewer",
                        person->name + "（" + person_id + "）是本任务的" + (a.role == "sampler" ? "抽样人员" : "检验人员") +
                            "，不得审看本任务的录像",
                        16);
    }
    const std::int64_t now_us = to_utc_us(store_->clock().now());
    NETSAMPLE_ASSIGN(store::Statement insert,
                     store_->db().prepare("INSERT INTO case_people (case_id, person_id, role, assigned_utc_us) VALUES (?1, ?2, 'reviewer', ?3)"));
    NETSAMPLE_TRY(insert.bind(1, view.id).bind(2, person_id).bind(3, now_us).run());
    NETSAMPLE_ASSIGN(store::Statement touch, store_->db().prepare("UPDATE cases SET updated_utc_us = ?2 WHERE id = ?1"));
    NETSAMPLE_TRY(touch.bind(1, view.id).bind(2, now_us).run());
    return record_change(number, "case.reviewer_assigned", {{"person", person_id}}, actor);
  });
}

Status CaseRegistry::assign_district(const std::string& number, const std::string& district, const std::string& actor) {
  return store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(CaseView view, load(number));
    NETSAMPLE_TRY(check_district(district));
    if (view.record.district == district) return make_error(ErrorCode::duplicate, "district", "本任务的结果处理区县局已是 " + district);
    NETSAMPLE_ASSIGN(store::Statement update, store_->db().prepare("UPDATE cases SET district = ?2, updated_utc_us = ?3 WHERE id = ?1"));
    NETSAMPLE_TRY(update.bind(1, view.id).bind(2, district).bind(3, to_utc_us(store_->clock().now())).run());
    json payload = {{"district", district}};
    if (view.record.district) payload["previous"] = *view.record.district;
    return record_change(number, "case.district_assigned", std::move(payload), actor);
  });
}

Status CaseRegistry::check_district(const std::string& district) {
  NETSAMPLE_ASSIGN(std::vector<Person> people, Roster(*store_).list());
  for (const auto& person : people)
    if (person.org == district && person.active && person.has_role("district")) return {};
  return make_error(ErrorCode::refused_by_rule, "district",
                    "名册中没有单位为 \"" + district + "\" 的在岗区县局人员（角色 district），不能由它负责结果处理", 63);
}

Result<std::vector<CaseView>> CaseRegistry::list() {
  NETSAMPLE_ASSIGN(store::Statement stmt, store_->db().prepare("SELECT number FROM cases ORDER BY created_utc_us, id"));
  std::vector<CaseView> views;
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, stmt.step());
    if (!row) return views;
    NETSAMPLE_ASSIGN(CaseView view, load(stmt.text(0)));
    views.push_back(std::move(view));
  }
}

Result<CaseView> CaseRegistry::show(const std::string& number) { return load(number); }

Status CaseRegistry::assign_tester(const std::string& number, const std::string& person_id, const std::string& actor) {
  return store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(CaseView view, load(number));
    Roster roster(*store_);
    NETSAMPLE_ASSIGN(std::optional<Person> person, roster.find(person_id));
    if (!person) return make_error(ErrorCode::not_found, "tester", "名册中没有编号为 \"" + person_id + "\" 的人员");
    if (!person->active) return make_error(ErrorCode::refused_by_rule, "tester", person->name + "（" + person_id + "）已不在岗");
    if (!person->has_role("tester"))
      return make_error(ErrorCode::refused_by_rule, "tester", person->name + "（" + person_id + "）不是检验人员（名册角色无 tester）");
    for (const auto& a : view.people) {
      if (a.person_id != person_id) continue;
      if (a.role == "tester") return make_error(ErrorCode::duplicate, "tester", person->name + " 已是本任务的检验人员");
      if (a.role == "sampler" && !view.record.onsite_testing)
        return make_error(ErrorCode::refused_by_rule, "tester",
                          person->name + "（" + person_id + "）是本任务的抽样人员，实行抽检分离，不得承担其抽样产品的检验工作", 16);
    }
    const std::int64_t now_us = to_utc_us(store_->clock().now());
    NETSAMPLE_ASSIGN(store::Statement insert,
                     store_->db().prepare("INSERT INTO case_people (case_id, person_id, role, assigned_utc_us) VALUES (?1, ?2, 'tester', ?3)"));
    NETSAMPLE_TRY(insert.bind(1, view.id).bind(2, person_id).bind(3, now_us).run());
    NETSAMPLE_ASSIGN(store::Statement touch, store_->db().prepare("UPDATE cases SET updated_utc_us = ?2 WHERE id = ?1"));
    NETSAMPLE_TRY(touch.bind(1, view.id).bind(2, now_us).run());
    return record_change(number, "case.tester_assigned", {{"person", person_id}}, actor);
  });
}

Status CaseRegistry::remove(const std::string& number, const std::string& actor) {
  return store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(CaseView view, load(number));
    NETSAMPLE_TRY(store::check_retention(view.created, store_->clock().now(), "case"));
    NETSAMPLE_ASSIGN(store::Statement evidence, store_->db().prepare("SELECT COUNT(*) FROM evidence WHERE case_id = ?1"));
    NETSAMPLE_TRY(evidence.bind(1, view.id).step());
    if (evidence.int64(0) > 0)
      return make_error(ErrorCode::refused_by_rule, "case",
                        "任务 " + number + " 还有 " + std::to_string(evidence.int64(0)) + " 件证据，请先逐件删除（netsample evidence delete）", 47);
    NETSAMPLE_ASSIGN(store::Statement remove, store_->db().prepare("DELETE FROM cases WHERE id = ?1"));
    NETSAMPLE_TRY(remove.bind(1, view.id).run());
    return status_of(store_->audit().append({actor, "case.deleted", number, {{"record", to_json(view.record)}, {"state", view.state}}},
                                            store_->clock().now()));
  });
}

Result<RecordCheck> CaseRegistry::verify_records() {
  RecordCheck check;
  auto problem = [&](std::string text) {
    check.intact = false;
    check.problems.push_back(std::move(text));
  };
  NETSAMPLE_ASSIGN(std::vector<store::AuditRecord> rows, store_->audit().records());
  struct Last {
    std::int64_t seq = 0;
    std::string sha256;  // empty: deleted
  };
  std::map<std::string, Last> last_case;
  std::map<std::string, std::pair<std::int64_t, json>> last_person;
  for (const auto& row : rows) {
    const json payload = json::parse(row.payload, nullptr, false);
    if (!payload.is_object()) continue;  // the chain check reports corrupt rows
    if (row.case_number && row.action == "case.deleted") last_case[*row.case_number] = {row.seq, ""};
    else if (row.case_number && payload.contains("record_sha256"))
      last_case[*row.case_number] = {row.seq, payload["record_sha256"].is_string() ? payload["record_sha256"].get<std::string>() : "?"};
    if ((row.action == "person.added" || row.action == "person.updated") && payload.contains("person") &&
        payload["person"].is_object())
      last_person[payload["person"].value("id", "")] = {row.seq, payload["person"]};
    if (row.action == "case.created" && payload.contains("draw")) {
      auto draw = draw_from_json(payload["draw"]);
      const int count = draw.ok() ? static_cast<int>(draw->drawn.size()) : 0;
      if (!draw.ok() || draw_samplers(draw->candidates, count, draw->seed).drawn != draw->drawn)
        problem("案件 " + row.case_number.value_or("?") + "：第 " + std::to_string(row.seq) + " 条记录的随机选派结果无法由其种子复现");
    }
  }

  NETSAMPLE_ASSIGN(std::vector<CaseView> cases, list());
  std::map<std::string, bool> seen;
  for (const auto& view : cases) {
    ++check.cases_checked;
    seen[view.record.number] = true;
    const auto it = last_case.find(view.record.number);
    if (it == last_case.end()) problem("案件 " + view.record.number + " 在审计日志中没有记录：可能被直接写入数据库");
    else if (it->second.sha256.empty()) problem("案件 " + view.record.number + " 已于第 " + std::to_string(it->second.seq) + " 条记录删除，却仍在数据库中");
    else if (it->second.sha256 != case_snapshot_sha256(view))
      problem("案件 " + view.record.number + " 的当前数据与最后一次审计记录（第 " + std::to_string(it->second.seq) + " 条）不符：数据被直接改动");
  }
  for (const auto& [number, last] : last_case)
    if (!last.sha256.empty() && !seen.count(number))
      problem("案件 " + number + " 在数据库中缺失（最后审计记录为第 " + std::to_string(last.seq) + " 条）：被直接删除");

  Roster roster(*store_);
  NETSAMPLE_ASSIGN(std::vector<Person> people, roster.list());
  for (const auto& person : people) {
    ++check.people_checked;
    const auto it = last_person.find(person.id);
    if (it == last_person.end()) problem("人员 " + person.id + " 在审计日志中没有记录：可能被直接写入数据库");
    else if (it->second.second != person.to_json())
      problem("人员 " + person.id + " 的当前数据与审计记录（第 " + std::to_string(it->second.first) + " 条）不符：数据被直接改动");
    last_person.erase(person.id);
  }
  for (const auto& [id, last] : last_person)
    problem("人员 " + id + " 在数据库中缺失（最后审计记录为第 " + std::to_string(last.first) + " 条）：被直接删除");
  return check;
}

}  // namespace netsample::workflow
