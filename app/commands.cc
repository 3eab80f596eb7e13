#include "commands.h"

#include <iomanip>
#include <iostream>
#include <sstream>

#include "netsample/notices/parties.h"
#include "netsample/spreadsheet/spreadsheet.h"
#include "netsample/unboxing/session.h"
#include "netsample/workflow/calendar.h"
#include "netsample/workflow/cases.h"
#include "netsample/workflow/plan.h"
#include "netsample/workflow/roster.h"

namespace netsample::app {
namespace {

using nlohmann::json;
using workflow::CaseRegistry;
using workflow::CaseView;

// Puts what a page gave at its plan path (product.name) in the case file's JSON, unless the file says it: true
// when filled. A step through a value that is no object (the file's "product": "x") is an error naming it.
Result<bool> fill_from_page(json& root, const std::string& path, const json& value) {
  json* at = &root;
  std::string walked, key;
  std::istringstream steps(path);
  while (std::getline(steps, key, '.')) {
    if (at->is_null()) *at = json::object();
    if (!at->is_object())
      return make_error(ErrorCode::wrong_type, walked.empty() ? "--file" : walked, "须为 JSON 对象：从页面读取的 " + path + " 要填入其中");
    walked += (walked.empty() ? "" : ".") + key;
    if (steps.peek() == std::char_traits<char>::eof()) break;
    at = &(*at)[key];
  }
  if (at->contains(key)) return false;
  (*at)[key] = value;
  return true;
}

std::string level_text(const std::string& level) { return level == "city" ? "市级监督抽查" : "区县级监督抽查"; }
std::string plan_text(const std::string& plan) { return plan == "routine" ? "日常监督抽查" : "专项监督抽查"; }
std::string role_text(const std::string& role) {
  if (role == "sampler") return "抽样人员";
  if (role == "tester") return "检验人员";
  if (role == "organizer") return "组织人员";
  if (role == "district") return "区县局结果处理";
  if (role == "reviewer") return "审看人员";
  return role;
}
std::string short_hash(const std::string& hash) { return hash.substr(0, 16) + "…"; }

std::string people_text(const CaseView& view, const std::string& role) {
  std::string text;
  for (const auto& a : view.people)
    if (a.role == role) text += (text.empty() ? "" : "、") + a.name + "（" + a.person_id + "）";
  return text.empty() ? "（未指派）" : text;
}

}  // namespace

void print_case_line(const CaseView& view) {
  std::cout << view.record.number << "  " << view.state << "  " << view.record.product_name << " / "
            << view.record.trademark << " / " << view.record.model << "  " << view.record.shop_name << "  "
            << format_beijing(view.created) << "\n";
}

void print_case(const CaseView& view, const workflow::PlatformRegistry& platforms) {
  const auto& r = view.record;
  const workflow::Platform* platform = platforms.find(r.platform);
  std::cout << "抽样任务 " << r.number << "    状态：" << view.state << "\n"
            << "  组织：" << r.organizer << "，" << level_text(r.level) << "，" << plan_text(r.plan_kind) << "（第4、5条）\n"
            << "  产品：" << r.product_name << "    商标：" << r.trademark << "    型号规格：" << r.model << "\n"
            << "  类别：" << r.category << "    依据标准：" << r.standard << "\n"
            << "  平台：" << (platform ? platform->name : r.platform) << "（" << r.platform << "）    店铺：" << r.shop_name << "\n";
  if (r.shop_url) std::cout << "  店铺网址：" << *r.shop_url << "\n";
  if (r.listing_url) std::cout << "  商品链接：" << *r.listing_url << "\n";
  std::cout << "  经营者：" << r.operator_party.name << "（" << r.operator_party.address << "）\n"
            << "  标称生产者：" << r.producer.name << "（" << r.producer.address << "）\n"
            << "  样品数量：检验样品 " << r.inspection_qty << "，备用样品 " << r.backup_qty << "\n"
            << "  抽样人员：" << people_text(view, "sampler");
  if (view.draw) std::cout << "    随机选派（第20条）：种子 " << view.draw->seed << "，候选 " << view.draw->candidates.size() << " 人";
  std::cout << "\n  检验人员：" << people_text(view, "tester") << (r.onsite_testing ? "（现场检验，第16条例外）" : "") << "\n"
            << "  创建：" << format_beijing(view.created) << "    更新：" << format_beijing(view.updated) << "\n"
            << "  审计记录：" << view.audit_rows << " 条\n";
  bool any_open = false;
  for (const auto& d : view.deadlines) {
    if (d["status"] != "open") continue;
    if (!any_open) std::cout << "  期限：\n";
    any_open = true;
    std::cout << "    " << workflow::deadline_label(d["kind"]) << "（第" << d["article"] << "条）自 " << d["from"].get<std::string>() << " 起 "
              << d["amount"] << (d["unit"] == "days" ? " 日" : d["unit"] == "months" ? " 个月" : " 年") << "，届满 "
              << (d["due"].is_string() ? d["due"].get<std::string>() : "无法确定（" + (d["problem"].is_string() ? d["problem"].get<std::string>() : std::string()) + "）")
              << (d["earliest"].is_string() ? "（不早于 " + d["earliest"].get<std::string>() + "）" : "") << "\n";
  }
  if (!view.notices.empty()) std::cout << "  应送达的书面通知：\n";
  for (const auto& n : view.notices) {
    std::string to;
    for (const auto& r : n["recipients"]) to += (to.empty() ? "" : "、") + workflow::recipient_label(r);
    std::cout << "    " << workflow::notice_label(n["kind"]) << "（第" << n["article"] << "条）→ " << to << "  "
              << (n["state"] == "pending" ? "待送达" : n["state"].get<std::string>()) << "\n";
  }
}

void print_history(const std::vector<workflow::EventView>& events) {
  if (events.empty()) return;
  std::cout << "  经过：\n";
  for (const auto& e : events)
    std::cout << "    " << format_beijing(e.at) << "  " << e.event << "  " << e.from << " → " << e.to << "  " << e.actor << "（第" << e.articles << "条）\n";
}

void add_case_commands(CLI::App& app, Context& context, int& exit_code) {
  CLI::App* cases = app.add_subcommand("case", "抽样任务：创建、查看、流程事件、指派检验人员、删除");
  cases->require_subcommand(1);

  auto* create = cases->add_subcommand("create", "从 JSON 文件（或商品页面）创建抽样任务，并随机选派抽样人员（第20条）");
  static std::string create_file, from_listing, licence_page;
  static bool confirmed = false;
  create->add_option("--file", create_file, "任务文件（JSON）；与 --from-listing 同用时，文件中的值优先");
  create->add_option("--from-listing", from_listing, "从商品页面读取商标、型号、生产者等（抓取并保存为 WARC，并做购买前核对）");
  create->add_option("--licence-page", licence_page, "同时抓取店铺证照页，读取经营者名称和住所（证照图片经 OCR）");
  create->add_flag("--confirm", confirmed, "与 --from-listing 同用：核对预填的任务后确认创建（不加则只显示预填结果）");
  create->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      json root = json::object();
      if (!create_file.empty()) {
        NETSAMPLE_ASSIGN(root, read_json_file(create_file));
      } else if (from_listing.empty()) {
        return make_error(ErrorCode::missing_field, "--file", "须给出任务文件（--file）或商品页面（--from-listing）");
      }
      if (!from_listing.empty()) {
        // The pages read and checked first; what they give fills what the file does not say.
        listing::CrawlRequest request;
        request.url = from_listing;
        if (!licence_page.empty()) request.also = {licence_page};
        request.actor = context.actor;
        if (root.contains("platform") && root["platform"].is_string()) request.platform = root["platform"];
        NETSAMPLE_ASSIGN(listing::CrawlOutcome outcome, context.runtime->pages().crawl(request));
        if (auto failure = outcome.failure()) return *failure;
        std::vector<std::string> filled;
        const json from_pages = listing::case_fields(outcome);  // kept: items() of a temporary would dangle
        for (const auto& [path, value] : from_pages.items()) {
          NETSAMPLE_ASSIGN(bool from_page, fill_from_page(root, path, value));
          if (from_page) filled.push_back(path);
        }
        if (!confirmed) {
          // The organizer confirms: the draft, what came from the pages, and the checks before buying.
          json draft = {{"case", root}, {"from_pages", filled}, {"checks", json::array()}, {"warc", outcome.warc.string()}};
          for (const auto& c : outcome.checks) draft["checks"].push_back(c.to_json());
          if (context.json) {
            print_json(draft);
          } else {
            std::cout << root.dump(2) << "\n从页面填入：";
            for (const auto& f : filled) std::cout << f << " ";
            std::cout << "\n购买前核对：\n";
            for (const auto& c : outcome.checks) std::cout << "  第" << c.article << "条 " << c.result << "：" << c.reason << "\n";
            std::cout << "核对无误后加 --confirm 创建；或把上面的 JSON 存为文件修改后用 --file 创建。\n";
          }
          return {};
        }
      }
      NETSAMPLE_ASSIGN(workflow::CaseRequest request, workflow::parse_case(root, context.runtime->platforms()));
      CaseRegistry& registry = context.runtime->cases();
      NETSAMPLE_ASSIGN(CaseView view, registry.create(request, context.actor));
      if (context.json) print_json(view.to_json());
      else {
        std::cout << "已创建抽样任务 " << view.record.number << "\n";
        print_case(view, context.runtime->platforms());
      }
      return {};
    });
  });

  auto* import = cases->add_subcommand("import", "从抽查计划表（CSV 或 XLSX，一行一个任务）创建多个抽样任务：有一处问题则一个也不创建");
  static std::string import_file;
  static bool import_dry_run = false;
  import->add_option("--file", import_file, "计划表（第 1 行为列名；模板见 web 界面或 GET /api/cases/plan-template.csv）")->required();
  import->add_flag("--dry-run", import_dry_run, "只检查（连同数据库中的编号、第22条、名册），不创建");
  import->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      NETSAMPLE_ASSIGN(spreadsheet::Table table, spreadsheet::read_table(import_file));
      workflow::PlanOptions options;
      options.actor = context.actor;
      options.dry_run = import_dry_run;
      // --as an organizer: an empty organizer column means that person's unit, as in the web UI.
      NETSAMPLE_ASSIGN(std::optional<workflow::Person> importer, workflow::Roster(context.runtime->store()).find(context.actor));
      if (importer) options.default_organizer = importer->org;
      NETSAMPLE_ASSIGN(workflow::PlanImport result,
                       workflow::import_plan(context.runtime->cases(), context.runtime->platforms(), table.rows, options));
      if (!result.problems.empty()) {
        for (const auto& p : result.problems) std::cerr << p.describe() << "\n";
        return make_error(ErrorCode::invalid_input, "file",
                          "计划表中有 " + std::to_string(result.problems.size()) + " 处问题，未创建任何任务");
      }
      const auto& cases_done = import_dry_run ? result.checked : result.created;
      if (context.json) {
        json out = json::array();
        for (const auto& view : cases_done) out.push_back(view.to_json());
        print_json(out);
        return {};
      }
      std::cout << (import_dry_run ? "检查通过，可创建 " : "已创建 ") << cases_done.size() << " 个抽样任务" << (import_dry_run ? "（未保存）" : "") << "\n";
      for (const auto& view : cases_done) print_case_line(view);
      return {};
    });
  });

  auto* list = cases->add_subcommand("list", "列出抽样任务");
  list->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      CaseRegistry& registry = context.runtime->cases();
      NETSAMPLE_ASSIGN(std::vector<CaseView> views, registry.list());
      if (context.json) {
        json out = json::array();
        for (const auto& view : views) out.push_back(view.to_json());
        print_json(out);
      } else {
        if (views.empty()) std::cout << "（还没有抽样任务）\n";
        for (const auto& view : views) print_case_line(view);
      }
      return {};
    });
  });

  auto* show = cases->add_subcommand("show", "查看一个抽样任务");
  static std::string show_number;
  show->add_option("ID", show_number, "任务编号")->required();
  show->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      CaseRegistry& registry = context.runtime->cases();
      NETSAMPLE_ASSIGN(CaseView view, registry.show(show_number));
      workflow::Lifecycle& lifecycle = context.runtime->lifecycle();
      NETSAMPLE_ASSIGN(std::vector<workflow::EventView> events, lifecycle.history(show_number));
      if (context.json) {
        nlohmann::json out = view.to_json();
        out["state_label"] = workflow::state_label(view.state);
        out["history"] = nlohmann::json::array();
        for (const auto& e : events)
          out["history"].push_back(e.to_json());
        print_json(out);
        return {};
      }
      print_case(view, context.runtime->platforms());
      print_history(events);
      if (!context.actor.starts_with("os:")) {  // --as given: what this person can do next
        NETSAMPLE_ASSIGN(auto next, lifecycle.available_events(show_number, context.actor));
        std::cout << "  " << context.actor << " 在此状态可执行（条件在执行时核对）：";
        if (next.empty()) std::cout << "（无）";
        for (const auto* t : next) std::cout << "\n    " << t->event << "  " << t->label;
        std::cout << "\n";
      }
      return {};
    });
  });

  auto* assign = cases->add_subcommand("assign", "指派检验人员（抽检分离，第16条）、审看人员，或负责结果处理的区县局（第63条）");
  static std::string assign_number, assign_tester, assign_reviewer, assign_district;
  assign->add_option("ID", assign_number, "任务编号")->required();
  assign->add_option("--tester", assign_tester, "检验人员编号");
  assign->add_option("--reviewer", assign_reviewer, "审看人员编号（审看本任务的录像）");
  assign->add_option("--district", assign_district, "负责结果处理的区县局（名册中的单位编号）");
  assign->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      if (int(!assign_tester.empty()) + int(!assign_reviewer.empty()) + int(!assign_district.empty()) != 1)
        return make_error(ErrorCode::invalid_input, "tester", "须给出 --tester、--reviewer、--district 之一");
      CaseRegistry& registry = context.runtime->cases();
      if (!assign_tester.empty()) {
        NETSAMPLE_TRY(registry.assign_tester(assign_number, assign_tester, context.actor));
        std::cout << "已指派检验人员 " << assign_tester << " 到抽样任务 " << assign_number << "\n";
      } else if (!assign_reviewer.empty()) {
        NETSAMPLE_TRY(registry.assign_reviewer(assign_number, assign_reviewer, context.actor));
        std::cout << "已指派审看人员 " << assign_reviewer << " 审看抽样任务 " << assign_number << " 的录像\n";
      } else {
        NETSAMPLE_TRY(registry.assign_district(assign_number, assign_district, context.actor));
        std::cout << "抽样任务 " << assign_number << " 的结果处理由 " << assign_district << " 负责（第63条）\n";
      }
      return {};
    });
  });

  auto* event = cases->add_subcommand("event", "对任务执行一个流程事件（netsample lifecycle 列出全部事件）；须用 --as 指明操作人员");
  static std::string event_number, event_name, event_file;
  event->add_option("ID", event_number, "任务编号")->required();
  event->add_option("EVENT", event_name, "事件，如 seal、report_nonconforming")->required();
  event->add_option("--file", event_file, "事件字段（JSON 对象）");
  event->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      nlohmann::json fields = nlohmann::json::object();
      if (!event_file.empty()) {
        NETSAMPLE_ASSIGN(fields, read_json_file(event_file));
      }
      workflow::Lifecycle& lifecycle = context.runtime->lifecycle();
      NETSAMPLE_ASSIGN(std::string state, lifecycle.apply_event(event_number, event_name, fields, context.actor));
      CaseRegistry& registry = context.runtime->cases();
      NETSAMPLE_ASSIGN(CaseView view, registry.show(event_number));
      if (context.json) {
        print_json({{"case", event_number}, {"event", event_name}, {"state", state}, {"state_label", workflow::state_label(state)},
                    {"deadlines", view.deadlines}, {"notices", view.notices}});
        return {};
      }
      std::cout << "任务 " << event_number << "：" << event_name << " → " << state << "（" << workflow::state_label(state) << "）\n";
      return {};
    });
  });

  auto* remove = cases->add_subcommand("delete", "删除抽样任务（保存期满 6 年后，第47条）");
  static std::string remove_number;
  remove->add_option("ID", remove_number, "任务编号")->required();
  remove->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      CaseRegistry& registry = context.runtime->cases();
      NETSAMPLE_TRY(registry.remove(remove_number, context.actor));
      std::cout << "已删除抽样任务 " << remove_number << "（删除记录保留在审计日志中）\n";
      return {};
    });
  });
}

