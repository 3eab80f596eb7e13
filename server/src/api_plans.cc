// Opening cases: one from a form (POST /api/cases, every bad field named at once) or a plan of many from a
// spreadsheet (CSV or XLSX, uploaded first), all created or none (workflow/plan.h).
#include "api.h"
#include "netsample/core/json_fields.h"
#include "netsample/spreadsheet/spreadsheet.h"
#include "netsample/workflow/plan.h"
#include "uploads.h"

namespace netsample::server {

Status may_create_case(const Call& call, const workflow::CaseRecord& record) {
  if (call.who().admin()) return {};
  if (call.who().has_role("organizer") && call.who().account.person && call.who().account.person->org == record.organizer) return {};
  return make_error(ErrorCode::refused_by_rule, "organizer",
                    call.who().actor() + " 不是组织单位 \"" + record.organizer + "\" 的组织人员，不能为其创建抽样任务", 5);
}

namespace {

using nlohmann::json;

// 400 with the first problem as the error (what every client reads) and all of them beside it.
Response problems_response(const Error& summary, json problems) {
  return Response::json(400, {{"error", error_to_json(summary)}, {"problems", std::move(problems)}});
}

json case_created_json(const workflow::CaseView& view) {
  json drawn = json::array();
  for (const auto& p : view.people)
    if (p.role == "sampler") drawn.push_back({{"id", p.person_id}, {"name", p.name}});
  return {{"number", view.record.number}, {"product", view.record.product_name}, {"shop", view.record.shop_name},
          {"state", view.state}, {"samplers", drawn}, {"draw", view.draw ? view.draw->to_json() : json(nullptr)},
          {"url", "/api/cases/" + view.record.number}};
}

Result<Response> create_case(Call& call) {
  NETSAMPLE_TRY(require_person(call));
  NETSAMPLE_ASSIGN(json body, json_body(call));
  workflow::CaseCheck check = workflow::check_case(body, call.runtime.platforms());
  if (!check.errors.empty()) {
    json problems = json::array();
    for (const auto& e : check.errors) problems.push_back(error_to_json(e));
    return problems_response(check.errors.front(), problems);
  }
  NETSAMPLE_TRY(may_create_case(call, check.request.record));
  NETSAMPLE_ASSIGN(workflow::CaseView view, call.runtime.cases().create(check.request, call.who().actor()));
  Response r = Response::json(201, view.to_json());
  r.set_header("Location", "/api/cases/" + view.record.number);
  return r;
}

// The columns of a plan, which are also the fields of the case form.
Result<Response> plan_columns(Call& call) {
  json out = {{"columns", workflow::plan_columns_json(call.runtime.platforms())}};
  if (call.who().account.person) out["organizer"] = call.who().account.person->org;
  return Response::json(200, out);
}

Result<Response> plan_template(Call&) {
  Response r = Response::bytes(200, workflow::plan_template_csv(), "text/csv; charset=utf-8");
  r.set_header("Content-Disposition", "attachment; filename=\"plan-template.csv\"; filename*=UTF-8''%E6%8A%BD%E6%9F%A5%E8%AE%A1%E5%88%92%E6%A8%A1%E6%9D%BF.csv");
  return r;
}

// {"upload": id, "dry_run": bool}: the spreadsheet as an upload (POST /api/uploads). A dry run checks every row
// against the database and keeps nothing; the upload stays for the real import.
Result<Response> import_plan(Call& call) {
  NETSAMPLE_TRY(require_person(call));
  NETSAMPLE_ASSIGN(json body, json_body(call));
  NETSAMPLE_ASSIGN(JsonFields fields, JsonFields::of(body, ""));
  NETSAMPLE_ASSIGN(std::string upload_id, fields.text("upload"));
  NETSAMPLE_ASSIGN(bool dry_run, fields.optional_boolean("dry_run", false));
  NETSAMPLE_TRY(fields.reject_unknown_keys());
  NETSAMPLE_ASSIGN(StoredUpload upload, find_upload(uploads_dir(call), upload_id, call.who().actor(), "upload"));
  auto table = spreadsheet::read_table(upload.file);
  if (!table.ok()) {
    Error e = table.error();
    e.field = "upload";
    return e;
  }
  workflow::PlanOptions options;
  options.actor = call.who().actor();
  options.default_organizer = call.who().account.person->org;
  options.may_create = [&call](const workflow::CaseRecord& record) { return may_create_case(call, record); };
  options.dry_run = dry_run;
  NETSAMPLE_ASSIGN(workflow::PlanImport result, workflow::import_plan(call.runtime.cases(), call.runtime.platforms(), table->rows, options));
  if (!result.problems.empty()) {
    json problems = json::array();
    for (const auto& p : result.problems) problems.push_back(p.to_json());
    const std::string count = std::to_string(result.problems.size());
    return problems_response(make_error(ErrorCode::invalid_input, "upload", "计划表中有 " + count + " 处问题，未创建任何任务"), problems);
  }
  if (dry_run) {
    json checked = json::array();
    for (const auto& v : result.checked) checked.push_back(case_created_json(v));
    return Response::json(200, {{"dry_run", true}, {"cases", checked}});
  }
  remove_upload(uploads_dir(call), upload.id);
  json created = json::array();
  for (const auto& v : result.created) created.push_back(case_created_json(v));
  return Response::json(201, {{"dry_run", false}, {"cases", created}});
}

}  // namespace

void add_plan_routes(std::vector<Route>& out) {
  out.push_back({"POST", "/api/cases", Access::signed_in, create_case});
  out.push_back({"GET", "/api/cases/plan-columns", Access::signed_in, plan_columns, true});
  out.push_back({"GET", "/api/cases/plan-template.csv", Access::signed_in, plan_template, true});
  out.push_back({.method = "POST", .pattern = "/api/cases/import", .access = Access::signed_in, .handler = import_plan, .slow = true});
}

}  // namespace netsample::server
