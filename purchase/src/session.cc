#include "netsample/purchase/session.h"

#include "netsample/workflow/cases.h"

#include <algorithm>
#include <map>
#include <regex>
#include <set>

namespace netsample::purchase {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;
using T = StepFieldType;

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

std::string field_name(const std::string& step, const std::string& field) { return step + "." + field; }

// What a person copied off a page, as a value we can compare: "¥1,299.00" → "1299.00".
Result<json> normalise(const std::string& step, const StepField& spec, const json& raw) {
  const std::string name = field_name(step, spec.name);
  std::string text;
  if (raw.is_string()) {
    text = trim(raw.get<std::string>());
  } else if (raw.is_number_integer() || raw.is_number_float()) {
    text = raw.dump();
  } else {
    return make_error(ErrorCode::wrong_type, name, spec.label + "应为文字或数字");
  }
  if (text.empty()) return make_error(ErrorCode::missing_field, name, spec.label + "不能为空");
  if (text.size() > 2000) return make_error(ErrorCode::invalid_input, name, spec.label + "不超过 2000 字节");
  for (unsigned char c : text)
    if (c < 0x20 && c != '\n') return make_error(ErrorCode::invalid_input, name, spec.label + "含有控制字符");
  switch (spec.type) {
    case T::text:
      return json(text);
    case T::amount: {
      // As shops show it: "¥1,299.00", "￥199", "199 元".
      std::string digits = text;
      for (const char* noise : {"¥", "￥", "元", ",", " "})
        for (size_t at; (at = digits.find(noise)) != std::string::npos;) digits.erase(at, std::string_view(noise).size());
      static const std::regex amount_rule(R"((\d{1,9})(?:\.(\d{1,2}))?)");
      std::smatch m;
      if (!std::regex_match(digits, m, amount_rule))
        return make_error(ErrorCode::invalid_input, name, spec.label + "应为人民币金额（元），如 199.00，而不是 \"" + text + "\"");
      std::string cents = m[2].matched ? m[2].str() : "";
      cents.resize(2, '0');
      return json(std::to_string(std::stoll(m[1].str())) + "." + cents);
    }
    case T::quantity: {
      static const std::regex quantity_rule(R"([1-9]\d{0,3})");
      if (!std::regex_match(text, quantity_rule))
        return make_error(ErrorCode::invalid_input, name, spec.label + "应为 1–9999 的整数，而不是 \"" + text + "\"");
      return json(std::stoi(text));
    }
    case T::time: {
      // Shops show Beijing time, often without a zone ("2026-11-24 10:05:31"), sometimes with it after a space.
      static const std::regex shown_rule(R"((\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?) ?(Z|[+-]\d{2}:\d{2})?)");
      std::smatch m;
      const std::string with_zone = std::regex_match(text, m, shown_rule) ? m[1].str() + (m[2].matched ? m[2].str() : "+08:00") : text;
      auto parsed = parse_iso8601(with_zone, name);
      if (!parsed.ok())
        return make_error(ErrorCode::invalid_input, name,
                          spec.label + "应为时间，如 2026-11-24 10:05:31（北京时间）或带时区的 ISO 8601，而不是 \"" + text + "\"");
      return json(format_iso8601_beijing(*parsed));
    }
    case T::url: {
      static const std::regex url_rule(R"(https?://[^\s/?#]+[^\s]*)");
      if (!std::regex_match(text, url_rule))
        return make_error(ErrorCode::invalid_input, name, spec.label + "应为以 http:// 或 https:// 开头的网址，而不是 \"" + text + "\"");
      return json(text);
    }
  }
  return make_error(ErrorCode::internal, name, "未知字段类型");
}

std::string list_names(const std::vector<StepField>& fields) {
  std::string out;
  for (const auto& f : fields) out += (out.empty() ? "" : "、") + f.name + (f.required ? "" : "（可选）");
  return out;
}

json problem(const std::string& item, const std::string& text, const std::string& level = "error") {
  return {{"item", item}, {"text", text}, {"level", level}};
}

// Findings that could let someone fake a page, not (yet) accepted by the organizer: the purchase is incomplete.
json environment_problem(const SessionView& s) {
  if (!s.environment.is_object() || !s.environment_acceptance.is_null()) return nullptr;
  std::string items;
  for (const auto& f : s.environment.value("findings", json::array()))
    if (f.value("could_fake", false)) items += (items.empty() ? "" : "、") + f.value("title", "");
  if (items.empty()) return nullptr;
  return problem("environment", "取证环境中有可被用来伪造网页的情况（" + items + "，详见取证环境），须组织者说明理由后接受（purchase accept-environment，第三十五条）",
                 "error");
}

json parse_stored(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  return json::parse(*text, nullptr, false);
}

}  // namespace

