// The demo's notices (Art 39, 51, 52, 74): the lab's nonconforming result makes the case owe its written
// notices; the parties are registered from a file like a bureau's own; `netsample notices deliver` runs as
// a worker would — the platform's endpoint fails once and the notice is retried with the same idempotency
// key — and the operator's registered letter is marked received, which opens the objection period.
#include "netsample/demo/steps.h"

#include <iostream>

#include "netsample/core/file_io.h"
#include "netsample/core/process.h"
#include "netsample/core/json_fields.h"
#include "netsample/notices/deliveries.h"
#include "netsample/workflow/cases.h"

namespace netsample::demo {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Runs `netsample ARGS` as `actor` (a roster id; the login otherwise), printing the command and, unless
// `quiet`, its output as the official would see them.
Result<std::string> run_netsample(DemoRun& run, const std::string& actor, const std::vector<std::string>& args, bool quiet = false) {
  std::vector<std::string> argv = {sibling_program("netsample").string(), "--data", run.runtime.data_dir().string()};
  if (!actor.starts_with("os:")) argv.insert(argv.end(), {"--as", actor});
  argv.insert(argv.end(), args.begin(), args.end());
  std::string shown = "$ netsample";
  for (const auto& a : args) shown += " " + a;
  if (!quiet) std::cout << "    " << shown << "\n" << std::flush;
  NETSAMPLE_ASSIGN(ProgramOutput out, run_program(argv));
  if (out.exit_code != 0) return make_error(ErrorCode::internal, args.front(), "命令失败（退出码 " + std::to_string(out.exit_code) + "）：" + out.err);
  if (quiet) return out.out;
  for (size_t start = 0; start < out.out.size();) {
    size_t end = out.out.find('\n', start);
    if (end == std::string::npos) end = out.out.size();
    if (end > start) std::cout << "      " << out.out.substr(start, end - start) << "\n";
    start = end + 1;
  }
  return out.out;
}

}  // namespace

Result<json> run_demo_notices(DemoRun& run, DemoWorld& world, const std::string& case_number) {
  NETSAMPLE_ASSIGN(workflow::CaseView view, run.runtime.cases().show(case_number));
  std::string tester;
  for (const auto& p : view.people)
    if (p.role == "tester") tester = p.person_id;
  const std::string today = format_date(beijing_date(run.runtime.clock().now()));
  const fs::path inputs = run.runtime.data_dir() / "demo-inputs";
  // The lab: received intact, tested, nonconforming (a made-up finding for the demo).
  NETSAMPLE_TRY(write_file_atomic(inputs / (case_number + "-lab-receive.json"), json{{"received_date", today}}.dump(2) + "\n"));
  NETSAMPLE_TRY(write_file_atomic(inputs / (case_number + "-result.json"),
                                  json{{"report_number", "CQJ-" + case_number}, {"report_date", today}, {"failed_items", "泄漏电流（演示数据）"},
                                       {"producer_outside_region", view.record.producer.address.rfind("重庆", 0) != 0}}
                                          .dump(2) + "\n"));
  NETSAMPLE_TRY(status_of(run_netsample(run, tester, {"case", "event", case_number, "lab_receive", "--file", (inputs / (case_number + "-lab-receive.json")).string()})));
  NETSAMPLE_TRY(status_of(run_netsample(run, tester, {"case", "event", case_number, "report_nonconforming", "--file", (inputs / (case_number + "-result.json")).string()})));

  // Who the notices go to, as a bureau registers them; credentials and the mail server only in the data directory.
  const json parties = {
      {"parties",
       {{{"id", "demo-shop"}, {"kind", "platform"}, {"name", "演示商城（本机）"}, {"platform", "demo-shop"},
         {"webhook", {{"url", world.platform_hook->url()}, {"secret", world.platform_secret}}}},
        {{"id", "cq-netsup"}, {"kind", "network_supervision"}, {"name", "重庆市市场监督管理局网络交易监督管理处（演示）"},
         {"webhook", {{"url", world.platform_hook->url()}, {"secret", world.platform_secret}}}},
        {{"id", "demo-operator"}, {"kind", "operator"}, {"name", view.record.operator_party.name}, {"email", "legal@operator.demo.invalid"},
         {"postal_address", view.record.operator_party.address}},
        {{"id", "demo-producer"}, {"kind", "producer"}, {"name", view.record.producer.name}, {"postal_address", view.record.producer.address}},
        {{"id", "gd-amr"}, {"kind", "bureau"}, {"name", "广东省市场监督管理局（演示）"}, {"region", "广东省"}, {"email", "notices@gd-amr.demo.invalid"}}}}};
  NETSAMPLE_TRY(write_file_atomic(inputs / "parties.json", parties.dump(2) + "\n"));
  NETSAMPLE_TRY(write_file_atomic(run.runtime.data_dir() / "notices.json",
                                  json{{"_comment", "netsample demo: the local mail server of the last demo run"},
                                       {"smtp", {{"url", world.mail->url()}, {"from", "notices@cq-amr.demo.invalid"}}}}
                                          .dump(2) + "\n"));
  NETSAMPLE_TRY(status_of(run_netsample(run, run.actor, {"notices", "parties", "add", "--file", (inputs / "parties.json").string()})));
  NETSAMPLE_TRY(status_of(run_netsample(run, run.actor, {"notices", "deliver", "--first-backoff", "1"})));
  std::cout << "      平台接口共收到 " << world.platform_hook->requests() << " 次请求，收下 " << world.platform_hook->taken().size() << " 份通知；邮件服务器收到 "
            << world.mail->messages().size() << " 封邮件\n";

  // Written delivery to the operator: posted, then received — the day the objection period starts from (Art 52).
  NETSAMPLE_ASSIGN(std::vector<workflow::NoticeView> owed, workflow::read_notices(run.runtime.store().db(), case_number));
  std::int64_t result_notice = 0;
  for (const auto& n : owed)
    if (n.kind == "result_nonconforming") result_notice = n.id;
  NETSAMPLE_TRY(status_of(run_netsample(run, run.actor, {"notices", "mark-posted", std::to_string(result_notice), "--party", "demo-operator", "--number", "EMS1000" + std::to_string(result_notice) + "CN"})));
  NETSAMPLE_TRY(status_of(run_netsample(run, run.actor, {"notices", "mark-posted", std::to_string(result_notice), "--party", "demo-producer", "--number", "EMS2000" + std::to_string(result_notice) + "CN"})));
  NETSAMPLE_TRY(status_of(run_netsample(run, run.actor, {"notices", "mark-received", std::to_string(result_notice), "--party", "demo-operator", "--date", today})));
  NETSAMPLE_ASSIGN(std::string listed, run_netsample(run, run.actor, {"notices", "list", "--case", case_number, "--json"}, true));
  return json::parse(listed, nullptr, false);
}

}  // namespace netsample::demo
