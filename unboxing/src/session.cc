#include "netsample/unboxing/session.h"

#include <algorithm>
#include <fstream>
#include <map>

#include "netsample/core/file_io.h"
#include "netsample/core/json_fields.h"
#include "netsample/core/sha256.h"
#include "netsample/core/tsa.h"
#include "netsample/workflow/cases.h"

namespace netsample::unboxing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

json parse_stored(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  return json::parse(*text, nullptr, false);
}

json problem(const std::string& item, const std::string& text, const std::string& level = "error") {
  return {{"item", item}, {"text", text}, {"level", level}};
}

std::string step_list() {
  std::string ids;
  for (const auto& s : unboxing_steps()) ids += (ids.empty() ? "" : "、") + s.id + " " + s.label;
  return ids;
}

// A still must be a picture a reviewer can open: PNG or JPEG, by its first bytes.
Status check_image(const fs::path& file, const std::string& field) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error(ErrorCode::not_found, field, "照片 " + file.string() + " 不存在或不可读");
  unsigned char head[8] = {};
  in.read(reinterpret_cast<char*>(head), sizeof head);
  const bool png = head[0] == 0x89 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G';
  const bool jpeg = head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF;
  if (!png && !jpeg) return make_error(ErrorCode::invalid_input, field, file.string() + " 不是 PNG 或 JPEG 照片");
  return {};
}

// `storage`: for the backup seal (Art 38), its storage place and keeper; null for the inspection seal.
Result<SealRecord> parse_seal(JsonFields& parent, const std::string& key, const fs::path& base, std::pair<std::string, std::string>* storage) {
  NETSAMPLE_ASSIGN(JsonFields f, parent.object(key));
  SealRecord seal;
  if (storage) {
    // Art 38: the backup samples are kept by the entrusted sampling or testing agency; where and by whom.
    auto place = f.text("storage");
    if (!place.ok()) return make_error(place.error().code, place.error().field, "备用样品须写明暂存地点（storage）", 38);
    auto keeper = f.text("keeper");
    if (!keeper.ok()) return make_error(keeper.error().code, keeper.error().field, "备用样品须写明保管人（keeper）", 38);
    *storage = {*place, *keeper};
  }
  NETSAMPLE_ASSIGN(seal.number, f.text("seal_number"));
  NETSAMPLE_ASSIGN(const json* signers, f.raw("signed_by"));
  if (!signers->is_array() || signers->empty())
    return make_error(ErrorCode::invalid_input, f.path_of("signed_by"), "封条须有抽样人员签字：写签字人员的编号，如 [\"S-001\", \"S-002\"]", 31);
  for (const auto& s : *signers) {
    if (!s.is_string() || s.get<std::string>().empty()) return make_error(ErrorCode::wrong_type, f.path_of("signed_by"), "签字人员应为人员编号（文字）");
    if (std::find(seal.signed_by.begin(), seal.signed_by.end(), s.get<std::string>()) != seal.signed_by.end())
      return make_error(ErrorCode::duplicate, f.path_of("signed_by"), s.get<std::string>() + " 重复");
    seal.signed_by.push_back(s.get<std::string>());
  }
  NETSAMPLE_ASSIGN(std::string still, f.text("still"));
  seal.still = fs::path(still).is_relative() ? base / still : fs::path(still);
  NETSAMPLE_TRY(check_image(seal.still, f.path_of("still")));
  NETSAMPLE_ASSIGN(std::int64_t quantity, f.optional_integer("quantity", 1, 9999, 0));
  seal.quantity = static_cast<int>(quantity);
  NETSAMPLE_TRY(f.reject_unknown_keys());
  return seal;
}

json seal_json(const SealRecord& s) {
  return {{"seal_number", s.number}, {"signed_by", s.signed_by}, {"still", s.still.filename().string()}, {"quantity", s.quantity}};
}

}  // namespace

const std::vector<UnboxStepSpec>& unboxing_steps() {
  static const std::vector<UnboxStepSpec> steps = {
      {"courier_packaging", "快递包装"}, {"waybill", "快递单据"}, {"sample_packaging", "样品包装"}, {"sample_labels", "样品标识"}};
  return steps;
}

