// The sample's way from the purchase to the seal, as the command line has it: files uploaded and stored as
// evidence, the purchase sessions and the Art 39 sampling document, the unboxing (a phone's video imported and
// its steps marked, run by netsample-recorder as jobs; the decision to accept or return, Art 36) and the seals
// (Art 37, 38), the parties the notices go to, and the jobs themselves.
#include <filesystem>

#include "api.h"
#include "jobs.h"
#include "netsample/core/json_fields.h"
#include "netsample/core/process.h"
#include "netsample/purchase/sampling_document.h"
#include "netsample/purchase/session.h"
#include "netsample/unboxing/session.h"
#include "netsample/server/server.h"
#include "uploads.h"

namespace netsample::server {

std::filesystem::path uploads_dir(const Call& call) { return call.runtime.data_dir() / "uploads"; }

Response job_accepted(const Job& job) {
  Response r = Response::json(202, job.to_json());
  r.set_header("Location", "/api/jobs/" + std::to_string(job.id));
  return r;
}

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using workflow::CaseRole;

// --- uploads and evidence ---

Result<Response> create_upload(Call& call) {
  if (!call.request.upload) return make_error(ErrorCode::missing_field, "body", "请求体须为要上传的文件");
  NETSAMPLE_ASSIGN(json record, call.request.upload->finish(call.who().actor(), call.runtime.clock().now()));
  record.erase("login");
  return Response::json(201, record);
}

// The case roles that work with its evidence: all but the reviewer's (reviewers change no evidence).
Status require_case_worker(Call& call, const std::string& number, const std::string& doing) {
  if (call.who().admin()) return {};
  for (CaseRole role : {CaseRole::sampler, CaseRole::tester, CaseRole::organizer, CaseRole::district})
    if (require_role(call, number, role, doing).ok()) return {};
  return make_error(ErrorCode::refused_by_rule, "as", call.who().actor() + " 在本任务中没有抽样、检验、组织或结果处理的职责，不能" + doing);
}

Status check_kind(const std::string& kind) {
  if (kind.empty() || kind.size() > 32) return make_error(ErrorCode::invalid_input, "kind", "类别须为 1 到 32 个字符");
  for (char c : kind)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return make_error(ErrorCode::invalid_input, "kind", "类别只能由小写字母、数字和下划线组成（如 lab_report、photo）");
  return {};
}

Result<Response> add_evidence(Call& call) {
  const std::string& number = call.param("number");
  NETSAMPLE_TRY(require_case(call, number));
  NETSAMPLE_TRY(require_case_worker(call, number, "添加证据"));
  NETSAMPLE_ASSIGN(json body, json_body(call));
  NETSAMPLE_ASSIGN(JsonFields fields, JsonFields::of(body, ""));
  NETSAMPLE_ASSIGN(std::string upload_id, fields.text("upload"));
  NETSAMPLE_ASSIGN(std::optional<std::string> kind, fields.optional_text("kind"));
  NETSAMPLE_TRY(fields.reject_unknown_keys());
  NETSAMPLE_TRY(check_kind(kind.value_or("document")));
  NETSAMPLE_ASSIGN(StoredUpload upload, find_upload(uploads_dir(call), upload_id, call.who().actor(), "upload"));
  NETSAMPLE_ASSIGN(workflow::CaseView view, call.runtime.cases().show(number));
  NETSAMPLE_ASSIGN(store::EvidenceItem item, call.runtime.store().add_evidence(view.id, number, upload.file, kind.value_or("document"), call.who().actor()));
  remove_upload(uploads_dir(call), upload.id);  // its bytes are in the evidence store now
  return Response::json(201, {{"id", item.id}, {"case", number}, {"kind", item.kind}, {"name", item.name}, {"sha256", item.sha256}, {"size", item.size},
                              {"added", format_iso8601_beijing(item.added)}, {"url", "/api/evidence/" + std::to_string(item.id)}});
}

Result<Response> delete_evidence(Call& call) {
  const std::string& id = call.param("id");
  const std::optional<std::int64_t> evidence_id = positive_id(id);
  if (!evidence_id) return make_error(ErrorCode::not_found, "id", "没有编号为 " + id + " 的证据");
  // The store refuses while the retention period runs (Art 47) and audits the deletion.
  NETSAMPLE_TRY(call.runtime.store().delete_evidence(*evidence_id, call.who().actor()));
  return Response::json(200, {{"deleted", *evidence_id}});
}

// --- purchase ---

std::string_view field_type(purchase::StepFieldType type) {
  switch (type) {
    case purchase::StepFieldType::text: return "text";
    case purchase::StepFieldType::amount: return "amount";
    case purchase::StepFieldType::quantity: return "quantity";
    case purchase::StepFieldType::time: return "time";
    case purchase::StepFieldType::url: return "url";
  }
  return "text";
}

Result<Response> purchase_steps(Call&) {
  json out = json::array();
  for (const auto& step : purchase::purchase_steps()) {
    json fields = json::array();
    for (const auto& f : step.fields) fields.push_back({{"name", f.name}, {"label", f.label}, {"type", field_type(f.type)}, {"required", f.required}});
    out.push_back({{"id", step.id}, {"label", step.label}, {"fields", fields}});
  }
  return Response::json(200, {{"article", 35}, {"steps", out}});
}

Result<Response> purchases(Call& call) {
  const std::string& number = call.param("number");
  NETSAMPLE_TRY(require_case(call, number));
  NETSAMPLE_ASSIGN(auto list, call.runtime.purchases().of_case(number));
  json out = json::array();
  for (const auto& s : list) out.push_back(s.to_json());
  return Response::json(200, {{"case", number}, {"purchases", out}});
}

// The Art 39 sampling document made (again) from the case as it is now: a draft until the samples are sealed.
Result<Response> sampling_document(Call& call) {
  const std::string& number = call.param("number");
  NETSAMPLE_TRY(require_case(call, number));
  if (!call.who().admin() && !require_role(call, number, CaseRole::sampler, "制作网络抽样文书").ok())
    NETSAMPLE_TRY(require_role(call, number, CaseRole::organizer, "制作网络抽样文书"));
  NETSAMPLE_ASSIGN(purchase::SamplingDocumentFiles files, purchase::write_sampling_document(call.runtime.store(), call.runtime.lifecycle(),
                                                                                          call.runtime.platforms(), number, call.who().actor()));
  json evidence = json::array();
  for (const auto& e : files.evidence)
    evidence.push_back({{"id", e.id}, {"name", e.name}, {"sha256", e.sha256}, {"size", e.size}, {"url", "/api/evidence/" + std::to_string(e.id)}});
  return Response::json(201, {{"case", number}, {"draft", files.draft}, {"article", 39}, {"evidence", evidence}});
}

// --- unboxing (Art 36) and sealing (Art 37, 38) ---

Result<Response> unboxings(Call& call) {
  const std::string& number = call.param("number");
  NETSAMPLE_TRY(require_case(call, number));
  NETSAMPLE_ASSIGN(std::vector<unboxing::UnboxingView> list, call.runtime.unboxings().of_case(number));
  json out = json::array();
  for (const auto& u : list) out.push_back(u.to_json());
  return Response::json(200, {{"case", number}, {"unboxings", out}});
}

// netsample-recorder, run for the caller (--as) on this data directory.
std::vector<std::string> recorder_argv(const Call& call, std::vector<std::string> args) {
  std::vector<std::string> argv = {call.options.recorder_program.empty() ? sibling_program("netsample-recorder").string() : call.options.recorder_program.string(),
                                   "--data", call.runtime.data_dir().string(), "--as", call.who().actor(), "--json"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// A job that runs netsample-recorder with `args` for the caller on a case.
Job recorder_job(const Call& call, std::string kind, const std::string& number, const std::vector<std::string>& args) {
  Job job;
  job.kind = std::move(kind);
  job.case_number = number;
  job.login = call.who().actor();
  job.argv = recorder_argv(call, args);
  job.data_dir = call.runtime.data_dir().string();
  return job;
}

// A video file from a camera or a phone, uploaded, imported as the case's unboxing: hashed, copied, stamped by
// the service's TSAs, its labels read and the waybill matched (a job: GET /api/jobs/{id}).
Result<Response> import_unboxing(Call& call) {
  const std::string& number = call.param("number");
  NETSAMPLE_TRY(require_case(call, number));
  NETSAMPLE_TRY(require_role(call, number, CaseRole::sampler, "拆封"));
  NETSAMPLE_ASSIGN(json body, json_body(call));
  NETSAMPLE_ASSIGN(JsonFields fields, JsonFields::of(body, ""));
  NETSAMPLE_ASSIGN(std::string upload_id, fields.text("video"));
  NETSAMPLE_TRY(fields.reject_unknown_keys());
  NETSAMPLE_ASSIGN(StoredUpload upload, find_upload(uploads_dir(call), upload_id, call.who().actor(), "video"));
  std::vector<std::string> args = {"unbox", "start", "--case", number, "--source", "file:" + upload.file.string()};
  for (const auto& tsa : call.options.tsa) args.insert(args.end(), {"--tsa", tsa});
  Job job = recorder_job(call, "unboxing_import", number, args);
  // The import copies the video into the recording's folder and stores it as evidence: the upload goes after.
  job.cleanup = {(uploads_dir(call) / upload.id).string(), (uploads_dir(call) / (upload.id + ".json")).string()};
  return job_accepted(call.jobs.submit(std::move(job)));
}

// A step of Art 36 marked at a time of the imported video (its still is cut there: a job).
Result<Response> mark_unboxing_step(Call& call) {
  const std::string& number = call.param("number");
  NETSAMPLE_TRY(require_case(call, number));
  NETSAMPLE_TRY(require_role(call, number, CaseRole::sampler, "标记拆封步骤"));
  NETSAMPLE_ASSIGN(json body, json_body(call));
  NETSAMPLE_ASSIGN(JsonFields fields, JsonFields::of(body, ""));
  NETSAMPLE_ASSIGN(std::string step, fields.text("step"));
  NETSAMPLE_ASSIGN(const json* at, fields.raw("at_s"));
  NETSAMPLE_ASSIGN(std::optional<std::string> note, fields.optional_text("note"));
  NETSAMPLE_TRY(fields.reject_unknown_keys());
  if (!at->is_number() || at->get<double>() < 0) return make_error(ErrorCode::wrong_type, "at_s", "须为视频中的秒数（不小于 0 的数）");
  if (!unboxing::find_unboxing_step(step))
    return make_error(ErrorCode::invalid_input, "step", "未知的拆封步骤 \"" + step + "\"：courier_packaging、waybill、sample_packaging、sample_labels", 36);
  std::vector<std::string> args = {"unbox", "mark", step, "--case", number, "--at", std::to_string(at->get<double>())};
  if (note) args.insert(args.end(), {"--note", *note});
  return job_accepted(call.jobs.submit(recorder_job(call, "unboxing_step", number, args)));
}

// Accept the samples or return them with Art 36's reason: the sampler's decision at the end of the unboxing.
Result<Response> decide_unboxing(Call& call) {
  const std::string& number = call.param("number");
  NETSAMPLE_TRY(require_case(call, number));
  NETSAMPLE_TRY(require_person(call));
  NETSAMPLE_ASSIGN(json body, json_body(call));
  NETSAMPLE_ASSIGN(JsonFields fields, JsonFields::of(body, ""));
  NETSAMPLE_ASSIGN(std::string decision, fields.text("decision"));
  NETSAMPLE_ASSIGN(std::optional<std::string> reason, fields.optional_text("reason"));
  NETSAMPLE_ASSIGN(std::optional<std::string> note, fields.optional_text("note"));
  NETSAMPLE_TRY(fields.reject_unknown_keys());
  if (decision != "accept" && decision != "return")
    return make_error(ErrorCode::invalid_input, "decision", "须为 accept（接收样品）或 return（退样，须写明理由）", 36);
  if (decision == "accept" && reason) return make_error(ErrorCode::invalid_input, "reason", "接收样品时不填退样理由");
  unboxing::UnboxingSessions& sessions = call.runtime.unboxings();
  NETSAMPLE_ASSIGN(unboxing::UnboxingView latest, sessions.latest(number));
  // The session checks the state, that the caller is a sampler of the case and Art 36's reasons.
  NETSAMPLE_ASSIGN(unboxing::UnboxingView decided,
                   sessions.decide(latest.id, decision == "accept" ? unboxing::Decision::accept : unboxing::Decision::return_samples, reason.value_or(""),
                                   note.value_or(""), call.who().actor()));
  return Response::json(200, decided.to_json());
}

// The seals as in seals.json (Art 31, 37, 38), each seal's photo ("still") an upload of the caller's.
Result<Response> seal(Call& call) {
  const std::string& number = call.param("number");
  NETSAMPLE_TRY(require_case(call, number));
  NETSAMPLE_TRY(require_person(call));
  NETSAMPLE_ASSIGN(json body, json_body(call));
  std::vector<std::string> used;
  for (const char* which : {"inspection", "backup"}) {
    if (!body.contains(which) || !body[which].is_object() || !body[which].contains("still")) continue;  // parse_sealing names what is missing
    const json& still = body[which]["still"];
    const std::string field = std::string(which) + ".still";
    if (!still.is_string()) return make_error(ErrorCode::wrong_type, field, "须为封条照片的上传编号（POST /api/uploads）");
    NETSAMPLE_ASSIGN(StoredUpload upload, find_upload(uploads_dir(call), still.get<std::string>(), call.who().actor(), field));
    body[which]["still"] = upload.file.string();
    used.push_back(upload.id);
  }
  NETSAMPLE_ASSIGN(unboxing::Sealing sealing, unboxing::parse_sealing(body, uploads_dir(call)));
  NETSAMPLE_ASSIGN(unboxing::UnboxingView sealed, call.runtime.unboxings().seal(number, sealing, call.who().actor()));
  for (const auto& id : used) remove_upload(uploads_dir(call), id);  // the photos are evidence now
  // The seal stands once recorded; a document that cannot be made yet is said, not a failure of the seal.
  auto document = purchase::write_sampling_document(call.runtime.store(), call.runtime.lifecycle(), call.runtime.platforms(), number, call.who().actor());
  json out = sealed.to_json();
  out["sampling_document"] = document.ok() ? json{{"draft", document->draft}, {"evidence", document->evidence.empty() ? json() : json(document->evidence.front().id)}}
                                           : json{{"error", error_to_json(document.error())}};
  return Response::json(200, out);
}

// --- the parties notices go to ---

Status require_parties_clerk(const Call& call) {
  if (call.who().admin() || call.who().has_role("organizer")) return {};
  return make_error(ErrorCode::forbidden, "authorization", "收件方只由组织人员和管理员登记");
}

Result<Response> list_parties(Call& call) {
  NETSAMPLE_TRY(require_parties_clerk(call));
  NETSAMPLE_ASSIGN(std::vector<notices::Party> list, call.runtime.parties().list());
  json out = json::array();
  for (const auto& p : list) out.push_back(p.to_json());  // secrets only as "set"
  return Response::json(200, {{"parties", out}});
}

Result<Response> put_parties(Call& call) {
  NETSAMPLE_TRY(require_parties_clerk(call));
  NETSAMPLE_ASSIGN(json body, json_body(call));
  NETSAMPLE_ASSIGN(std::vector<notices::Party> list, notices::parse_parties(body));
  NETSAMPLE_ASSIGN(notices::PartyRegistry::Change change, call.runtime.parties().put(list, call.who().actor()));
  return Response::json(200, {{"added", change.added}, {"updated", change.updated}, {"unchanged", change.unchanged}});
}

// --- jobs ---

Result<Response> show_job(Call& call) {
  const std::string& id = call.param("id");
  const Error unknown = make_error(ErrorCode::not_found, "id", "没有编号为 " + id + " 的任务");
  const std::optional<std::int64_t> job_id = positive_id(id);
  if (!job_id) return unknown;
  // ?wait=SECONDS: answer when the job ended, or after that long (a client need not poll in a loop).
  Status bad;
  const int wait_s = query_int(call, "wait", 0, 0, 60, bad);
  NETSAMPLE_TRY(bad);
  std::optional<Job> job = wait_s > 0 ? call.jobs.wait(*job_id, std::chrono::seconds(wait_s)) : call.jobs.find(*job_id);
  if (!job || (job->login != call.who().actor() && !call.who().admin())) return unknown;
  return Response::json(200, job->to_json());
}

}  // namespace

void add_sample_routes(std::vector<Route>& out) {
  Route upload{"POST", "/api/uploads", Access::signed_in, create_upload};
  upload.upload = true;
  out.push_back(upload);
  out.push_back({.method = "POST", .pattern = "/api/cases/{number}/evidence", .access = Access::signed_in, .handler = add_evidence, .slow = true});
  out.push_back({"DELETE", "/api/evidence/{id}", Access::admin, delete_evidence});
  out.push_back({"GET", "/api/purchase/steps", Access::signed_in, purchase_steps});
  out.push_back({"GET", "/api/cases/{number}/purchases", Access::signed_in, purchases});
  out.push_back({.method = "POST", .pattern = "/api/cases/{number}/sampling-document", .access = Access::signed_in, .handler = sampling_document, .slow = true});
  out.push_back({"GET", "/api/cases/{number}/unboxings", Access::signed_in, unboxings});
  out.push_back({"POST", "/api/cases/{number}/unboxings", Access::signed_in, import_unboxing});
  out.push_back({"POST", "/api/cases/{number}/unboxing/steps", Access::signed_in, mark_unboxing_step});
  out.push_back({"POST", "/api/cases/{number}/unboxing/decision", Access::signed_in, decide_unboxing});
  out.push_back({.method = "POST", .pattern = "/api/cases/{number}/seal", .access = Access::signed_in, .handler = seal, .slow = true});
  out.push_back({"GET", "/api/parties", Access::signed_in, list_parties});
  out.push_back({"POST", "/api/parties", Access::signed_in, put_parties});
  out.push_back({.method = "GET", .pattern = "/api/jobs/{id}", .access = Access::signed_in, .handler = show_job, .slow = true});
}

}  // namespace netsample::server
