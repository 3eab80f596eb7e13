// `netsample demo`: walks one case through what netsample can do today, on a local data directory,
// with nothing to configure. It writes its input files next to the data so every step can be
// repeated by hand with the ordinary commands.
#include <iostream>

#include "commands.h"
#include "netsample/core/file_io.h"
#include "netsample/core/json_fields.h"
#include "netsample/workflow/cases.h"
#include "netsample/workflow/roster.h"

namespace netsample::app {
namespace {

using nlohmann::json;
using std::chrono::year;

const char* const kDemoRoster = R"json({
  "people": [
    {"id": "CQ-S-001", "name": "张明", "org": "cq-amr", "roles": ["sampler", "tester"]},
    {"id": "CQ-S-002", "name": "李娟", "org": "cq-amr", "roles": ["sampler", "tester"]},
    {"id": "CQ-S-003", "name": "王磊", "org": "cq-amr", "roles": ["sampler", "tester"]},
    {"id": "CQ-S-004", "name": "赵倩", "org": "cq-amr", "roles": ["sampler", "tester", "reviewer"]},
    {"id": "CQ-L-001", "name": "陈刚", "org": "cq-amr", "roles": ["tester"]},
    {"id": "CQ-L-002", "name": "刘芳", "org": "cq-amr", "roles": ["tester"]}
  ]
})json";

json demo_case(const std::string& number) {
  return {{"number", number},
          {"organizer", "cq-amr"},
          {"level", "city"},
          {"plan", "routine"},
          {"product", {{"name", "电热水壶"}, {"trademark", "清泉"}, {"model", "QS-1701 1.7L"}, {"category", "家用电器"},
                       {"standard", "GB 4706.1-2005；GB 4706.19-2008"}}},
          {"platform", "jd"},
          {"shop", {{"name", "清泉电器官方旗舰店"}, {"url", "https://mall.jd.com/index-1000001.html"},
                    {"listing_url", "https://item.jd.com/100012345678.html"}}},
          {"operator", {{"name", "重庆清泉电器销售有限公司"}, {"address", "重庆市渝北区金开大道 88 号"}}},
          {"producer", {{"name", "重庆清泉电器制造有限公司"}, {"address", "重庆市璧山区工业园 16 号"}}},
          {"samples", {{"inspection", 2}, {"backup", 2}}}};
}

void step(int n, int of, const std::string& title) { std::cout << "\n[" << n << "/" << of << "] " << title << "\n"; }

void refused(const Error& error) {
  std::cout << "    → 已拒绝 [" << to_string(error.code) << "]：" << error.describe() << "\n";
}