const UnboxStepSpec* find_unboxing_step(const std::string& id) {
  for (const auto& s : unboxing_steps())
    if (s.id == id) return &s;
  return nullptr;
}

const std::vector<ReturnReason>& return_reasons() {
  // Must equal the choices of the lifecycle's return_sample row (workflow/src/transitions.cc).
  static const std::vector<ReturnReason> reasons = {{"quantity_short", "数量不满足规定要求"},
                                                    {"out_of_scope", "不在监督抽查任务范围内"},
                                                    {"changed_in_transit", "在运输途中发生性状改变不满足检验要求"},
                                                    {"other_legal", "法律法规规定的其他不满足检验要求的情形"}};
  return reasons;
}

json UnboxStep::to_json() const {
  return {{"step", step},   {"video_s", static_cast<double>(video_ms) / 1000}, {"frame", frame},
          {"time", at ? json(format_iso8601_beijing(*at)) : json(nullptr)},
          {"still", still}, {"still_sha256", still_sha256}, {"how", how}, {"note", note}, {"marked_by", marked_by}};
}

const UnboxStep* UnboxingView::last(const std::string& step) const {
  for (auto it = steps.rbegin(); it != steps.rend(); ++it)
    if (it->step == step) return &*it;
  return nullptr;
}

std::vector<std::string> UnboxingView::missing_steps() const {
  std::vector<std::string> missing;
  for (const auto& s : unboxing_steps())
    if (!last(s.id)) missing.push_back(s.id);
  return missing;
}

std::string_view to_string(UnboxingState state) {
  switch (state) {
    case UnboxingState::recording: return "recording";
    case UnboxingState::recorded: return "recorded";
    case UnboxingState::failed: return "failed";
    case UnboxingState::accepted: return "accepted";
    case UnboxingState::returned: return "returned";
  }
  return "recording";
}

namespace {
// A state as stored; anything else was written by hand and is said so.
Result<UnboxingState> stored_state(const std::string& text, std::int64_t session_id) {
  for (UnboxingState state : {UnboxingState::recording, UnboxingState::recorded, UnboxingState::failed, UnboxingState::accepted, UnboxingState::returned})
    if (to_string(state) == text) return state;
  return make_error(ErrorCode::integrity, "unboxing_sessions.state",
                    "拆封记录 #" + std::to_string(session_id) + " 的状态 \"" + text + "\" 不是 netsample 写入的状态（数据库被改动？）");
}
std::string text(UnboxingState state) { return std::string(to_string(state)); }
}  // namespace

json UnboxingView::to_json() const {
  json step_list = json::array();
  for (const auto& s : steps) step_list.push_back(s.to_json());
  return {{"id", id},
          {"case_number", case_number},
          {"seq", seq},
          {"state", to_string(state)},
          {"source", source},
          {"imported", imported},
          {"recording_dir", recording_dir.string()},
          {"video", video},
          {"video_sha256", video_sha256},
          {"video_info", video_info},
          {"verify", verify},
          {"labels", labels},
          {"waybill", waybill},
          {"steps", step_list},
          {"missing_steps", missing_steps()},
          {"problems", problems},
          {"decision", decision},
          {"sealing", sealing},
          {"started_by", started_by},
          {"started", format_iso8601_beijing(started)},
          {"finished", finished ? json(format_iso8601_beijing(*finished)) : json(nullptr)}};
}

json Sealing::to_json() const {
  return {{"inspection", seal_json(inspection)}, {"backup", seal_json(backup)}, {"sealed_date", sealed_date},
          {"backup_storage", backup_storage},     {"backup_keeper", backup_keeper},  {"batch", batch},
          {"production_date", production_date}};
}

Result<Sealing> parse_sealing(const json& file, const fs::path& base) {
  NETSAMPLE_ASSIGN(JsonFields f, JsonFields::of(file, ""));
  Sealing sealing;
  std::pair<std::string, std::string> storage;
  NETSAMPLE_ASSIGN(sealing.inspection, parse_seal(f, "inspection", base, nullptr));
  NETSAMPLE_ASSIGN(sealing.backup, parse_seal(f, "backup", base, &storage));
  sealing.backup_storage = storage.first;
  sealing.backup_keeper = storage.second;
  if (sealing.inspection.number == sealing.backup.number)
    return make_error(ErrorCode::invalid_input, "backup.seal_number", "检验样品和备用样品应分别封样，封条编号不能相同（" + sealing.backup.number + "）", 37);
  NETSAMPLE_ASSIGN(sealing.sealed_date, f.text("sealed_date"));
  NETSAMPLE_TRY(status_of(parse_date(sealing.sealed_date, "sealed_date")));
  NETSAMPLE_ASSIGN(auto batch, f.optional_text("batch"));
  NETSAMPLE_ASSIGN(auto production_date, f.optional_text("production_date"));
  sealing.batch = batch.value_or("");
  sealing.production_date = production_date.value_or("");
  NETSAMPLE_TRY(f.reject_unknown_keys());
  return sealing;
}