void add_roster_commands(CLI::App& app, Context& context, int& exit_code) {
  CLI::App* roster = app.add_subcommand("roster", "人员名册：抽样人员、检验人员等");
  roster->require_subcommand(1);

  auto* add = roster->add_subcommand("add", "从 JSON 文件加入或更新人员");
  static std::string add_file;
  add->add_option("--file", add_file, "名册文件（JSON）")->required();
  add->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      NETSAMPLE_ASSIGN(json root, read_json_file(add_file));
      NETSAMPLE_ASSIGN(std::vector<workflow::Person> people, workflow::parse_people(root));
      workflow::Roster& roster_db = context.runtime->roster();
      NETSAMPLE_ASSIGN(workflow::RosterChange change, roster_db.add(people, context.actor));
      std::cout << "名册：新增 " << change.added << " 人，更新 " << change.updated << " 人，未变 " << change.unchanged << " 人\n";
      return {};
    });
  });

  auto* list = roster->add_subcommand("list", "列出名册");
  list->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      workflow::Roster& roster_db = context.runtime->roster();
      NETSAMPLE_ASSIGN(std::vector<workflow::Person> people, roster_db.list());
      if (context.json) {
        json out = json::array();
        for (const auto& person : people) out.push_back(person.to_json());
        print_json(out);
        return {};
      }
      if (people.empty()) std::cout << "（名册为空）\n";
      for (const auto& person : people) {
        std::string roles;
        for (const auto& role : person.roles) roles += (roles.empty() ? "" : "、") + role_text(role);
        std::cout << person.id << "  " << person.name << "  " << person.org << "  " << roles << (person.active ? "" : "  （不在岗）") << "\n";
      }
      return {};
    });
  });
}

