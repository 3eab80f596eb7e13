// Pages captured as evidence before and during a purchase (design/crawler.md): POST /api/captures runs
// `netsample crawl` for the caller as a job (fetching, a licence picture's OCR and stamping take seconds), and
// GET /api/cases/{number}/captures lists what the case's captures read and checked. The service fetches for its
// users, so it reaches no address of its own machine or network (`--public-addresses-only`).
#include "api.h"
#include "jobs.h"
#include "netsample/core/json_fields.h"
#include "netsample/core/process.h"
#include "netsample/server/server.h"

namespace netsample::server {
namespace {

using nlohmann::json;

// A case's page is captured by its samplers (the purchase's evidence) or its organizers (the check before
// buying); a page for no case yet, by an organizer weighing a listing for a new case (Art 34, 22, 24, 25).
Status may_capture(Call& call, const std::optional<std::string>& number) {
  if (number) {
    NETSAMPLE_TRY(require_case(call, number.value()));
    if (call.who().admin()) return {};
    if (require_role(call, *number, workflow::CaseRole::sampler, "抓取网页").ok()) return {};
    return require_role(call, *number, workflow::CaseRole::organizer, "抓取网页（任务的抽样人员或组织人员）");
  }
  NETSAMPLE_TRY(require_person(call));
  if (call.who().admin() || call.who().has_role("organizer")) return {};
  return make_error(ErrorCode::forbidden, "case", "不属于任务的抓取只能由组织人员进行（抽查前核对商品页面）；抽样人员请指明任务");
}

Result<Response> capture_page(Call& call) {
  NETSAMPLE_ASSIGN(json body, json_body(call));
  NETSAMPLE_ASSIGN(JsonFields fields, JsonFields::of(body, ""));
  NETSAMPLE_ASSIGN(std::string url, fields.text("url"));
  NETSAMPLE_ASSIGN(std::optional<std::string> number, fields.optional_text("case"));
  NETSAMPLE_ASSIGN(std::optional<std::string> platform, fields.optional_text("platform"));
  NETSAMPLE_ASSIGN(bool ignore_robots, fields.optional_boolean("ignore_robots", false));
  NETSAMPLE_ASSIGN(std::optional<std::string> robots_reason, fields.optional_text("robots_reason"));
  auto web_address = [](const std::string& u) { return u.starts_with("http://") || u.starts_with("https://"); };
  std::vector<std::string> also;  // further pages of the same session (the shop's licence page)
  if (body.contains("also")) {
    NETSAMPLE_ASSIGN(const json* list, fields.raw("also"));
    if (!list->is_array() || list->size() > 10) return make_error(ErrorCode::wrong_type, "also", "须为网址数组（至多 10 个）");
    for (size_t i = 0; i < list->size(); ++i) {
      const std::string at = "also[" + std::to_string(i) + "]";
      if (!(*list)[i].is_string()) return make_error(ErrorCode::wrong_type, at, "须为网址（字符串）");
      const std::string u = (*list)[i].get<std::string>();
      if (u.empty()) continue;  // the form's licence page left empty
      if (!web_address(u)) return make_error(ErrorCode::invalid_input, at, "须为 http:// 或 https:// 开头的网址：" + u);
      also.push_back(u);
    }
  }
  NETSAMPLE_TRY(fields.reject_unknown_keys());
  if (!web_address(url)) return make_error(ErrorCode::invalid_input, "url", "须为 http:// 或 https:// 开头的网址");
  if (ignore_robots && !robots_reason)
    return make_error(ErrorCode::missing_field, "robots_reason", "不遵守 robots.txt 时须写明理由（每次抓取都会记录）");
  NETSAMPLE_TRY(may_capture(call, number));

  const auto program = call.options.netsample_program.empty() ? sibling_program("netsample") : call.options.netsample_program;
  std::vector<std::string> argv = {program.string(), "--data", call.runtime.data_dir().string(), "--as",
                                   call.who().actor(), "--json", "crawl", url, "--public-addresses-only"};
  for (const auto& u : also) argv.insert(argv.end(), {"--also", u});
  if (number) argv.insert(argv.end(), {"--case", *number});
  if (platform) argv.insert(argv.end(), {"--platform", *platform});
  if (ignore_robots) argv.insert(argv.end(), {"--ignore-robots", "--robots-reason", *robots_reason});
  for (const auto& server : call.options.ntp) argv.insert(argv.end(), {"--ntp", server});
  for (const auto& tsa : call.options.tsa) argv.insert(argv.end(), {"--tsa", tsa});
  Job job;
  job.kind = "capture";
  job.case_number = number.value_or("");
  job.login = call.who().actor();
  job.argv = std::move(argv);
  job.data_dir = call.runtime.data_dir().string();
  return job_accepted(call.jobs.submit(std::move(job)));
}

Result<Response> case_captures(Call& call) {
  const std::string& number = call.param("number");
  NETSAMPLE_TRY(require_case(call, number));
  NETSAMPLE_ASSIGN(std::vector<json> list, call.runtime.pages().of_case(number));
  json out = json::array();
  for (auto& c : list) {
    // Evidence is read through its route (audited), never by a path on the server's disk.
    if (c.contains("warc_evidence")) c["warc_url"] = "/api/evidence/" + std::to_string(c["warc_evidence"].get<std::int64_t>());
    out.push_back(std::move(c));
  }
  return Response::json(200, {{"case", number}, {"captures", out}});
}

}  // namespace

void add_capture_routes(std::vector<Route>& out) {
  out.push_back({.method = "POST", .pattern = "/api/captures", .access = Access::signed_in, .handler = capture_page});
  out.push_back({.method = "GET", .pattern = "/api/cases/{number}/captures", .access = Access::signed_in, .handler = case_captures, .snapshot = true});
}

}  // namespace netsample::server