Result<std::vector<UnboxingView>> UnboxingSessions::query(const std::string& where, const std::string& key) {
  store::Database& db = store_->db();
  NETSAMPLE_ASSIGN(store::Statement q,
                   db.prepare("SELECT s.id, c.number, s.seq, s.state, s.source, s.imported, s.recording_dir, s.video, s.video_sha256, "
                              "s.video_info, s.verify, s.labels, s.waybill, s.problems, s.decision, s.sealing, s.started_by, s.started_utc_us, "
                              "s.finished_utc_us FROM unboxing_sessions s JOIN cases c ON c.id = s.case_id WHERE " + where + " ORDER BY s.id"));
  if (!key.empty()) q.bind(1, key);
  std::vector<UnboxingView> sessions;
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, q.step());
    if (!row) break;
    UnboxingView v;
    v.id = q.int64(0);
    v.case_number = q.text(1);
    v.seq = static_cast<int>(q.int64(2));
    NETSAMPLE_ASSIGN(v.state, stored_state(q.text(3), v.id));
    v.source = q.text(4);
    v.imported = q.int64(5) != 0;
    v.recording_dir = q.text(6);
    v.video = q.optional_text(7).value_or("");
    v.video_sha256 = q.optional_text(8).value_or("");
    v.video_info = parse_stored(q.optional_text(9));
    v.verify = parse_stored(q.optional_text(10));
    if (auto labels = parse_stored(q.optional_text(11)); labels.is_array()) v.labels = labels;
    v.waybill = parse_stored(q.optional_text(12));
    if (auto p = parse_stored(q.optional_text(13)); p.is_array()) v.problems = p;
    v.decision = parse_stored(q.optional_text(14));
    v.sealing = parse_stored(q.optional_text(15));
    v.started_by = q.text(16);
    v.started = from_utc_us(q.int64(17));
    if (!q.is_null(18)) v.finished = from_utc_us(q.int64(18));
    sessions.push_back(std::move(v));
  }
  NETSAMPLE_ASSIGN(store::Statement steps,
                   db.prepare("SELECT step, video_ms, frame, utc_us, still, still_sha256, how, note, marked_by FROM unboxing_steps "
                              "WHERE session_id = ?1 ORDER BY id"));
  for (auto& v : sessions) {
    steps.reset();
    steps.bind(1, v.id);
    for (;;) {
      NETSAMPLE_ASSIGN(bool row, steps.step());
      if (!row) break;
      UnboxStep s;
      s.step = steps.text(0);
      s.video_ms = steps.int64(1);
      s.frame = steps.int64(2);
      if (!steps.is_null(3)) s.at = from_utc_us(steps.int64(3));
      s.still = steps.text(4);
      s.still_sha256 = steps.text(5);
      s.how = steps.text(6);
      s.note = steps.text(7);
      s.marked_by = steps.text(8);
      v.steps.push_back(std::move(s));
    }
  }
  return sessions;
}

Result<UnboxingView> UnboxingSessions::get(std::int64_t session_id) {
  NETSAMPLE_ASSIGN(std::vector<UnboxingView> found, query("s.id = ?1", std::to_string(session_id)));
  if (found.empty()) return make_error(ErrorCode::not_found, "session", "没有编号为 " + std::to_string(session_id) + " 的拆封记录");
  return std::move(found.front());
}

Result<std::vector<UnboxingView>> UnboxingSessions::of_case(const std::string& case_number) { return query("c.number = ?1", case_number); }

Result<std::vector<UnboxingView>> UnboxingSessions::recording() { return query("s.state = 'recording' AND s.imported = 0", ""); }