void add_evidence_commands(CLI::App& app, Context& context, int& exit_code) {
  CLI::App* evidence = app.add_subcommand("evidence", "证据文件：按 SHA-256 存放，读取时校验");
  evidence->require_subcommand(1);

  auto* add = evidence->add_subcommand("add", "把文件存为某任务的证据");
  static std::string add_case, add_kind = "document";
  static std::vector<std::string> add_files;
  add->add_option("--case", add_case, "任务编号")->required();
  add->add_option("--kind", add_kind, "类别：document、recording、still、manifest、token …");
  add->add_option("FILE", add_files, "文件")->required()->check(CLI::ExistingFile);
  add->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      CaseRegistry& registry = context.runtime->cases();
      NETSAMPLE_ASSIGN(CaseView view, registry.show(add_case));
      for (const auto& file : add_files) {
        NETSAMPLE_ASSIGN(store::EvidenceItem item, context.runtime->store().add_evidence(view.id, view.record.number, file, add_kind, context.actor));
        std::cout << "证据 #" << item.id << "  " << item.name << "  " << item.size << " 字节  SHA-256 " << item.sha256 << "\n";
      }
      return {};
    });
  });

  auto* list = evidence->add_subcommand("list", "列出证据");
  static std::string list_case;
  list->add_option("--case", list_case, "只列此任务的证据");
  list->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      NETSAMPLE_ASSIGN(auto items, context.runtime->store().list_evidence(list_case.empty() ? std::nullopt : std::optional(list_case)));
      json out = json::array();
      for (const auto& item : items) {
        out.push_back({{"id", item.id}, {"case", item.case_number}, {"sha256", item.sha256}, {"size", item.size},
                       {"kind", item.kind}, {"name", item.name}, {"added", format_iso8601_beijing(item.added)}});
        if (!context.json)
          std::cout << "#" << item.id << "  " << item.case_number << "  " << item.kind << "  " << item.name << "  " << item.size
                    << " 字节  " << short_hash(item.sha256) << "  " << format_beijing(item.added) << "\n";
      }
      if (context.json) print_json(out);
      else if (items.empty()) std::cout << "（没有证据）\n";
      return {};
    });
  });

  auto* verify = evidence->add_subcommand("verify", "重新计算每件证据文件的 SHA-256");
  verify->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      NETSAMPLE_ASSIGN(auto items, context.runtime->store().list_evidence(std::nullopt));
      json failures = json::array();
      for (const auto& item : items) {
        Status ok = context.runtime->store().evidence().verify(item.sha256);
        if (!ok.ok()) {
          failures.push_back({{"id", item.id}, {"case", item.case_number}, {"sha256", item.sha256}, {"problem", ok.error().message}});
          if (!context.json) std::cout << "✗ 证据 #" << item.id << "（" << item.case_number << "）：" << ok.error().message << "\n";
        }
      }
      if (context.json) print_json({{"intact", failures.empty()}, {"checked", items.size()}, {"failures", failures}});
      else if (failures.empty()) std::cout << "✓ " << items.size() << " 件证据文件的 SHA-256 全部相符\n";
      if (failures.empty()) return {};
      return make_error(ErrorCode::integrity, "evidence", std::to_string(failures.size()) + " 件证据文件校验失败");
    });
  });

  auto* renew = evidence->add_subcommand("renew", "录像时间戳的长期验证（第47条，保存 6 年）：保存证书链与吊销状态，证书到期前加存档时间戳");
  static std::string renew_case, renew_trust;
  static std::vector<std::string> renew_tsa;
  static bool renew_force = false;
  renew->add_option("--case", renew_case, "只处理此任务的录像");
  renew->add_option("--tsa", renew_tsa, "时间戳服务地址（可多个，用第一个应答的）；不给则只保存验证材料、报告是否到期");
  renew->add_option("--trust", renew_trust, "时间戳服务的 CA 证书（PEM）；默认 /etc/netsample/tsa-trust.pem，否则系统 CA");
  renew->add_flag("--force", renew_force, "未到期也续期");
  renew->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      if (!renew_trust.empty()) context.runtime->set_tsa_trust(renew_trust);
      NETSAMPLE_ASSIGN(runtime::RenewReport report,
                       context.runtime->renew_evidence(renew_case.empty() ? std::nullopt : std::optional(renew_case), renew_tsa, renew_force, context.actor));
      json out = json::array();
      for (const auto& t : report.tokens) {
        out.push_back({{"case", t.case_number}, {"recording", t.recording.string()}, {"file", t.token.file}, {"done", t.token.done},
                       {"error", t.token.error}, {"long_term", t.token.after ? t.token.after->to_json() : json()}});
        if (!context.json)
          std::cout << (t.token.error.empty() ? (t.due() ? "! " : "✓ ") : "✗ ") << t.case_number << "  " << t.recording.filename().string() << "/"
                    << t.token.file << "：" << (t.token.error.empty() ? t.token.done : t.token.error) << "\n";
      }
      if (context.json) print_json({{"trust", report.trust.to_json()}, {"tokens", out}, {"failures", report.failures}, {"renewal_due", report.due}});
      else {
        std::cout << "核验证书：" << report.trust.source << "\n";
        for (const auto& note : report.trust.notes) std::cout << "注意：" << note << "\n";
        if (out.empty()) std::cout << "（没有录像时间戳）\n";
        if (report.due > 0 && renew_tsa.empty()) std::cout << report.due << " 个时间戳须续期：netsample evidence renew --tsa 地址\n";
      }
      if (report.failures > 0)
        return make_error(ErrorCode::integrity, "evidence", std::to_string(report.failures) + " 个时间戳未能保存验证材料或续期");
      return {};
    });
  });

  auto* remove = evidence->add_subcommand("delete", "删除一件证据（保存期满 6 年后，第47条）");
  static std::int64_t remove_id = 0;
  remove->add_option("ID", remove_id, "证据编号")->required();
  remove->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      NETSAMPLE_TRY(context.runtime->store().delete_evidence(remove_id, context.actor));
      std::cout << "已删除证据 #" << remove_id << "\n";
      return {};
    });
  });
}

