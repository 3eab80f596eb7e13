// `netsample seal --case ID --file seals.json`: the accepted samples sealed, the inspection and the backup
// samples separately, each seal with its number, the samplers who signed it, the date and a photo
// (Art 37, 31); the backup's storage place and keeper (Art 38). The case moves to 「已封样」, the sampling
// document is completed (no longer a draft) and its Art 39 notice to the operator is owed.
#include "commands.h"
#include "netsample/purchase/sampling_document.h"
#include "netsample/unboxing/session.h"
#include "netsample/workflow/cases.h"

namespace netsample::app {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

Status run_seal(Context& context, const std::string& case_number, const fs::path& file) {
  NETSAMPLE_ASSIGN(json text, read_json_file(file));
  NETSAMPLE_ASSIGN(unboxing::Sealing sealing, unboxing::parse_sealing(text, fs::absolute(file).parent_path()));
  workflow::Lifecycle& lifecycle = context.runtime->lifecycle();
  unboxing::UnboxingSessions& sessions = context.runtime->unboxings();
  NETSAMPLE_ASSIGN(unboxing::UnboxingView sealed, sessions.seal(case_number, sealing, context.actor));
  // The seal stands once recorded; a document that cannot be made yet (no complete purchase recording,
  // say) is said, not a failure of the seal.
  auto document = purchase::write_sampling_document(context.runtime->store(), lifecycle, context.runtime->platforms(), case_number, context.actor);
  NETSAMPLE_ASSIGN(std::vector<workflow::NoticeView> notices, workflow::read_notices(context.runtime->store().db(), case_number));
  json owed = json::array();
  for (const auto& n : notices)
    if (n.kind == "sampling_document") owed.push_back(n.to_json());
  if (context.json) {
    print_json({{"case", case_number},
                {"sealing", sealed.sealing},
                {"document", document.ok() ? json{{"pdf", document->pdf.string()}, {"json", document->json.string()}, {"draft", document->draft}} : json()},
                {"document_error", document.ok() ? json() : json(document.error().describe())},
                {"notices", owed}});
    return {};
  }
  std::cout << "任务 " << case_number << " 已封样（第三十七、三十八条）：检验样品封条 " << sealing.inspection.number << "，备用样品封条 "
            << sealing.backup.number << "，封样日期 " << sealing.sealed_date << "\n  备用样品暂存 " << sealing.backup_storage << "，保管人 "
            << sealing.backup_keeper << "\n";
  if (document.ok())
    std::cout << "  网络抽样文书（第三十九条）" << (document->draft ? "（仍是草稿）" : "") << "：" << document->pdf.string() << "\n";
  else
    std::cout << "  网络抽样文书未能生成：" << document.error().describe() << "\n";
  for (const auto& n : notices)
    if (n.kind == "sampling_document") {
      std::string to;
      for (const auto& r : n.recipients) to += (to.empty() ? "" : "、") + r;
      std::cout << "  待发通知 #" << n.id << "：网络抽样文书（第" << n.article << "条）→ " << to << "，" << n.state << "\n";
    }
  return {};
}

}  // namespace

void add_seal_command(CLI::App& app, Context& context, int& exit_code) {
  auto case_number = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  CLI::App* seal = app.add_subcommand("seal", "封样（第三十七、三十八条）：检验样品与备用样品分别封样，补全网络抽样文书（第三十九条）");
  seal->add_option("--case", *case_number, "抽样任务编号")->required();
  seal->add_option("--file", *file, "封样记录 JSON：inspection、backup（封条编号、签字人员、照片、数量；备用样品的暂存地点和保管人）、sealed_date、batch、production_date")
      ->required();
  seal->callback([&context, &exit_code, case_number, file] {
    exit_code = run_command(context, [&] { return run_seal(context, *case_number, *file); });
  });
}

}  // namespace netsample::app