Result<UnboxingView> UnboxingSessions::latest(const std::string& case_number) {
  NETSAMPLE_ASSIGN(std::vector<UnboxingView> all, of_case(case_number));
  if (all.empty())
    return make_error(ErrorCode::not_found, "case", "任务 " + case_number + " 还没有拆封记录：先 unbox start --case " + case_number + " --source …");
  return std::move(all.back());
}

Status UnboxingSessions::require_sampler(const std::string& case_number, const std::string& actor, const std::string& doing) {
  // The drawn samplers, and only they, unbox, decide and sign the seals (Art 20, 36).
  NETSAMPLE_ASSIGN(bool sampler, lifecycle_->holds_role(case_number, actor, workflow::CaseRole::sampler));
  if (!sampler) return make_error(ErrorCode::refused_by_rule, "as", actor + " 不是任务 " + case_number + " 选派的抽样人员，不能" + doing, 36);
  return {};
}

Result<UnboxingView> UnboxingSessions::begin(const std::string& case_number, const std::string& source, bool imported, const std::string& actor,
                                             const std::function<bool(const fs::path&)>& recorder_running) {
  NETSAMPLE_ASSIGN(workflow::CaseView c, workflow::CaseRegistry(*store_).show(case_number));
  NETSAMPLE_ASSIGN(std::vector<UnboxingView> earlier, of_case(case_number));
  for (const auto& s : earlier) {
    if (s.state == UnboxingState::recording && recorder_running(s.recording_dir))
      return make_error(ErrorCode::refused_by_rule, "case",
                        "任务 " + case_number + " 的第 " + std::to_string(s.seq) + " 次拆封正在录制（" + s.recording_dir.string() + "）：先 unbox finish");
    if (s.state == UnboxingState::recording) {
      RecordedVideo lost;
      lost.problems.push_back(problem("recording", "录制程序已不在运行，拆封录像没有结束（未封存）"));
      NETSAMPLE_TRY(status_of(set_recorded(s.id, lost, "system:unboxing")));
    } else if (s.state == UnboxingState::recorded) {
      return make_error(ErrorCode::refused_by_rule, "case",
                        "任务 " + case_number + " 的第 " + std::to_string(s.seq) + " 次拆封已录好、尚未确认：先 unbox finish --case " + case_number +
                            " --accept 或 --return 理由",
                        36);
    }
  }
  if (c.state != kUnboxingState)
    return make_error(ErrorCode::refused_by_rule, "case",
                      "任务 " + case_number + " 处于「" + workflow::state_label(c.state) + "」，不能拆封确认：样品签收后（「" +
                          workflow::state_label(kUnboxingState) + "」）才拆封（第三十六条）",
                      36);
  NETSAMPLE_TRY(require_sampler(case_number, actor, "拆封确认样品"));

  std::int64_t session_id = 0;
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    store::Database& db = store_->db();
    const int seq = static_cast<int>(earlier.size()) + 1;
    const fs::path dir = store_->data_dir() / "recordings" / (case_number + "-unboxing-" + std::to_string(seq));
    const std::string dir_text = fs::absolute(dir).lexically_normal().string();
    NETSAMPLE_ASSIGN(store::Statement insert,
                     db.prepare("INSERT INTO unboxing_sessions (case_id, seq, state, source, imported, recording_dir, started_by, started_utc_us) "
                                "VALUES (?1, ?2, 'recording', ?3, ?4, ?5, ?6, ?7) RETURNING id"));
    NETSAMPLE_ASSIGN(session_id, insert.bind(1, c.id).bind(2, seq).bind(3, source).bind(4, imported ? 1 : 0).bind(5, dir_text).bind(6, actor)
                                     .bind(7, to_utc_us(store_->clock().now())).insert_id());
    return status_of(store_->audit().append(
        {actor, "unboxing.started", case_number, {{"session", session_id}, {"seq", seq}, {"source", source}, {"imported", imported}, {"recording_dir", dir_text}}},
        store_->clock().now()));
  }));
  return get(session_id);
}