int verify_audit(Context& context) {
  Status opened = context.open();
  if (!opened.ok()) return report(context, opened.error());
  auto checked = context.runtime->verify_audit();
  if (!checked.ok()) return report(context, checked.error());
  const runtime::AuditReport& audit = *checked;
  const store::ChainReport& chain = audit.chain;
  if (context.json) {
    print_json(audit.to_json());
  } else {
    if (chain.intact)
      std::cout << "✓ 审计链完整：共 " << chain.rows << " 条记录，末条 #" << chain.head.seq << " 哈希 " << short_hash(chain.head.hash)
                << "，与见证一致\n";
    else
      std::cout << "✗ 审计链被破坏" << (chain.first_bad_seq > 0 ? "（第 " + std::to_string(chain.first_bad_seq) + " 条）" : "")
                << "：" << chain.problem << "\n";
    if (audit.records.intact)
      std::cout << "✓ 案件及其事件、人员、证据、买样、快递轨迹、拆封、通知文书与送达回执、收件方记录与审计记录一致：" << audit.records.cases_checked << " 个任务，" << audit.records.people_checked
                << " 名人员，" << audit.parties_checked << " 个收件方\n";
    for (const auto& problem : audit.records.problems) std::cout << "✗ " << problem << "\n";
    for (const auto& c : audit.stamps)
      if (c.ok)
        std::cout << "✓ 时间戳 " << c.stamp.tsa_url << " " << format_iso8601_beijing(c.stamp.stamped) << " 证明第 " << c.stamp.head.seq << " 条未变\n";
      else
        std::cout << "✗ " << c.problem << "\n";
    if (!audit.stamps.empty()) std::cout << "  时间戳核验所用证书：" << audit.trust_source << "\n";
    if (const std::string gap = audit.stamp_gap(); !gap.empty()) std::cout << "! " << gap << "\n";
    if (!audit.stamp_renewal.empty()) std::cout << "! " << audit.stamp_renewal << "\n";
  }
  return audit.intact() ? 0 : exit_code_for(ErrorCode::integrity);
}