const std::vector<StepSpec>& purchase_steps() {
  // Art 35: "包括但不限于网络校时、产品搜索选择、电子商务经营者的证照信息、样品网页展示信息、订单信息、支付记录和聊天记录".
  static const std::vector<StepSpec> steps = {
      {"time_check", "网络校时", {{"page", "校时网页地址", T::url, false}, {"shown", "网页显示的时间", T::text, false}}},
      {"search", "产品搜索选择", {{"query", "搜索词", T::text}, {"platform", "平台", T::text, false}, {"results_url", "搜索结果网址", T::url, false}}},
      {"licence",
       "电子商务经营者的证照信息",
       {{"operator_name", "经营者名称", T::text}, {"licence_number", "统一社会信用代码（营业执照编号）", T::text}, {"address", "住所", T::text},
        {"url", "证照信息网址", T::url, false}}},
      {"product_page",
       "样品网页展示信息",
       {{"title", "商品名称", T::text}, {"price", "价格", T::amount}, {"trademark", "商标", T::text, false}, {"model", "型号规格", T::text, false},
        {"url", "商品网址", T::url}}},
      {"order",
       "订单信息",
       {{"order_number", "订单号", T::text}, {"inspection_qty", "检验样品数量", T::quantity}, {"backup_qty", "备用样品数量", T::quantity},
        {"amount", "订单金额", T::amount}, {"buyer_account", "买家账号", T::text}, {"delivery_address", "收货地址", T::text},
        {"contact", "收货联系人及电话", T::text}}},
      {"payment", "支付记录", {{"amount", "支付金额", T::amount}, {"time", "支付时间", T::time}, {"method", "支付方式", T::text}, {"account", "付款账户", T::text}}},
      {"chat", "聊天记录", {{"question", "询问内容", T::text}, {"answer", "客服答复", T::text}}},
  };
  return steps;
}

const StepSpec* find_step(const std::string& id) {
  for (const auto& s : purchase_steps())
    if (s.id == id) return &s;
  return nullptr;
}

Result<json> check_step_fields(const std::string& step, const json& fields, bool require_all) {
  const StepSpec* spec = find_step(step);
  if (!spec) {
    std::string ids;
    for (const auto& s : purchase_steps()) ids += (ids.empty() ? "" : "、") + s.id + " " + s.label;
    return make_error(ErrorCode::invalid_input, "step", "未知的买样步骤 \"" + step + "\"；第三十五条规定的步骤：" + ids, 35);
  }
  if (!fields.is_object()) return make_error(ErrorCode::wrong_type, "fields", "步骤字段应为 JSON 对象");
  json out = json::object();
  for (const auto& [key, value] : fields.items()) {
    auto found = std::find_if(spec->fields.begin(), spec->fields.end(), [&](const StepField& f) { return f.name == key; });
    if (found == spec->fields.end())
      return make_error(ErrorCode::invalid_input, field_name(step, key),
                        "「" + spec->label + "」没有字段 \"" + key + "\"；可用字段：" + list_names(spec->fields));
    NETSAMPLE_ASSIGN(json normalised, normalise(step, *found, value));
    out[key] = std::move(normalised);
  }
  for (const auto& f : spec->fields)
    if (require_all && f.required && !out.contains(f.name))
      return make_error(ErrorCode::missing_field, field_name(step, f.name),
                        "「" + spec->label + "」须记录" + f.label + "（--field " + f.name + "=…）", 35);
  return out;
}