Result<UnboxingView> UnboxingSessions::set_recorded(std::int64_t session_id, const RecordedVideo& video, const std::string& actor) {
  NETSAMPLE_ASSIGN(UnboxingView s, get(session_id));
  if (s.state != UnboxingState::recording) return make_error(ErrorCode::refused_by_rule, "session", "拆封录像已经结束（" + text(s.state) + "）");
  const std::string state = video.video.empty() ? "failed" : "recorded";
  json problems = s.problems;  // what the labels showed meanwhile stays
  for (const auto& p : video.problems) problems.push_back(p);
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(store::Statement update,
                     store_->db().prepare("UPDATE unboxing_sessions SET state = ?2, video = ?3, video_sha256 = ?4, video_info = ?5, verify = ?6, "
                                          "problems = ?7, finished_utc_us = ?8 WHERE id = ?1 AND state = 'recording'"));
    NETSAMPLE_TRY(update.bind(1, session_id).bind(2, state).bind(3, video.video).bind(4, video.sha256).bind(5, video.info.dump())
                      .bind(6, video.verify.dump()).bind(7, problems.dump()).bind(8, to_utc_us(store_->clock().now())).run());
    return status_of(store_->audit().append({actor, "unboxing." + state, s.case_number,
                                             {{"session", session_id}, {"video", video.video}, {"sha256", video.sha256}, {"info", video.info},
                                              {"problems", video.problems}}},
                                            store_->clock().now()));
  }));
  return get(session_id);
}

Status UnboxingSessions::set_labels(std::int64_t session_id, const json& labels, const json& waybill, const std::string& actor) {
  NETSAMPLE_ASSIGN(UnboxingView s, get(session_id));
  json problems = s.problems;
  for (const auto& m : waybill.is_array() ? waybill : json::array()) {
    if (m.value("matched", false)) continue;
    const std::string number = m.value("number", "");
    const json others = m.value("other_numbers", json::array());
    problems.push_back(problem("waybill",
                               others.empty() ? "录像中没有读到任务运单号 " + number + " 的条码或二维码：请在录像中核对快递单据并标记 waybill"
                                              : "录像中的快递单据是另一个单号 " + others.dump() + "，不是任务运单 " + number + "（第三十六条）",
                               others.empty() ? "warning" : "error"));
  }
  return store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(store::Statement update,
                     store_->db().prepare("UPDATE unboxing_sessions SET labels = ?2, waybill = ?3, problems = ?4 WHERE id = ?1"));
    NETSAMPLE_TRY(update.bind(1, session_id).bind(2, labels.dump()).bind(3, waybill.dump()).bind(4, problems.dump()).run());
    return status_of(store_->audit().append({actor, "unboxing.labels_read", s.case_number, {{"session", session_id}, {"codes", labels.size()}, {"waybill", waybill}}},
                                            store_->clock().now()));
  });
}

Result<UnboxStep> UnboxingSessions::add_step(std::int64_t session_id, UnboxStep step, const std::string& actor) {
  NETSAMPLE_ASSIGN(UnboxingView s, get(session_id));
  if (!find_unboxing_step(step.step))
    return make_error(ErrorCode::invalid_input, "step", "未知的拆封步骤 \"" + step.step + "\"；第三十六条规定记录：" + step_list(), 36);
  if (s.state != UnboxingState::recording && s.state != UnboxingState::recorded)
    return make_error(ErrorCode::refused_by_rule, "step", "任务 " + s.case_number + " 的第 " + std::to_string(s.seq) + " 次拆封已经结束（" + text(s.state) + "），不能再标记");
  if (step.how == "marked") NETSAMPLE_TRY(require_sampler(s.case_number, actor, "标记拆封步骤"));
  step.marked_by = actor;
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(store::Statement insert,
                     store_->db().prepare("INSERT INTO unboxing_steps (session_id, step, video_ms, frame, utc_us, still, still_sha256, how, note, marked_by) "
                                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
    insert.bind(1, session_id).bind(2, step.step).bind(3, step.video_ms).bind(4, step.frame);
    if (step.at) insert.bind(5, to_utc_us(*step.at));
    else insert.bind_null(5);
    NETSAMPLE_TRY(insert.bind(6, step.still).bind(7, step.still_sha256).bind(8, step.how).bind(9, step.note).bind(10, actor).run());
    return status_of(store_->audit().append({actor, "unboxing.step_marked", s.case_number, {{"session", session_id}, {"step", step.to_json()}}},
                                            store_->clock().now()));
  }));
  return step;
}