void add_audit_commands(CLI::App& app, Context& context, int& exit_code) {
  CLI::App* audit = app.add_subcommand("audit", "审计日志：哈希链校验与查看");
  audit->require_subcommand(1);

  static std::string audit_trust;
  auto* verify = audit->add_subcommand("verify", "重新计算哈希链，核对案件与人员数据，核验链头的时间戳；完整时退出码为 0");
  verify->add_option("--trust", audit_trust, "时间戳服务的 CA 证书（PEM）；默认 /etc/netsample/tsa-trust.pem，否则系统 CA");
  verify->callback([&] {
    Status opened = context.open();
    if (!opened.ok()) {
      exit_code = report(context, opened.error());
      return;
    }
    if (!audit_trust.empty()) context.runtime->set_tsa_trust(audit_trust);
    exit_code = verify_audit(context);
  });

  static std::vector<std::string> stamp_tsa;
  auto* stamp = audit->add_subcommand("stamp", "请时间戳服务为审计链头盖章（RFC 3161）：此后连同见证一起改写整条链也能被发现");
  stamp->add_option("--tsa", stamp_tsa, "时间戳服务地址，可多个（每个都盖）")->required();
  static std::string stamp_trust;
  stamp->add_option("--trust", stamp_trust, "时间戳服务的 CA 证书（PEM），据此保存证书链与吊销状态；默认 /etc/netsample/tsa-trust.pem，否则系统 CA");
  stamp->callback([&] {
    int failed = 0;
    exit_code = run_command(context, [&]() -> Status {
      if (!stamp_trust.empty()) context.runtime->set_tsa_trust(stamp_trust);
      NETSAMPLE_ASSIGN(auto outcomes, context.runtime->stamp_audit_head(stamp_tsa, context.actor));
      json out = json::array();
      for (const auto& o : outcomes) {
        failed += !o.ok;
        out.push_back({{"tsa", o.tsa_url}, {"ok", o.ok}, {"seq", o.head.seq}, {"hash", o.head.hash},
                       {"stamped", o.stamped ? json(format_iso8601_beijing(*o.stamped)) : json(nullptr)}, {"error", o.error.empty() ? json(nullptr) : json(o.error)},
                       {"note", o.note.empty() ? json(nullptr) : json(o.note)}});
        if (context.json) continue;
        if (o.ok) std::cout << "✓ " << o.tsa_url << "：第 " << o.head.seq << " 条（" << short_hash(o.head.hash) << "）盖章于 " << format_iso8601_beijing(*o.stamped) << "\n";
        if (!o.note.empty()) std::cout << "! " << o.tsa_url << "：" << o.note << "（证书到期后此时间戳只能按今天的时间核验）\n";
        else std::cout << "✗ " << o.tsa_url << "：未能盖章（" << o.error << "）；稍后重试，在此之前 audit verify 会指出链头未盖章\n";
      }
      if (context.json) print_json({{"stamps", out}});
      return Status{};
    });
    // Every TSA failed: nothing new anchors the head.
    if (exit_code == 0 && failed == static_cast<int>(stamp_tsa.size())) exit_code = exit_code_for(ErrorCode::network);
  });

  auto* log = audit->add_subcommand("log", "查看审计记录");
  static std::string log_case;
  log->add_option("--case", log_case, "只看此任务");
  log->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      NETSAMPLE_ASSIGN(auto rows, context.runtime->store().audit().records(log_case.empty() ? std::nullopt : std::optional(log_case)));
      json out = json::array();
      for (const auto& row : rows) {
        if (context.json) {
          out.push_back(store::to_json(row));
        } else {
          std::cout << "#" << std::left << std::setw(5) << row.seq << format_beijing(row.at) << "  " << std::setw(22) << row.action
                    << row.case_number.value_or("-") << "  " << row.actor << "  " << short_hash(row.hash) << "\n";
        }
      }
      if (context.json) print_json(out);
      return {};
    });
  });
}