json StepRecord::to_json() const {
  json out = {{"step", step},     {"fields", fields}, {"marker", marker_index},   {"frame", frame},        {"time", format_iso8601_beijing(at)},
              {"still", still}, {"still_sha256", still_sha256}, {"marked_by", marked_by}};
  if (!page.is_null()) out["page"] = page;
  return out;
}

const StepRecord* SessionView::last(const std::string& step) const {
  for (auto it = steps.rbegin(); it != steps.rend(); ++it)
    if (it->step == step) return &*it;
  return nullptr;
}

std::vector<std::string> SessionView::missing_steps() const {
  std::vector<std::string> missing;
  for (const auto& s : purchase_steps())
    if (!last(s.id)) missing.push_back(s.id);
  return missing;
}

std::string_view to_string(PurchaseState state) {
  switch (state) {
    case PurchaseState::recording: return "recording";
    case PurchaseState::complete: return "complete";
    case PurchaseState::incomplete: return "incomplete";
  }
  return "recording";
}

namespace {
// A state as stored; anything else was written by hand and is said so.
Result<PurchaseState> stored_state(const std::string& text, std::int64_t session_id) {
  for (PurchaseState state : {PurchaseState::recording, PurchaseState::complete, PurchaseState::incomplete})
    if (to_string(state) == text) return state;
  return make_error(ErrorCode::integrity, "purchase_sessions.state",
                    "买样记录 #" + std::to_string(session_id) + " 的状态 \"" + text + "\" 不是 netsample 写入的状态（数据库被改动？）");
}
std::string text(PurchaseState state) { return std::string(to_string(state)); }
}  // namespace

json SessionView::to_json() const {
  json step_list = json::array();
  for (const auto& s : steps) step_list.push_back(s.to_json());
  return {{"id", id},
          {"case_number", case_number},
          {"seq", seq},
          {"state", to_string(state)},
          {"recording_dir", recording_dir.string()},
          {"started_by", started_by},
          {"started", format_iso8601_beijing(started)},
          {"finished", finished ? json(format_iso8601_beijing(*finished)) : json(nullptr)},
          {"environment", environment},
          {"environment_acceptance", environment_acceptance},
          {"steps", step_list},
          {"missing_steps", missing_steps()},
          {"problems", problems},
          {"verify", verify},
          {"manifest_sha256", manifest_sha256}};
}