Result<UnboxingView> UnboxingSessions::decide(std::int64_t session_id, Decision decision, const std::string& reason, const std::string& note,
                                              const std::string& actor) {
  NETSAMPLE_ASSIGN(UnboxingView s, get(session_id));
  if (s.state == UnboxingState::accepted || s.state == UnboxingState::returned)
    return make_error(ErrorCode::refused_by_rule, "decision", "任务 " + s.case_number + " 的拆封已确认为「" + (s.state == UnboxingState::accepted ? "接收" : "退样") + "」");
  if (s.state != UnboxingState::recorded)
    return make_error(ErrorCode::refused_by_rule, "decision",
                      "任务 " + s.case_number + " 的第 " + std::to_string(s.seq) + " 次拆封" + (s.state == UnboxingState::recording ? "还在录制" : "没有录像（" + text(s.state) + "）") +
                          "：拆封确认须有全过程录像（第三十六条）",
                      36);
  NETSAMPLE_TRY(require_sampler(s.case_number, actor, "确认样品"));
  const bool accept = decision == Decision::accept;
  json record = {{"decision", accept ? "accept" : "return"}, {"by", actor}, {"at", format_iso8601_beijing(store_->clock().now())}};
  if (accept) {
    if (!reason.empty()) return make_error(ErrorCode::invalid_input, "reason", "接收样品不需要退样理由");
    if (auto missing = s.missing_steps(); !missing.empty()) {
      std::string names;
      for (const auto& m : missing) names += (names.empty() ? "" : "、") + m + " " + find_unboxing_step(m)->label;
      return make_error(ErrorCode::refused_by_rule, "steps", "拆封录像还没有记录：" + names + "（第三十六条：包括快递包装、快递单据、样品包装和样品标识）", 36);
    }
    for (const auto& p : s.problems)
      if (p.value("level", "error") == "error" && p.value("item", "") == "waybill" && note.empty())
        return make_error(ErrorCode::refused_by_rule, "note",
                          p.value("text", "") + "：接收前须用 --note 说明为什么这仍是本任务的样品", 36);
    if (!note.empty()) record["note"] = note;
  } else {
    auto known = std::find_if(return_reasons().begin(), return_reasons().end(), [&](const ReturnReason& r) { return r.id == reason; });
    if (known == return_reasons().end()) {
      std::string ids;
      for (const auto& r : return_reasons()) ids += (ids.empty() ? "" : "、") + r.id + "（" + r.label + "）";
      return make_error(ErrorCode::invalid_input, "reason", "退样理由应为第三十六条所列之一：" + ids, 36);
    }
    record["reason"] = reason;
    record["reason_label"] = known->label;
    if (!note.empty()) record["note"] = note;
  }
  const std::string state = accept ? "accepted" : "returned";
  // A return changes the case too: the session and the case's event commit together or not at all.
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(store::Statement update,
                     store_->db().prepare("UPDATE unboxing_sessions SET state = ?2, decision = ?3 WHERE id = ?1 AND state = 'recorded'"));
    NETSAMPLE_TRY(update.bind(1, session_id).bind(2, state).bind(3, record.dump()).run());
    NETSAMPLE_TRY(status_of(store_->audit().append({actor, "unboxing." + state, s.case_number, {{"session", session_id}, {"decision", record}}},
                                                   store_->clock().now())));
    if (accept) return {};
    json fields = {{"reason", reason}};
    if (!note.empty()) fields["note"] = note;
    return status_of(lifecycle_->apply_event(s.case_number, "return_sample", fields, actor));
  }));
  return get(session_id);
}