void add_storage_command(CLI::App& app, Context& context, int& exit_code) {
  auto* storage = app.add_subcommand("storage", "证据存放处（--evidence）：本机文件夹或 S3 兼容对象存储");
  storage->require_subcommand(1);
  auto* init = storage->add_subcommand("init", "准备 --evidence 给出的存放处：S3 存储桶以对象锁定（COMPLIANCE，6 年，第47条）建立，已有的存储桶不变");
  init->callback([&] {
    // Not run_command: opening the data directory first would look for a bucket that does not exist yet.
    const Status done = [&]() -> Status {
      const SystemClock clock;
      NETSAMPLE_TRY(store::init_evidence_store(context.evidence, clock));
      NETSAMPLE_TRY(context.open());  // the data directory remembers the location from now on
      NETSAMPLE_ASSIGN(store::BlobStoreInfo info, context.runtime->store().evidence().info());
      if (context.json) print_json({{"location", info.location}, {"retention_locked", info.retention_locked}, {"protection", info.protection}});
      else std::cout << "证据存放：" << info.location << "\n  " << info.protection << "\n";
      return {};
    }();
    exit_code = done.ok() ? 0 : report(context, done.error());
  });
}

void add_info_command(CLI::App& app, Context& context, int& exit_code) {
  auto* info = app.add_subcommand("info", "数据目录、数据库结构版本与概况");
  info->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      store::Database& db = context.runtime->store().db();
      auto count = [&](const char* table) -> Result<std::int64_t> {
        NETSAMPLE_ASSIGN(store::Statement stmt, db.prepare(std::string("SELECT COUNT(*) FROM ") + table));
        NETSAMPLE_TRY(stmt.step());
        return stmt.int64(0);
      };
      NETSAMPLE_ASSIGN(std::int64_t cases, count("cases"));
      NETSAMPLE_ASSIGN(std::int64_t people, count("people"));
      NETSAMPLE_ASSIGN(std::int64_t evidence, count("evidence"));
      NETSAMPLE_ASSIGN(std::int64_t audit_rows, count("audit_log"));
      NETSAMPLE_ASSIGN(store::SchemaVersions schema, db.schema_versions());
      json out = {{"data_dir", std::filesystem::absolute(context.data_dir).lexically_normal().string()},
                        {"database", db.path().string()},
                        {"schema", schema},
                        {"schema_supported", store::Database::latest_schema_versions()},
                        {"cases", cases}, {"people", people}, {"evidence", evidence}, {"audit_rows", audit_rows}};
      NETSAMPLE_ASSIGN(store::BlobStoreInfo blobs, context.runtime->store().evidence().info());
      out["evidence_store"] = {{"location", blobs.location}, {"retention_locked", blobs.retention_locked}, {"protection", blobs.protection}};
      if (context.json) print_json(out);
      else
        std::cout << "数据目录：" << out["data_dir"].get<std::string>() << "\n数据库：" << out["database"].get<std::string>()
                  << "（" << out["schema"].size() << " 个模块的表结构均为最新）\n证据存放：" << blobs.location << "\n  " << blobs.protection
                  << "\n任务 " << cases << " 个，人员 " << people << " 名，证据 " << evidence << " 件，审计记录 " << audit_rows << " 条\n";
      return {};
    });
  });
}

