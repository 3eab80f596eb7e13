// `netsample purchase mark / finish / show`: the sampler's hand on a running purchase session. `purchase
// start` runs in netsample-recorder (purchase_start.cc); these talk to it over the recorder's control
// channel and read the session from the database.
#include <thread>

#include "commands.h"
#include "netsample/purchase/sampling_document.h"
#include "netsample/purchase/recording.h"
#include "netsample/purchase/session.h"
#include "netsample/recorder/control.h"
#include "purchase_view.h"

namespace netsample::app {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

Result<json> parse_fields(const std::vector<std::string>& pairs) {
  json fields = json::object();
  for (const auto& pair : pairs) {
    const auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0)
      return make_error(ErrorCode::invalid_input, "--field", "字段应写成 名称=值（如 --field order_number=DS202611240001），而不是 \"" + pair + "\"");
    const std::string key = pair.substr(0, eq);
    if (fields.contains(key)) return make_error(ErrorCode::duplicate, "--field", "字段 " + key + " 给了两次");
    fields[key] = pair.substr(eq + 1);
  }
  return fields;
}

struct MarkFlags {
  std::string step, note, case_number;
  std::vector<std::string> fields;
};

Status run_mark(Context& context, purchase::PurchaseSessions& sessions, const MarkFlags& flags) {
  NETSAMPLE_ASSIGN(json fields, parse_fields(flags.fields));
  NETSAMPLE_ASSIGN(json step, purchase::mark_recording_step(sessions, flags.case_number, flags.step, fields, flags.note, context.actor));
  if (context.json) {
    print_json(step);
  } else {
    NETSAMPLE_ASSIGN(purchase::SessionView session, sessions.get(step.value("session", std::int64_t{0})));
    std::cout << "已标记「" << purchase::find_step(flags.step)->label << "」：" << step.value("time", "") << "，第 " << step.value("frame", 0)
              << " 帧，静帧 " << (session.recording_dir / step.value("still", "")).string() << "\n";
    const json page = step.contains("page") && step["page"].is_object() ? step["page"] : json::object();
    if (page.contains("error")) std::cout << "  网页未能读取：" << page["error"].get<std::string>() << "\n";
    if (page.contains("read")) std::cout << "  从网页 " << page.value("url", "") << " 读取：\n";
    const json stored = step.value("fields", json::object());
    for (const auto& [name, value] : stored.items()) {
      std::string corrected;
      for (const auto& c : page.value("corrections", json::array()))
        if (c.value("field", "") == name) corrected = "（已更正，网页为 " + c["page"].get<std::string>() + "）";
      const bool from_page = page.contains("read") && page["read"].contains(name) && corrected.empty();
      std::cout << "    " << name << "：" << (value.is_string() ? value.get<std::string>() : value.dump()) << (from_page ? "" : corrected.empty() ? "（手填）" : corrected) << "\n";
    }
  }
  return {};
}

Status run_finish(Context& context, purchase::PurchaseSessions& sessions, const std::string& case_number, int wait_s) {
  NETSAMPLE_ASSIGN(purchase::SessionView session, purchase::finish_recording(sessions, case_number, std::chrono::seconds(wait_s), [&] {
                     if (!context.json) std::cerr << "netsample: 正在结束、封存并校验录像……\n";
                   }));
  if (context.json)
    print_json(session.to_json());
  else
    print_session(session, context.program);
  if (session.state != purchase::PurchaseState::complete)
    return make_error(ErrorCode::refused_by_rule, "purchase", "买样不完整，不能作为完整的买样记录（见上面列出的问题）", 35);
  return {};
}

}  // namespace