Result<UnboxingView> UnboxingSessions::seal(const std::string& case_number, const Sealing& sealing, const std::string& actor) {
  NETSAMPLE_ASSIGN(UnboxingView s, latest(case_number));
  if (s.state != UnboxingState::accepted)
    return make_error(ErrorCode::refused_by_rule, "case",
                      "任务 " + case_number + " 的样品还没有拆封确认接收（第 " + std::to_string(s.seq) + " 次拆封：" + text(s.state) +
                          "）：先 unbox finish --accept，再封样（第三十六、三十七条）",
                      37);
  for (const SealRecord* seal : {&sealing.inspection, &sealing.backup})
    for (const auto& person : seal->signed_by)
      NETSAMPLE_TRY(require_sampler(case_number, person, "在封条上签字（第三十一、三十七条）"));
  json fields = {{"inspection_seal", sealing.inspection.number}, {"backup_seal", sealing.backup.number}, {"backup_storage", sealing.backup_storage},
                 {"backup_keeper", sealing.backup_keeper},     {"sealed_date", sealing.sealed_date}};
  if (!sealing.batch.empty()) fields["batch"] = sealing.batch;
  if (!sealing.production_date.empty()) fields["production_date"] = sealing.production_date;
  NETSAMPLE_ASSIGN(workflow::CaseView view, workflow::CaseRegistry(*store_).show(case_number));
  json record = sealing.to_json();
  record["by"] = actor;
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    json evidence = json::object();
    for (const auto& [which, seal] : {std::pair{"inspection", &sealing.inspection}, std::pair{"backup", &sealing.backup}}) {
      NETSAMPLE_ASSIGN(store::EvidenceItem item, store_->add_evidence(view.id, case_number, seal->still, "seal_photo", actor));
      evidence[which] = {{"evidence_id", item.id}, {"sha256", item.sha256}};
    }
    record["evidence"] = evidence;
    NETSAMPLE_TRY(status_of(lifecycle_->apply_event(case_number, "seal", fields, actor)));
    NETSAMPLE_ASSIGN(store::Statement update, store_->db().prepare("UPDATE unboxing_sessions SET sealing = ?2 WHERE id = ?1"));
    NETSAMPLE_TRY(update.bind(1, s.id).bind(2, record.dump()).run());
    return status_of(store_->audit().append({actor, "unboxing.sealed", case_number, {{"session", s.id}, {"sealing", record}}}, store_->clock().now()));
  }));
  return get(s.id);
}

Result<std::vector<std::string>> UnboxingSessions::verify_records() {
  NETSAMPLE_ASSIGN(std::vector<UnboxingView> sessions, query("1 = 1", ""));
  NETSAMPLE_ASSIGN(std::vector<store::AuditRecord> rows, store_->audit().records());
  std::map<std::int64_t, std::vector<json>> steps;
  std::map<std::int64_t, json> recorded, decided, sealed;
  for (const auto& row : rows) {
    if (!row.action.starts_with("unboxing.")) continue;
    const json payload = json::parse(row.payload, nullptr, false);
    const std::int64_t id = payload.value("session", std::int64_t{0});
    if (row.action == "unboxing.step_marked") steps[id].push_back(payload["step"]);
    if (row.action == "unboxing.recorded" || row.action == "unboxing.failed") recorded[id] = payload;
    if (row.action == "unboxing.accepted" || row.action == "unboxing.returned") decided[id] = payload["decision"];
    if (row.action == "unboxing.decision_undone") decided.erase(id);
    if (row.action == "unboxing.sealed") sealed[id] = payload["sealing"];
  }
  std::vector<std::string> problems;
  for (const auto& s : sessions) {
    const std::string who = "任务 " + s.case_number + " 第 " + std::to_string(s.seq) + " 次拆封";
    std::vector<json> stored;
    for (const auto& step : s.steps) stored.push_back(step.to_json());
    for (auto& line : store::compare_with_audit(who, stored, steps[s.id], "step")) problems.push_back(std::move(line));
    if (s.state != UnboxingState::recording && (!recorded.contains(s.id) || recorded[s.id].value("sha256", "") != s.video_sha256 ||
                                   recorded[s.id].value("video", "") != s.video))
      problems.push_back(who + "：视频及其 SHA-256 与审计记录不一致（被改动？）");
    const bool has_decision = s.state == UnboxingState::accepted || s.state == UnboxingState::returned;
    if (has_decision != decided.contains(s.id) || (has_decision && decided[s.id] != s.decision))
      problems.push_back(who + "：确认结果（" + text(s.state) + "）与审计记录不一致（被改动？）");
    if (s.sealing.is_null() != !sealed.contains(s.id) || (!s.sealing.is_null() && sealed[s.id] != s.sealing))
      problems.push_back(who + "：封样记录与审计记录不一致（被改动？）");
  }
  return problems;
}

}  // namespace netsample::unboxing