void add_period_command(CLI::App& app, Context& context, int& exit_code) {
  auto* period = app.add_subcommand("period", "计算法定期间的最后一日（第75条：自然日，次日起算，末日遇节假日顺延）");
  static std::string from_text;
  static int days = 0;
  static bool strict = false;
  period->add_option("--from", from_text, "起算事件发生之日（当日不计入），YYYY-MM-DD")->required();
  period->add_option("--days", days, "期间天数（自然日）")->required();
  period->add_flag("--strict", strict, "只因法定节假日顺延（默认：法定节假日和普通休息日都顺延）");
  period->callback([&] {
    // Only the calendar is needed: the database is not opened.
    auto outcome = [&]() -> Result<workflow::Period> {
      NETSAMPLE_ASSIGN(CivilDate from, parse_date(from_text, "from"));
      NETSAMPLE_ASSIGN(workflow::Calendar calendar, workflow::Calendar::load(context.data_dir));
      return workflow::compute_period(calendar, from, days,
                                      strict ? workflow::PeriodRule::holidays_only : workflow::PeriodRule::rest_days_move);
    }();
    if (!outcome.ok()) {
      exit_code = report(context, outcome.error());
      return;
    }
    const workflow::Period& p = *outcome;
    if (context.json) {
      print_json(p.to_json());
      return;
    }
    std::cout << "自 " << format_date(p.from) << " 起 " << p.days << " 日（当日不计入）：名义末日 " << format_date(p.nominal_end) << "\n";
    for (const auto& s : p.skipped) std::cout << "  " << format_date(s.day) << " " << s.reason << "，顺延\n";
    for (const auto& s : p.uncertain) std::cout << "  " << format_date(s.day) << " " << s.reason << "\n";
    if (p.provisional)
      std::cout << "期间届满日（暂定）：" << format_date(p.due)
                << (p.due_latest == p.due ? std::string() : " 至 " + format_date(p.due_latest)) << (strict ? "（严格：仅法定节假日顺延）" : "")
                << "（第75条）\n  " << p.provisional_reason << "\n";
    else
      std::cout << "期间届满日：" << format_date(p.due) << (strict ? "（严格：仅法定节假日顺延）" : "") << "（第75条）\n";
  });
}

void add_calendar_command(CLI::App& app, Context& context, int& exit_code) {
  auto* calendar = app.add_subcommand("calendar", "节假日日历：已导入的国务院办公厅节假日安排，导入新一年的安排（第75条）");
  calendar->require_subcommand(1);
  auto* show = calendar->add_subcommand("show", "列出已导入的年份、依据的通知、确定到哪一天");
  show->callback([&] {
    auto loaded = workflow::Calendar::load(context.data_dir);
    if (!loaded.ok()) {
      exit_code = report(context, loaded.error());
      return;
    }
    const CivilDate today = beijing_date(SystemClock().now());
    const auto until = loaded->fixed_until();
    const auto warning = loaded->running_out(today);
    if (context.json) {
      nlohmann::json years = nlohmann::json::array();
      for (int y : loaded->years()) years.push_back({{"year", y}, {"source", loaded->source(y)}});
      print_json({{"years", years},
                  {"fixed_until", until ? nlohmann::json(format_date(*until)) : nlohmann::json(nullptr)},
                  {"statutory_table_until", loaded->last_statutory_year()},
                  {"warning", warning ? nlohmann::json(*warning) : nlohmann::json(nullptr)}});
    } else {
      for (int y : loaded->years()) std::cout << y << "  " << loaded->source(y) << "\n";
      std::cout << "确定到 " << (until ? format_date(*until) : std::string("（无）")) << "；此后按法定节假日推算暂定期限（农历日期表到 "
                << loaded->last_statutory_year() << " 年）\n";
      if (warning) std::cout << "! " << *warning << "\n";
    }
    exit_code = 0;
  });
  auto* add = calendar->add_subcommand("add", "导入一年（或几年）的节假日安排通知，并按其重算未届满的期限（审计记录）");
  static std::string file;
  add->add_option("--file", file, "calendar.json 格式的文件：years[].year、notice（通知标题或文号）、published（发布日期）、source、holidays、workdays")
      ->required();
  add->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      NETSAMPLE_ASSIGN(std::string text, read_file(file));
      NETSAMPLE_ASSIGN(auto changed, context.runtime->add_calendar(text, file, context.actor));
      const auto until = context.runtime->calendar().fixed_until();
      if (context.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& d : changed) out.push_back(d.to_json());
        print_json({{"fixed_until", until ? nlohmann::json(format_date(*until)) : nlohmann::json(nullptr)}, {"recomputed", out}});
        return {};
      }
      std::cout << "已导入 " << file << "；日历确定到 " << (until ? format_date(*until) : std::string("（无）")) << "\n";
      for (const auto& d : changed)
        std::cout << "  重算：" << d.case_number << " " << workflow::deadline_label(d.kind) << " 届满日 " << d.due.value_or("（仍无法确定）")
                  << (d.due_latest ? "（暂定，最晚 " + *d.due_latest + "）" : "") << "\n";
      if (changed.empty()) std::cout << "  没有期限因此改变\n";
      return {};
    });
  });
}