void add_purchase_commands(CLI::App& app, Context& context, int& exit_code) {
  CLI::App* purchase = app.add_subcommand("purchase", "买样（第三十五条）：一次买样一段连续录像，标记七个步骤，结束时封存、校验、推进任务");
  purchase->require_subcommand(1);
  // Listed here for --help; `purchase start` is handed to netsample-recorder before parsing (main.cc).
  purchase->add_subcommand("start", "开始买样：取证环境检查 + 连续录像（由 netsample-recorder 执行；--case 任务编号 --as 抽样人员）")
      ->allow_extras();

  auto mark = std::make_shared<MarkFlags>();
  CLI::App* mark_command = purchase->add_subcommand("mark", "标记一个步骤：time_check search licence product_page order payment chat");
  mark_command->add_option("STEP", mark->step, "步骤")->required();
  mark_command->add_option("--field", mark->fields,
                           "步骤字段 名称=值，可多个（purchase steps 列出每步的字段）；在 netsample 的浏览器中字段取自屏幕上的页面，这里只需补充或更正");
  mark_command->add_option("--note", mark->note, "说明");
  mark_command->add_option("--case", mark->case_number, "任务编号（只有一个买样在录制时可省略）");
  mark_command->callback([&context, &exit_code, mark] {
    exit_code = run_command(context, [&]() -> Status {
      purchase::PurchaseSessions& sessions = context.runtime->purchases();
      return run_mark(context, sessions, *mark);
    });
  });

  auto read = std::make_shared<MarkFlags>();
  CLI::App* read_command = purchase->add_subcommand("read", "在 netsample 的浏览器中，读出屏幕上的页面给某一步骤提供的字段（标记前核对）");
  read_command->add_option("STEP", read->step, "步骤")->required();
  read_command->add_option("--case", read->case_number, "任务编号（只有一个买样在录制时可省略）");
  read_command->callback([&context, &exit_code, read] {
    exit_code = run_command(context, [&]() -> Status {
      NETSAMPLE_ASSIGN(json page, purchase::read_step_from_page(context.runtime->purchases(), read->case_number, read->step));
      if (context.json) {
        print_json(page);
        return {};
      }
      std::cout << "页面 " << page.value("url", "") << " 给「" << purchase::find_step(read->step)->label << "」的字段：\n";
      for (const auto& [name, value] : page["read"].items())
        std::cout << "  " << name << "：" << value.get<std::string>() << "    （" << page["rules"].value(name, "") << "）\n";
      for (const auto& name : page["missing"]) std::cout << "  " << name.get<std::string>() << "：页面上没有读到，标记时请用 --field 填写\n";
      for (const auto& problem : page["problems"]) std::cout << "  注意：" << problem.get<std::string>() << "\n";
      return {};
    });
  });

  auto accept_case = std::make_shared<std::string>();
  auto accept_reason = std::make_shared<std::string>();
  CLI::App* accept = purchase->add_subcommand("accept-environment",
                                              "组织人员：说明理由，接受取证环境中可被用来伪造网页的发现（添加的根证书、代理、hosts 改写、端口转发），买样方可完整（第三十五条）");
  accept->add_option("CASE", *accept_case, "任务编号")->required();
  accept->add_option("--reason", *accept_reason, "为什么这些发现不影响所取证据")->required();
  accept->callback([&context, &exit_code, accept_case, accept_reason] {
    exit_code = run_command(context, [&]() -> Status {
      purchase::PurchaseSessions& sessions = context.runtime->purchases();
      NETSAMPLE_ASSIGN(auto list, sessions.of_case(*accept_case));
      if (list.empty()) return make_error(ErrorCode::not_found, "CASE", "任务 " + *accept_case + " 还没有买样记录");
      NETSAMPLE_ASSIGN(purchase::SessionView accepted, sessions.accept_environment(list.back().id, *accept_reason, context.actor));
      if (context.json) print_json(accepted.to_json());
      else print_session(accepted, context.program);
      return {};
    });
  });

  auto finish_case = std::make_shared<std::string>();
  auto wait_s = std::make_shared<int>(300);
  CLI::App* finish = purchase->add_subcommand("finish", "结束买样：封存录像、校验、存为证据；七步齐全且录像连续有效时任务进入「已下单」");
  finish->add_option("--case", *finish_case, "任务编号（只有一个买样在录制时可省略）");
  finish->add_option("--wait", *wait_s, "最多等待封存多少秒")->capture_default_str();
  finish->callback([&context, &exit_code, finish_case, wait_s] {
    exit_code = run_command(context, [&]() -> Status {
      purchase::PurchaseSessions& sessions = context.runtime->purchases();
      return run_finish(context, sessions, *finish_case, *wait_s);
    });
  });

  auto show_case = std::make_shared<std::string>();
  CLI::App* show = purchase->add_subcommand("show", "查看任务的买样记录：步骤、字段、静帧、校验结果、问题");
  show->add_option("CASE", *show_case, "任务编号")->required();
  show->callback([&context, &exit_code, show_case] {
    exit_code = run_command(context, [&]() -> Status {
      purchase::PurchaseSessions& sessions = context.runtime->purchases();
      NETSAMPLE_ASSIGN(auto list, sessions.of_case(*show_case));
      if (context.json) {
        json all = json::array();
        for (const auto& s : list) all.push_back(s.to_json());
        print_json(all);
        return {};
      }
      if (list.empty()) std::cout << "任务 " << *show_case << " 还没有买样记录\n";
      for (const auto& s : list) print_session(s, context.program);
      return {};
    });
  });

  auto document_case = std::make_shared<std::string>();
  auto document_out = std::make_shared<std::string>();
  CLI::App* document = purchase->add_subcommand("document", "生成网络抽样文书（第三十九条）PDF 与 JSON，存为证据；收样封样前为草稿");
  document->add_option("CASE", *document_case, "任务编号")->required();
  document->add_option("--out", *document_out, "输出目录（默认 <数据目录>/documents）");
  document->callback([&context, &exit_code, document_case, document_out] {
    exit_code = run_command(context, [&]() -> Status {
      workflow::Lifecycle& lifecycle = context.runtime->lifecycle();
      NETSAMPLE_ASSIGN(purchase::SamplingDocumentFiles files,
                       purchase::write_sampling_document(context.runtime->store(), lifecycle, context.runtime->platforms(), *document_case, context.actor, *document_out));
      if (context.json) {
        print_json({{"pdf", files.pdf.string()}, {"json", files.json.string()}, {"draft", files.draft},
                    {"sha256", {files.evidence.at(0).sha256, files.evidence.at(1).sha256}}});
        return {};
      }
      std::cout << "网络抽样文书" << (files.draft ? "（草稿：收样、封样后补全）" : "") << "\n  PDF  " << files.pdf.string() << "\n  JSON "
                << files.json.string() << "\n  已存为证据，SHA-256 " << files.evidence.at(0).sha256 << "\n";
      return {};
    });
  });

  CLI::App* steps = purchase->add_subcommand("steps", "列出第三十五条的买样步骤和每步须记录的字段");
  steps->callback([&context] {
    if (context.json) {
      json all = json::array();
      for (const auto& s : purchase::purchase_steps()) {
        json fields = json::array();
        for (const auto& f : s.fields) fields.push_back({{"name", f.name}, {"label", f.label}, {"required", f.required}});
        all.push_back({{"id", s.id}, {"label", s.label}, {"fields", fields}});
      }
      print_json(all);
      return;
    }
    for (const auto& s : purchase::purchase_steps()) {
      std::cout << s.id << "  " << s.label << "\n";
      for (const auto& f : s.fields) std::cout << "    " << f.name << "  " << f.label << (f.required ? "" : "（可选）") << "\n";
    }
  });
}

}  // namespace netsample::app