Result<std::vector<SessionView>> PurchaseSessions::query(const std::string& where, const std::string& key) {
  store::Database& db = store_->db();
  NETSAMPLE_ASSIGN(store::Statement q,
                   db.prepare("SELECT s.id, c.number, s.seq, s.state, s.recording_dir, s.started_by, s.started_utc_us, s.finished_utc_us, "
                              "s.environment, s.problems, s.verify, s.manifest_sha256, s.environment_acceptance FROM purchase_sessions s JOIN cases c ON c.id = s.case_id "
                              "WHERE " + where + " ORDER BY s.id"));
  if (!key.empty()) q.bind(1, key);
  std::vector<SessionView> sessions;
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, q.step());
    if (!row) break;
    SessionView v;
    v.id = q.int64(0);
    v.case_number = q.text(1);
    v.seq = static_cast<int>(q.int64(2));
    NETSAMPLE_ASSIGN(v.state, stored_state(q.text(3), v.id));
    v.recording_dir = q.text(4);
    v.started_by = q.text(5);
    v.started = from_utc_us(q.int64(6));
    if (!q.is_null(7)) v.finished = from_utc_us(q.int64(7));
    v.environment = parse_stored(q.optional_text(8));
    if (auto p = parse_stored(q.optional_text(9)); p.is_array()) v.problems = p;
    v.verify = parse_stored(q.optional_text(10));
    v.manifest_sha256 = q.optional_text(11).value_or("");
    v.environment_acceptance = parse_stored(q.optional_text(12));
    sessions.push_back(std::move(v));
  }
  NETSAMPLE_ASSIGN(store::Statement steps,
                   db.prepare("SELECT step, fields, marker_index, frame, utc_us, still, still_sha256, marked_by, page FROM purchase_steps "
                              "WHERE session_id = ?1 ORDER BY id"));
  for (auto& v : sessions) {
    steps.reset();
    steps.bind(1, v.id);
    for (;;) {
      NETSAMPLE_ASSIGN(bool row, steps.step());
      if (!row) break;
      v.steps.push_back(StepRecord{steps.text(0), json::parse(steps.text(1), nullptr, false), static_cast<int>(steps.int64(2)), steps.int64(3),
                                   from_utc_us(steps.int64(4)), steps.text(5), steps.text(6), steps.text(7),
                                   steps.is_null(8) ? json() : json::parse(steps.text(8), nullptr, false)});
    }
  }
  return sessions;
}

Result<SessionView> PurchaseSessions::get(std::int64_t session_id) {
  NETSAMPLE_ASSIGN(std::vector<SessionView> found, query("s.id = ?1", std::to_string(session_id)));
  if (found.empty()) return make_error(ErrorCode::not_found, "session", "没有编号为 " + std::to_string(session_id) + " 的买样记录");
  return std::move(found.front());
}

Result<std::vector<SessionView>> PurchaseSessions::of_case(const std::string& case_number) {
  return query("c.number = ?1", case_number);
}

Result<std::vector<SessionView>> PurchaseSessions::recording(const std::optional<std::string>& case_number) {
  if (case_number) return query("s.state = 'recording' AND c.number = ?1", *case_number);
  return query("s.state = 'recording'", "");
}

