// `netsample demo`: walks one case through what netsample can do today, on a local data directory,
// with nothing to configure: the roster, the case and its random draw, one recorded purchase from a local
// shop (Art 35), the checks that keep a case honest. It writes its input files next to the data so every
// step can be repeated by hand with the ordinary commands.
#include <iostream>

#include <algorithm>

#include "commands.h"
#include "netsample/purchase/sampling_document.h"
#include "netsample/demo/steps.h"
#include "purchase_view.h"
#include "netsample/core/file_io.h"
#include "netsample/core/json_fields.h"
#include "netsample/workflow/cases.h"
#include "netsample/workflow/roster.h"
#include "netsample/accounts/accounts.h"
#include "netsample/unboxing/video.h"

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
    {"id": "CQ-L-002", "name": "刘芳", "org": "cq-amr", "roles": ["tester"]},
    {"id": "CQ-O-001", "name": "周敏", "org": "cq-amr", "roles": ["organizer"]},
    {"id": "CQ-R-001", "name": "吴涛", "org": "cq-review", "roles": ["reviewer"]},
    {"id": "YB-D-001", "name": "孙丽", "org": "yubei-amr", "roles": ["district"]}
  ]
})json";

void step(int n, int of, const std::string& title) { std::cout << "\n[" << n << "/" << of << "] " << title << "\n"; }

void refused(const Error& error) {
  std::cout << "    → 已拒绝 [" << to_string(error.code) << "]：" << error.describe() << "\n";
}