void add_deadlines_command(CLI::App& app, Context& context, int& exit_code) {
  auto* deadlines = app.add_subcommand("deadlines", "列出未届满的法定期限（按届满日排序），标出已逾期的");
  static std::string at_text, case_number;
  deadlines->add_option("--at", at_text, "以此日期判断是否逾期（YYYY-MM-DD，默认今天，北京时间）");
  deadlines->add_option("--case", case_number, "只列此任务");
  deadlines->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      CivilDate today = beijing_date(context.runtime->clock().now());
      if (!at_text.empty()) {
        NETSAMPLE_ASSIGN(today, parse_date(at_text, "at"));
      }
      workflow::Lifecycle& lifecycle = context.runtime->lifecycle();
      // The calendar may have gained a year or a correction since a deadline was stored (Art 75).
      NETSAMPLE_ASSIGN(auto recomputed, lifecycle.recompute_deadlines());
      NETSAMPLE_ASSIGN(auto list, lifecycle.deadlines(case_number.empty() ? std::nullopt : std::optional(case_number), today));
      // From 60 days before the loaded notices run out: which year to import.
      const auto warning = context.runtime->calendar().running_out(beijing_date(context.runtime->clock().now()));
      if (context.json) {
        nlohmann::json out = nlohmann::json::array(), changed = nlohmann::json::array();
        for (const auto& d : list) out.push_back(d.to_json());
        for (const auto& d : recomputed) changed.push_back(d.to_json());
        print_json({{"at", format_date(today)}, {"deadlines", out}, {"recomputed", changed},
                    {"calendar_warning", warning ? nlohmann::json(*warning) : nlohmann::json(nullptr)}});
        return {};
      }
      if (warning) std::cerr << "netsample: 注意：" << *warning << "\n";
      for (const auto& d : recomputed)
        std::cout << "按现行节假日日历重算：" << d.case_number << " " << workflow::deadline_label(d.kind) << " 届满日为 " << d.due.value_or("（仍无法确定）")
                  << (d.due_latest ? "（暂定，最晚 " + *d.due_latest + "）" : "") << "\n";
      std::cout << "截至 " << format_date(today) << "（北京时间）未届满的期限（暂定的按最早可能的一日排序、判断逾期）：\n";
      if (list.empty()) std::cout << "  （无）\n";
      for (const auto& d : list) {
        std::cout << "  " << (d.overdue ? "✗ 已逾期 " : "  ") << d.due.value_or("无法确定  ")
                  << (d.due_latest ? (*d.due_latest == *d.due ? "（暂定）" : " 至 " + *d.due_latest + "（暂定）") : "") << "  " << d.case_number << "  "
                  << workflow::deadline_label(d.kind)
                  << "（第" << d.article << "条，" << d.amount << (d.unit == "days" ? " 日" : d.unit == "months" ? " 个月" : " 年") << "，自 "
                  << d.from_date << " 起）\n";
        if (!d.problem.empty()) std::cout << "      ! " << d.problem << "\n";
      }
      return {};
    });
  });
}

void add_lifecycle_command(CLI::App& app, Context& context, int& exit_code) {
  auto* lifecycle = app.add_subcommand("lifecycle", "列出流程的全部状态与事件（谁可执行、需要的字段、依据条款、应送达的通知与期限）");
  lifecycle->callback([&] {
    const nlohmann::json out = workflow::lifecycle_table_json();
    if (context.json) {
      print_json(out);
      return;
    }
    for (const auto& t : workflow::lifecycle_transitions()) {
      std::string from, roles, arts;
      for (const auto& f : t.from) from += (from.empty() ? "" : "|") + f;
      for (const auto& r : t.roles) roles += (roles.empty() ? "" : ",") + r;
      for (int a : t.articles) arts += (arts.empty() ? "" : "、") + std::to_string(a);
      std::cout << std::left << std::setw(40) << from << std::setw(28) << t.event << std::setw(20) << (t.to.empty() ? "(不变)" : t.to)
                << "第" << arts << "条  [" << roles << "]  " << t.label << "\n";
    }
    exit_code = 0;
  });
}

}  // namespace netsample::app