Result<SessionView> PurchaseSessions::begin(const std::string& case_number, const fs::path& recording_dir, const std::string& actor,
                                            bool new_purchase, const std::function<bool(const fs::path&)>& recorder_running) {
  NETSAMPLE_ASSIGN(workflow::CaseView c, workflow::CaseRegistry(*store_).show(case_number));
  NETSAMPLE_ASSIGN(std::vector<SessionView> earlier, of_case(case_number));
  for (const auto& s : earlier) {
    if (s.state != PurchaseState::recording) continue;
    if (recorder_running(s.recording_dir))
      return make_error(ErrorCode::refused_by_rule, "case",
                        "任务 " + case_number + " 的第 " + std::to_string(s.seq) + " 次买样正在录制（" + s.recording_dir.string() +
                            "）：同一产品的购买过程只能是一段连续录像，不能另开第二段录像（第三十五条）",
                        35);
    NETSAMPLE_TRY(status_of(abandon(s.id, "录制程序已不在运行，买样没有结束（录像未封存）")));
  }
  if (c.state != kPurchaseStartState && c.state != kPurchasingState)
    return make_error(ErrorCode::refused_by_rule, "case",
                      "任务 " + case_number + " 处于「" + workflow::state_label(c.state) + "」，不能买样：买样只能在「" +
                          workflow::state_label(kPurchaseStartState) + "」或「" + workflow::state_label(kPurchasingState) + "」状态进行",
                      35);
  if (!earlier.empty() && !new_purchase)
    return make_error(ErrorCode::refused_by_rule, "new_purchase",
                      "任务 " + case_number + " 已有 " + std::to_string(earlier.size()) +
                          " 次买样没有完成；录像不能续接（第三十五条：同一产品购买过程的视频应当连续记录，不得中断）。重新购买请加 --new-purchase，"
                          "从网络校时开始录一段新的完整录像",
                      35);
  if (c.state == kPurchaseStartState) {
    NETSAMPLE_TRY(status_of(lifecycle_->apply_event(case_number, "start_purchase", json::object(), actor)));
  } else {
    // Purchasing already: only a sampler of the case may buy (the same roles as the order event).
    NETSAMPLE_ASSIGN(bool sampler, lifecycle_->holds_role(case_number, actor, workflow::CaseRole::sampler));
    if (!sampler) return make_error(ErrorCode::refused_by_rule, "as", actor + " 不是任务 " + case_number + " 选派的抽样人员，不能买样", 20);
  }

  std::int64_t session_id = 0;
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    store::Database& db = store_->db();
    const int seq = static_cast<int>(earlier.size()) + 1;
    const fs::path dir = recording_dir.empty()
                             ? store_->data_dir() / "recordings" / (case_number + "-purchase-" + std::to_string(seq))
                             : recording_dir;
    const std::string dir_text = fs::absolute(dir).lexically_normal().string();
    NETSAMPLE_ASSIGN(store::Statement taken, db.prepare("SELECT 1 FROM purchase_sessions WHERE recording_dir = ?1"));
    taken.bind(1, dir_text);
    NETSAMPLE_ASSIGN(bool used, taken.step());
    if (used) return make_error(ErrorCode::duplicate, "out", dir_text + " 已是另一次买样的录像目录：每次买样一段新录像");
    NETSAMPLE_ASSIGN(store::Statement insert,
                     db.prepare("INSERT INTO purchase_sessions (case_id, seq, state, recording_dir, started_by, started_utc_us) "
                                "VALUES (?1, ?2, 'recording', ?3, ?4, ?5) RETURNING id"));
    NETSAMPLE_ASSIGN(session_id, insert.bind(1, c.id).bind(2, seq).bind(3, dir_text).bind(4, actor).bind(5, to_utc_us(store_->clock().now())).insert_id());
    return status_of(store_->audit().append(
        {actor, "purchase.started", case_number, {{"session", session_id}, {"seq", seq}, {"recording_dir", dir_text}, {"new_purchase", new_purchase}}},
        store_->clock().now()));
  }));
  return get(session_id);
}

Status PurchaseSessions::set_environment(std::int64_t session_id, const json& report, const std::string& actor) {
  NETSAMPLE_ASSIGN(SessionView s, get(session_id));
  return store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(store::Statement update, store_->db().prepare("UPDATE purchase_sessions SET environment = ?2 WHERE id = ?1"));
    NETSAMPLE_TRY(update.bind(1, session_id).bind(2, report.dump()).run());
    return status_of(store_->audit().append({actor, "purchase.environment_checked", s.case_number, {{"session", session_id}, {"report", report}}},
                                            store_->clock().now()));
  });
}

Result<json> PurchaseSessions::check_step(std::int64_t session_id, const std::string& step, const json& fields, bool require_all) {
  NETSAMPLE_ASSIGN(SessionView s, get(session_id));
  if (s.state != PurchaseState::recording)
    return make_error(ErrorCode::refused_by_rule, "step",
                      "任务 " + s.case_number + " 的第 " + std::to_string(s.seq) + " 次买样已经结束（" + text(s.state) + "），不能再标记步骤：录像已封存", 35);
  NETSAMPLE_ASSIGN(json checked, check_step_fields(step, fields, require_all));
  if (step != "time_check" && !s.last("time_check"))
    return make_error(ErrorCode::refused_by_rule, "step", "录像应从网络校时开始：请先标记 time_check，再标记「" + find_step(step)->label + "」", 35);
  return checked;
}