Status run_demo(Context& context, bool page_capture) {
  constexpr int kSteps = 13;
  const auto inputs = context.data_dir / "demo-inputs";
  std::filesystem::create_directories(inputs);
  std::cout << "netsample 演示：数据目录 " << std::filesystem::absolute(context.data_dir).lexically_normal().string() << "\n"
            << "时间一律以北京时间显示（UTC+8），库中存 UTC。现在是 " << format_beijing(context.runtime->clock().now()) << "\n";

  step(1, kSteps, "人员名册（抽样人员、检验人员、组织人员、审看人员、区县局）");
  NETSAMPLE_TRY(write_file_atomic(inputs / "roster.json", kDemoRoster));
  NETSAMPLE_ASSIGN(json roster_json, read_json_file(inputs / "roster.json"));
  NETSAMPLE_ASSIGN(std::vector<workflow::Person> people, workflow::parse_people(roster_json));
  workflow::Roster& roster = context.runtime->roster();
  NETSAMPLE_ASSIGN(workflow::RosterChange change, roster.add(people, context.actor));
  std::cout << "    " << (inputs / "roster.json").string() << "：新增 " << change.added << " 人，未变 " << change.unchanged << " 人\n";

  step(2, kSteps, "本机演示环境：没有真实网站可连时，一切都在本机");
  demo::DemoRun demo_run{*context.runtime, context.actor, page_capture};
  NETSAMPLE_ASSIGN(std::unique_ptr<demo::DemoWorld> world, demo::start_demo_world(context.data_dir / "demo-world"));
  NETSAMPLE_TRY(write_file_atomic(context.data_dir / "platforms.json", demo::demo_shop_platforms().dump(2) + "\n"));
  // The sampling unit as its documents name it (a bureau also sets "seal_image" to its seal, a PNG).
  if (!std::filesystem::exists(context.data_dir / "organization.json"))
    NETSAMPLE_TRY(write_file_atomic(context.data_dir / "organization.json", json{{"name", "重庆市市场监督管理局（演示）"}}.dump(2) + "\n"));
  NETSAMPLE_TRY(context.runtime->reload_platforms());

  step(3, kSteps, "创建抽样任务，随机选派 2 名抽样人员（第20条）");
  workflow::CaseRegistry& registry = context.runtime->cases();
  NETSAMPLE_ASSIGN(std::vector<workflow::CaseView> existing, registry.list());
  const CivilDate today = beijing_date(context.runtime->clock().now());
  std::string date = format_date(today);
  std::erase(date, '-');
  const std::string number = "DEMO-" + date + "-" + (existing.size() < 9 ? "0" : "") + std::to_string(existing.size() + 1);
  const auto case_file = inputs / (number + ".json");
  NETSAMPLE_TRY(write_file_atomic(case_file, demo::demo_shop_case(number, *world).dump(2) + "\n"));
  NETSAMPLE_ASSIGN(json case_json, read_json_file(case_file));
  NETSAMPLE_ASSIGN(workflow::CaseRequest request, workflow::parse_case(case_json, context.runtime->platforms()));
  NETSAMPLE_ASSIGN(workflow::CaseView view, registry.create(request, context.actor));
  std::cout << "    任务文件 " << case_file.string() << "\n";
  print_case(view, context.runtime->platforms());

  step(4, kSteps, "抽检分离（第16条）：抽样人员不得检验自己抽取的样品");
  std::cout << "    指派本任务的抽样人员 " << view.draw->drawn.front() << "（也具备检验资格）为检验人员：\n";
  Status wrong = registry.assign_tester(number, view.draw->drawn.front(), context.actor);
  if (wrong.ok() || wrong.error().article != 16) return make_error(ErrorCode::internal, "demo", "第16条检查没有拒绝抽样人员担任检验人员");
  refused(wrong.error());
  NETSAMPLE_TRY(registry.assign_tester(number, "CQ-L-001", context.actor));
  std::cout << "    指派检验人员 CQ-L-001（陈刚）：已记录\n";
  // Whoever reviews the purchase video, and the district bureau that handles a nonconforming result (Art 63).
  NETSAMPLE_TRY(registry.assign_reviewer(number, "CQ-R-001", context.actor));
  NETSAMPLE_TRY(registry.assign_district(number, "yubei-amr", context.actor));
  std::cout << "    指派审看人员 CQ-R-001（吴涛），结果处理由渝北区局（yubei-amr）承办\n";

  step(5, kSteps, "买样（第35条）：一段连续录像，先网络校时，再标记七个步骤");
  const std::string sampler = view.draw->drawn.front();
  NETSAMPLE_ASSIGN(purchase::SessionView session, demo::run_demo_purchase(demo_run, *world, number, sampler));
  print_session(session, context.program);
  // A machine with, say, a proxy's certificate added to its store shows a finding that could fake a page: the
  // organizer looks at it and accepts it with a reason (audited), as Art 35 evidence needs. A clean machine has none.
  if (session.state == purchase::PurchaseState::incomplete &&
      std::all_of(session.problems.begin(), session.problems.end(), [](const nlohmann::json& p) {
        return p.value("level", "") != "error" || p.value("item", "") == "environment";
      })) {
    const std::string reason = "演示：本机证书库或网络设置中的这些项目与演示商城无关——商城在本机 127.0.0.1，浏览器不经代理直连";
    std::cout << "    $ netsample --as CQ-O-001 purchase accept-environment " << number << " --reason \"" << reason << "\"\n";
    NETSAMPLE_ASSIGN(session, demo_run.runtime.purchases().accept_environment(session.id, reason, "CQ-O-001"));
    std::cout << "    组织人员周敏（CQ-O-001）已说明理由接受取证环境的发现：买样" << (session.state == purchase::PurchaseState::complete ? "完整" : "仍不完整") << "\n";
  }
  if (session.state != purchase::PurchaseState::complete) return make_error(ErrorCode::internal, "demo", "演示买样没有完成（见上面列出的问题）");
  // Whose certificates a stamp is checked against: the demo's own TSA is only in <data>/tsa-trust.pem, which no check
  // trusts unless it is named (anyone who can write the data directory could put a CA there).
  {
    const runtime::TsaTrust by_default = context.runtime->tsa_trust();
    const runtime::TsaTrust named = context.runtime->tsa_trust((context.data_dir / "tsa-trust.pem").string());
    auto plain = unboxing::verify_recording_dir(session.recording_dir, by_default.file);
    auto checked = unboxing::verify_recording_dir(session.recording_dir, named.file);
    std::cout << "    时间戳核验，按默认的证书（" << by_default.source << "）："
              << (plain.ok() && plain->ok ? "通过" : "未通过——演示的时间戳服务不在其中，它的证书只在数据目录的 tsa-trust.pem 里") << "\n"
              << "    指明 --trust " << named.file.string() << "：" << (checked.ok() && checked->ok ? "通过" : "未通过") << "\n";
    for (const auto& note : named.notes) std::cout << "      ! " << note << "\n";
  }
  // The verify report as the reviewing agency gets it (the same as `netsample verify DIR --json`).
  const auto verify_report = context.data_dir / "reports" / (session.recording_dir.filename().string() + ".verify.json");
  std::filesystem::create_directories(verify_report.parent_path());
  NETSAMPLE_TRY(write_file_atomic(verify_report, session.verify.dump(2) + "\n"));

  step(6, kSteps, "商家发货，快递跟踪到签收（第32、36条）");
  NETSAMPLE_ASSIGN(unboxing::ParcelView parcel, demo::run_demo_delivery(demo_run, *world, number, session.last("order")->at));
  for (const auto& e : parcel.events) std::cout << "    " << format_beijing(e.time).substr(0, 19) << " +08:00  " << e.context << "\n";
  std::cout << "    任务状态：" << workflow::state_label(registry.show(number)->state) << "（下一步：拆封录像、确认、封样，第36–38条）\n";

  step(7, kSteps, "拆封录像与确认（第36条）：导入拆封视频，识别面单与任务运单比对，标记四个步骤，确认接收");
  NETSAMPLE_ASSIGN(json unboxed, demo::run_demo_unboxing(demo_run, *world, number, sampler, parcel.parcel.number));

  step(8, kSteps, "封样（第37、38条），网络抽样文书（第39条）补全，待发被抽样经营者");
  const json& sealed = unboxed["seal"];
  std::cout << "    检验样品封条 " << sealed["sealing"]["inspection"].value("seal_number", "") << "，备用样品封条 "
            << sealed["sealing"]["backup"].value("seal_number", "") << "（分别封样），备用样品暂存 " << sealed["sealing"].value("backup_storage", "")
            << "，保管人 " << sealed["sealing"].value("backup_keeper", "") << "\n";
  purchase::SamplingDocumentFiles document;
  document.pdf = sealed["document"].value("pdf", "");
  document.json = sealed["document"].value("json", "");
  document.draft = sealed["document"].value("draft", true);
  if (document.draft) return make_error(ErrorCode::internal, "demo", "封样后抽样文书仍是草稿");
  std::cout << "    PDF  " << document.pdf.string() << "（已封样，不再是草稿）\n    JSON " << document.json.string() << "\n";
  for (const auto& n : sealed["notices"])
    std::cout << "    待发通知 #" << n.value("id", 0) << "：" << n.value("kind", "") << "（第" << n.value("article", 0) << "条）→ " << n["recipients"].dump() << "，"
              << n.value("state", "") << "\n";
  std::cout << "    任务状态：" << workflow::state_label(registry.show(number)->state) << "\n";

  step(9, kSteps, "检验不合格，书面通知送达（第51、52、74条）：webhook 签名与幂等键、电子邮件附 PDF、挂号信回执");
  NETSAMPLE_ASSIGN(json notices, demo::run_demo_notices(demo_run, *world, number));
  for (const auto& n : notices) {
    std::cout << "    #" << n.value("id", 0) << " " << n.value("kind", "") << "（第" << n.value("article", 0) << "条）：" << n.value("delivery_state", "") << "\n";
    for (const auto& d : n["deliveries"])
      std::cout << "        → " << d.value("party", "") << " " << d.value("channel", "") << "：" << d.value("state", "") << "，" << d.value("attempts", 0) << " 次"
                << (d["receipt"].is_object() && d["receipt"].contains("status") ? "，回执 " + std::to_string(d["receipt"].value("status", 0)) + " " + d["receipt"].value("time", "")
                                                                                  : "")
                << (d["receipt"].is_object() && d["receipt"].contains("received_date") ? "，收到 " + d["receipt"].value("received_date", "") : "") << "\n";
  }
  NETSAMPLE_ASSIGN(workflow::CaseView after, registry.show(number));
  for (const auto& d : after.deadlines)
    if (d.value("kind", "") == "objection" && d.value("status", "") == "open")
      std::cout << "    异议期（第52条）：自 " << d.value("from", "") << " 收到书面告知起 15 日，"
                << (d["due"].is_string() ? "届满 " + d["due"].get<std::string>() : "届满日无法确定：" + d.value("problem", "")) << "\n";

  step(10, kSteps, "证据按 SHA-256 存放，读取时重新校验");
  NETSAMPLE_ASSIGN(std::vector<store::EvidenceItem> items, context.runtime->store().list_evidence(number));
  std::uint64_t total = 0;
  for (const auto& item : items) {
    NETSAMPLE_TRY(context.runtime->store().evidence().verify(item.sha256));
    total += static_cast<std::uint64_t>(item.size);
  }
  std::cout << "    本任务证据 " << items.size() << " 件（买样录像、片段日志、事件日志、清单、时间戳、静帧、拆封视频、封条照片、抽样文书），共 " << total / 1024 << " KiB，逐件重新计算 SHA-256 一致\n";
  for (const auto& item : items)
    if (item.kind == "recording" || item.kind == "manifest" || item.kind == "sampling_document" || item.kind == "unboxing_video" || item.kind == "seal_photo" || item.kind == "notice_document")
      std::cout << "    #" << item.id << " " << item.kind << " " << item.name << "  SHA-256 " << item.sha256 << "\n";

  step(11, kSteps, "保存期限（第47条）：6 年内不得删除");
  Status early = registry.remove(number, context.actor);
  if (early.ok()) return make_error(ErrorCode::internal, "demo", "第47条检查没有拒绝删除新建的任务");
  refused(early.error());

  step(12, kSteps, "法定期限（第75条）：自然日，次日起算，末日遇法定节假日或休息日顺延");
  for (int days : {15, 60, 75}) {
    std::cout << "    自今天（" << format_date(today) << "）起 " << days << " 日"
              << (days == 15 ? "（异议期，第52条）" : days == 60 ? "（整改期，第65条）" : "（复查，第66条）") << "：";
    auto period = workflow::compute_period(context.runtime->calendar(), today, days, context.runtime->lifecycle_options().rule);
    if (!period.ok()) {  // never a guess: a year without its official calendar is said so
      std::cout << "无法确定 —— " << period.error().message << "\n";
      continue;
    }
    std::cout << "届满 " << format_date(period->due);
    for (const auto& skipped : period->skipped) std::cout << "，" << format_date(skipped.day) << " " << skipped.reason << "顺延";
    std::cout << "\n";
  }
  NETSAMPLE_ASSIGN(workflow::Period national_day, workflow::compute_period(context.runtime->calendar(), year{2026} / 9 / 22, 15, context.runtime->lifecycle_options().rule));
  std::cout << "    例：2026-09-22 收到告知，15 日异议期的名义末日 " << format_date(national_day.nominal_end) << " 是国庆节，届满日 "
            << format_date(national_day.due) << "\n";

  step(13, kSteps, "审计日志：每一次改动都在哈希链上（netsample audit verify）");
  NETSAMPLE_ASSIGN(auto rows, context.runtime->store().audit().records(number));
  for (size_t i = 0; i < rows.size();) {
    size_t run = i + 1;  // consecutive rows of one action on one line
    while (run < rows.size() && rows[run].action == rows[i].action) ++run;
    std::cout << "    #" << rows[i].seq << (run - i > 1 ? "–#" + std::to_string(rows[run - 1].seq) : "") << "  " << format_beijing(rows[i].at) << "  "
              << rows[i].action << (run - i > 1 ? " ×" + std::to_string(run - i) : "") << "  " << rows[run - 1].hash.substr(0, 16) << "…\n";
    i = run;
  }
  if (verify_audit(context) != 0) return make_error(ErrorCode::integrity, "audit", "审计校验未通过");

  std::cout << "\n演示完成。\n    录像      " << session.recording_dir.string() << "\n    校验报告  " << verify_report.string()
            << "\n    抽样文书  " << document.pdf.string() << "\n可继续试试：\n"
            << "    " << context.program << " --data " << context.data_dir.string() << " case show " << number << "\n"
            << "    " << context.program << " --data " << context.data_dir.string() << " audit log --case " << number << "\n"
            << "    " << context.program << " --data " << context.data_dir.string() << " audit verify\n"
            << "    " << context.program << " --data " << context.data_dir.string() << " purchase show " << number << "\n"
            << "    " << context.program << " --data " << context.data_dir.string() << " unbox show " << number << "\n"
            << "    " << context.program << " --data " << context.data_dir.string() << " notices list --case " << number << "\n"
            << "    " << context.program << " --data " << context.data_dir.string() << " verify " << session.recording_dir.string() << " --trust "
            << (context.data_dir / "tsa-trust.pem").string() << "\n"
            << "    " << context.program << " --data " << context.data_dir.string() << " export " << number << " --out " << number << ".zip"
            << "    （证据包；" << context.program << " verify " << number << ".zip 离线核验）\n"
            << "    " << context.program << " --data " << context.data_dir.string() << " serve    （HTTP 服务；账号：account add，令牌：token create）\n";
  // A sign-in for each role, so the web UI can be tried on this case at once (`bash setup.sh demo` serves it next).
  accounts::Accounts accounts(context.runtime->store());
  std::cout << "\n网页登录（每个角色一个账号；密码只显示这一次）：\n";
  const std::pair<const char*, const char*> sign_ins[] = {{"CQ-R-001", "审看人员"}, {"CQ-O-001", "组织人员"}, {"CQ-L-001", "检验人员（实验室）"},
                                                        {"YB-D-001", "区县局"}, {"", "抽样人员"}};
  for (const auto& [person, role] : sign_ins) {
    const std::string login = *person ? person : sampler;
    auto issued = accounts.add_person(login, false, context.actor);
    if (!issued.ok()) {  // a second demo on the same directory: the account is there, its password was shown before
      std::cout << "    " << role << "  " << login << "  （账号已存在）\n";
      continue;
    }
    std::cout << "    " << role << "  账号 " << login << "  密码 " << issued->secret << "\n";
  }
  // The platform sees only what was published or sent to it (Art 62).
  if (auto platform = accounts.add_party("demo-shop", context.actor); platform.ok())
    std::cout << "    电商平台  账号 party:demo-shop  密码 " << platform->secret << "\n";
  else
    std::cout << "    电商平台  party:demo-shop  （账号已存在）\n";
  return {};
}

}  // namespace

void add_demo_command(CLI::App& app, Context& context, int& exit_code) {
  auto* demo = app.add_subcommand("demo", "演示：名册、随机选派、抽检分离、录像买样（第35条）、快递跟踪、拆封确认（第36条）、封样与抽样文书（第37–39条）、书面通知送达（第51–52条）、证据、期限、审计");
  auto without_page_capture = std::make_shared<bool>(false);
  demo->add_flag("--without-page-capture", *without_page_capture, "买样时网页不以 WARC 保存（只用于 bench/station_bench.sh 对比录制开销）");
  demo->callback([&, without_page_capture] { exit_code = run_command(context, [&] { return run_demo(context, !*without_page_capture); }); });
}

}  // namespace netsample::app