Status run_demo(Context& context) {
  constexpr int kSteps = 7;
  const auto inputs = context.data_dir / "demo-inputs";
  std::filesystem::create_directories(inputs);
  std::cout << "netsample 演示：数据目录 " << std::filesystem::absolute(context.data_dir).lexically_normal().string() << "\n"
            << "时间一律以北京时间显示（UTC+8），库中存 UTC。现在是 " << format_beijing(context.clock.now()) << "\n";

  step(1, kSteps, "人员名册（抽样人员与检验人员）");
  NETSAMPLE_TRY(write_file_atomic(inputs / "roster.json", kDemoRoster));
  NETSAMPLE_ASSIGN(json roster_json, read_json_file(inputs / "roster.json"));
  NETSAMPLE_ASSIGN(std::vector<workflow::Person> people, workflow::parse_people(roster_json));
  workflow::Roster roster(*context.store);
  NETSAMPLE_ASSIGN(workflow::RosterChange change, roster.add(people, context.actor));
  std::cout << "    " << (inputs / "roster.json").string() << "：新增 " << change.added << " 人，未变 " << change.unchanged << " 人\n";

  step(2, kSteps, "创建抽样任务，随机选派 2 名抽样人员（第20条）");
  workflow::CaseRegistry registry(*context.store);
  NETSAMPLE_ASSIGN(std::vector<workflow::CaseView> existing, registry.list());
  const CivilDate today = beijing_date(context.clock.now());
  std::string date = format_date(today);
  std::erase(date, '-');
  const std::string number = "DEMO-" + date + "-" + (existing.size() < 9 ? "0" : "") + std::to_string(existing.size() + 1);
  const auto case_file = inputs / (number + ".json");
  NETSAMPLE_TRY(write_file_atomic(case_file, demo_case(number).dump(2) + "\n"));
  NETSAMPLE_ASSIGN(json case_json, read_json_file(case_file));
  NETSAMPLE_ASSIGN(workflow::CaseRequest request, workflow::parse_case(case_json, context.platforms));
  NETSAMPLE_ASSIGN(workflow::CaseView view, registry.create(request, context.actor));
  std::cout << "    任务文件 " << case_file.string() << "\n";
  print_case(view, context.platforms);

  step(3, kSteps, "抽检分离（第16条）：抽样人员不得检验自己抽取的样品");
  const std::string sampler = view.draw->drawn.front();
  std::cout << "    指派本任务的抽样人员 " << sampler << "（也具备检验资格）为检验人员：\n";
  Status wrong = registry.assign_tester(number, sampler, context.actor);
  if (wrong.ok() || wrong.error().article != 16) return make_error(ErrorCode::internal, "demo", "第16条检查没有拒绝抽样人员担任检验人员");
  refused(wrong.error());
  NETSAMPLE_TRY(registry.assign_tester(number, "CQ-L-001", context.actor));
  std::cout << "    指派检验人员 CQ-L-001（陈刚）：已记录\n";

  step(4, kSteps, "证据按 SHA-256 存放，读取时重新校验");
  NETSAMPLE_ASSIGN(store::EvidenceItem item, context.store->add_evidence(view.id, number, case_file, "document", context.actor));
  NETSAMPLE_TRY(context.store->evidence().verify(item.sha256));
  std::cout << "    证据 #" << item.id << " " << item.name << "（" << item.size << " 字节）\n    SHA-256 " << item.sha256
            << "\n    存放于 " << context.store->evidence().path_of(item.sha256).string() << "，校验一致\n";

  step(5, kSteps, "保存期限（第47条）：6 年内不得删除");
  Status early = registry.remove(number, context.actor);
  if (early.ok()) return make_error(ErrorCode::internal, "demo", "第47条检查没有拒绝删除新建的任务");
  refused(early.error());

  step(6, kSteps, "法定期限（第75条）：自然日，次日起算，末日遇法定节假日或休息日顺延");
  for (int days : {15, 60, 75}) {
    std::cout << "    自今天（" << format_date(today) << "）起 " << days << " 日"
              << (days == 15 ? "（异议期，第52条）" : days == 60 ? "（整改期，第65条）" : "（复查，第66条）") << "：";
    auto period = workflow::compute_period(context.calendar, today, days, context.lifecycle.rule);
    if (!period.ok()) {  // never a guess: a year without its official calendar is said so
      std::cout << "无法确定 —— " << period.error().message << "\n";
      continue;
    }
    std::cout << "届满 " << format_date(period->due);
    for (const auto& skipped : period->skipped) std::cout << "，" << format_date(skipped.day) << " " << skipped.reason << "顺延";
    std::cout << "\n";
  }
  NETSAMPLE_ASSIGN(workflow::Period national_day, workflow::compute_period(context.calendar, year{2026} / 9 / 22, 15, context.lifecycle.rule));
  std::cout << "    例：2026-09-22 收到告知，15 日异议期的名义末日 " << format_date(national_day.nominal_end) << " 是国庆节，届满日 "
            << format_date(national_day.due) << "\n";

  step(7, kSteps, "审计日志：每一次改动都在哈希链上（netsample audit verify）");
  NETSAMPLE_ASSIGN(auto rows, context.store->audit().records(number));
  for (const auto& row : rows)
    std::cout << "    #" << row.seq << "  " << format_beijing(row.at) << "  " << row.action << "  " << row.hash.substr(0, 16) << "…\n";
  if (verify_audit(context) != 0) return make_error(ErrorCode::integrity, "audit", "审计校验未通过");

  std::cout << "\n演示完成。可继续试试：\n"
            << "    " << context.program << " --data " << context.data_dir.string() << " case show " << number << "\n"
            << "    " << context.program << " --data " << context.data_dir.string() << " audit log --case " << number << "\n"
            << "    " << context.program << " --data " << context.data_dir.string() << " audit verify\n";
  return {};
}

}  // namespace

void add_demo_command(CLI::App& app, Context& context, int& exit_code) {
  auto* demo = app.add_subcommand("demo", "演示：名册、随机选派、抽检分离、证据存放、保存期限、法定期限、审计校验");
  demo->callback([&] { exit_code = run_command(context, [&] { return run_demo(context); }); });
}

}  // namespace netsample::app