Result<StepRecord> PurchaseSessions::add_step(std::int64_t session_id, StepRecord step, const std::string& actor) {
  NETSAMPLE_ASSIGN(SessionView s, get(session_id));
  step.marked_by = actor;
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(store::Statement state, store_->db().prepare("SELECT state FROM purchase_sessions WHERE id = ?1"));
    state.bind(1, session_id);
    NETSAMPLE_ASSIGN(bool found, state.step());
    if (!found || state.text(0) != "recording")
      return make_error(ErrorCode::refused_by_rule, "step", "这次买样已经结束，不能再标记步骤", 35);
    NETSAMPLE_ASSIGN(store::Statement insert,
                     store_->db().prepare("INSERT INTO purchase_steps (session_id, step, fields, marker_index, frame, utc_us, still, still_sha256, "
                                          "marked_by, page) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
    insert.bind(1, session_id).bind(2, step.step).bind(3, step.fields.dump()).bind(4, step.marker_index).bind(5, step.frame)
        .bind(6, to_utc_us(step.at)).bind(7, step.still).bind(8, step.still_sha256).bind(9, actor);
    if (step.page.is_null()) insert.bind_null(10); else insert.bind(10, step.page.dump());
    NETSAMPLE_TRY(insert.run());
    return status_of(store_->audit().append({actor, "purchase.step_marked", s.case_number, {{"session", session_id}, {"step", step.to_json()}}},
                                            store_->clock().now()));
  }));
  return step;
}

Status PurchaseSessions::close(std::int64_t session_id, PurchaseState state, const json& problems, const RecordingResult& recording) {
  NETSAMPLE_ASSIGN(SessionView s, get(session_id));
  return store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(store::Statement update,
                     store_->db().prepare("UPDATE purchase_sessions SET state = ?2, finished_utc_us = ?3, problems = ?4, verify = ?5, "
                                          "manifest_sha256 = ?6 WHERE id = ?1 AND state = 'recording'"));
    update.bind(1, session_id).bind(2, text(state)).bind(3, to_utc_us(store_->clock().now())).bind(4, problems.dump());
    if (recording.verify.is_null()) update.bind_null(5); else update.bind(5, recording.verify.dump());
    if (recording.manifest_sha256.empty()) update.bind_null(6); else update.bind(6, recording.manifest_sha256);
    NETSAMPLE_TRY(update.run());
    return status_of(store_->audit().append({"system:purchase", "purchase." + text(state), s.case_number,
                                             {{"session", session_id}, {"problems", problems}, {"manifest_sha256", recording.manifest_sha256}}},
                                            store_->clock().now()));
  });
}

Result<SessionView> PurchaseSessions::conclude(std::int64_t session_id, const RecordingResult& recording) {
  NETSAMPLE_ASSIGN(SessionView s, get(session_id));
  if (s.state != PurchaseState::recording) return make_error(ErrorCode::refused_by_rule, "session", "这次买样已经结束（" + text(s.state) + "）");
  json problems = json::array();
  for (const auto& id : s.missing_steps())
    problems.push_back(problem("step:" + id, "缺少「" + find_step(id)->label + "」（第三十五条）"));
  if (!recording.finished) {
    problems.push_back(problem("recording", "录像没有正常结束封存：" + recording.failure));
  } else {
    const json& v = recording.verify;
    if (!v.value("hash_chain_ok", false)) problems.push_back(problem("recording", "录像哈希链校验不通过"));
    if (!v.value("continuous", false))
      problems.push_back(problem("continuity", "录像有 " + std::to_string(v.value("gaps", json::array()).size()) + " 处间断（第三十五条：不得中断）"));
    if (!v.value("timestamp_token_ok", false)) problems.push_back(problem("timestamp", "录像清单没有有效的可信时间戳"));
    if (!v.value("time_synced", false)) problems.push_back(problem("time", "录像时间未经网络校验"));
    if (!v.value("ok", false) && problems.empty()) problems.push_back(problem("recording", "录像校验不通过"));
    for (const auto& e : v.value("errors", json::array())) problems.push_back(problem("verify", e.is_string() ? e.get<std::string>() : e.dump()));
  }
  if (json fakery = environment_problem(s); !fakery.is_null()) problems.push_back(fakery);
  // Art 35: inspection and backup samples are bought together, as many as the task asks for.
  NETSAMPLE_ASSIGN(workflow::CaseView view, workflow::CaseRegistry(*store_).show(s.case_number));
  const workflow::CaseRecord& c = view.record;
  if (const StepRecord* order = s.last("order")) {
    const int inspection = order->fields.value("inspection_qty", 0), backup = order->fields.value("backup_qty", 0);
    if (inspection < c.inspection_qty || backup < c.backup_qty)
      problems.push_back(problem("order", "订单数量（检验样品 " + std::to_string(inspection) + "，备用样品 " + std::to_string(backup) +
                                              "）少于任务要求（检验样品 " + std::to_string(c.inspection_qty) + "，备用样品 " +
                                              std::to_string(c.backup_qty) + "）（第三十五条）"));
    if (const StepRecord* payment = s.last("payment"); payment && payment->fields.value("amount", "") != order->fields.value("amount", ""))
      problems.push_back(problem("payment", "支付金额 " + payment->fields.value("amount", "") + " 元与订单金额 " + order->fields.value("amount", "") +
                                                " 元不一致，请核对（优惠、运费？）",
                                 "warning"));
  }
  const bool complete = std::none_of(problems.begin(), problems.end(), [](const json& p) { return p.value("level", "") == "error"; });
  if (complete) {
    auto advanced = lifecycle_->apply_event(s.case_number, "order_placed", {{"order_number", s.last("order")->fields["order_number"]}},
                                            "system:purchase");
    if (!advanced.ok()) {
      problems.push_back(problem("case", "任务状态未能推进到「已下单」：" + advanced.error().describe()));
      NETSAMPLE_TRY(close(session_id, PurchaseState::incomplete, problems, recording));
      return get(session_id);
    }
  }
  NETSAMPLE_TRY(close(session_id, complete ? PurchaseState::complete : PurchaseState::incomplete, problems, recording));
  return get(session_id);
}

Result<std::vector<std::string>> PurchaseSessions::verify_records() {
  NETSAMPLE_ASSIGN(std::vector<SessionView> sessions, query("1 = 1", ""));
  NETSAMPLE_ASSIGN(std::vector<store::AuditRecord> rows, store_->audit().records());
  std::map<std::int64_t, std::vector<json>> audited_steps;
  std::map<std::int64_t, json> audited_close;
  for (const auto& row : rows) {
    if (!row.action.starts_with("purchase.")) continue;
    json payload = json::parse(row.payload, nullptr, false);
    const std::int64_t id = payload.value("session", std::int64_t{0});
    if (row.action == "purchase.step_marked") audited_steps[id].push_back(payload["step"]);
    if (row.action == "purchase.complete" || row.action == "purchase.incomplete") {
      payload["state"] = row.action.substr(9);
      audited_close[id] = payload;
    }
  }
  std::vector<std::string> problems;
  for (const auto& s : sessions) {
    const std::string who = "任务 " + s.case_number + " 第 " + std::to_string(s.seq) + " 次买样";
    std::vector<json> stored;
    for (const auto& step : s.steps) stored.push_back(step.to_json());
    for (auto& line : store::compare_with_audit(who, stored, audited_steps[s.id], "step")) problems.push_back(std::move(line));
    if (s.state == PurchaseState::recording) continue;
    const auto closed = audited_close.find(s.id);
    if (closed == audited_close.end() || closed->second.value("state", "") != to_string(s.state) ||
        closed->second.value("manifest_sha256", "") != s.manifest_sha256 || closed->second.value("problems", json::array()) != s.problems)
      problems.push_back(who + "：结论（" + text(s.state) + "）与审计记录不一致（被改动？）");
  }
  return problems;
}

Result<SessionView> PurchaseSessions::accept_environment(std::int64_t session_id, const std::string& reason, const std::string& actor) {
  NETSAMPLE_ASSIGN(SessionView s, get(session_id));
  NETSAMPLE_ASSIGN(bool organizer, lifecycle_->holds_role(s.case_number, actor, workflow::CaseRole::organizer));
  if (!organizer)
    return make_error(ErrorCode::refused_by_rule, "as", actor + " 不是任务 " + s.case_number + " 组织单位的组织人员，不能接受取证环境的发现", 35);
  const auto blank = reason.find_first_not_of(" \t\n");
  if (blank == std::string::npos || reason.size() - blank < 6)
    return make_error(ErrorCode::missing_field, "reason", "须写明为什么这些发现不影响所取证据（如：演示机的出站代理证书，演示商城在本机，不经代理）", 35);
  if (environment_problem(s).is_null() && s.environment_acceptance.is_null()) {
    json items = json::array();
    for (const auto& f : s.environment.value("findings", json::array()))
      if (f.value("could_fake", false)) items.push_back(f["item"]);
    if (items.empty()) return make_error(ErrorCode::refused_by_rule, "environment", "这次买样的取证环境没有需要接受的发现");
  }
  if (!s.environment_acceptance.is_null()) return make_error(ErrorCode::duplicate, "environment", "取证环境已由 " + s.environment_acceptance.value("by", "") + " 接受");
  json findings = json::array();
  for (const auto& f : s.environment.value("findings", json::array()))
    if (f.value("could_fake", false)) findings.push_back({{"item", f["item"]}, {"note", f["note"]}});
  const json acceptance = {{"by", actor}, {"reason", reason}, {"at", format_iso8601_beijing(store_->clock().now())}, {"findings", findings}};
  // Incomplete for these findings alone: the purchase is now complete, and the case ordered (Art 35).
  json problems = s.problems;
  problems.erase(std::remove_if(problems.begin(), problems.end(), [](const json& p) { return p.value("item", "") == "environment"; }), problems.end());
  const bool now_complete = s.state == PurchaseState::incomplete && s.problems.size() != problems.size() &&
                            std::none_of(problems.begin(), problems.end(), [](const json& p) { return p.value("level", "") == "error"; });
  if (now_complete) {
    problems.push_back(problem("environment", "取证环境的发现已由组织者 " + actor + " 接受：" + reason, "warning"));
    const StepRecord* order = s.last("order");  // complete: all seven steps are there
    NETSAMPLE_TRY(status_of(lifecycle_->apply_event(s.case_number, "order_placed", {{"order_number", order->fields["order_number"]}}, "system:purchase")));
  }
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(store::Statement update, store_->db().prepare("UPDATE purchase_sessions SET environment_acceptance = ?2 WHERE id = ?1"));
    NETSAMPLE_TRY(update.bind(1, session_id).bind(2, acceptance.dump()).run());
    NETSAMPLE_TRY(status_of(store_->audit().append({actor, "purchase.environment_accepted", s.case_number, {{"session", session_id}, {"acceptance", acceptance}}},
                                                   store_->clock().now())));
    if (!now_complete) return {};
    NETSAMPLE_ASSIGN(store::Statement complete,
                     store_->db().prepare("UPDATE purchase_sessions SET state = 'complete', problems = ?2 WHERE id = ?1 AND state = 'incomplete'"));
    NETSAMPLE_TRY(complete.bind(1, session_id).bind(2, problems.dump()).run());
    return status_of(store_->audit().append({"system:purchase", "purchase.complete", s.case_number,
                                             {{"session", session_id}, {"problems", problems}, {"manifest_sha256", s.manifest_sha256}}},
                                            store_->clock().now()));
  }));
  return get(session_id);
}

Result<SessionView> PurchaseSessions::abandon(std::int64_t session_id, const std::string& reason) {
  NETSAMPLE_ASSIGN(SessionView s, get(session_id));
  if (s.state != PurchaseState::recording) return s;
  RecordingResult lost;
  lost.failure = reason;
  return conclude(session_id, lost);
}

}  // namespace netsample::purchase
