// `netsample unbox analyze`: the codes on an unboxing video or on photos (Art 36: the waybill, the
// packaging, the labels), and with --case whether the waybill is this case's parcel. Runs in
// netsample-recorder, the program that loads the media libraries (OpenCV, FFmpeg).
#include "commands.h"
#include "netsample/unboxing/label_capture.h"
#include "netsample/unboxing/parcels.h"

namespace netsample::app {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;
using namespace unboxing;

struct AnalyzeFlags {
  std::vector<std::string> files;
  std::string stills, case_number;
  double sample_fps = 6;
};

Status run_analyze(Context& context, const AnalyzeFlags& flags) {
  AnalyzeOptions options;
  options.sample_fps = flags.sample_fps;
  options.stills_dir = flags.stills;
  std::vector<fs::path> files(flags.files.begin(), flags.files.end());
  NETSAMPLE_ASSIGN(std::vector<LabelCode> codes, analyze_labels(files, options));
  json out = {{"codes", json::array()}};
  for (const auto& c : codes) out["codes"].push_back(c.to_json());
  std::vector<std::string> numbers;
  if (!flags.case_number.empty()) {
    NETSAMPLE_ASSIGN(ParcelTracker * tracker, context.runtime->tracker());
    NETSAMPLE_ASSIGN(auto parcels, tracker->of_case(flags.case_number));
    if (parcels.empty()) return make_error(ErrorCode::not_found, "case", "任务 " + flags.case_number + " 没有登记运单（track add），无法比对面单");
    json matches = json::array();
    for (const auto& p : parcels) {
      const WaybillMatch m = match_waybill(codes, p.parcel.number);
      matches.push_back({{"number", p.parcel.number}, {"matched", m.matched}, {"other_numbers", m.other_numbers},
                         {"code", m.code ? m.code->to_json() : json()}});
      numbers.push_back(p.parcel.number);
    }
    out["waybill"] = matches;
  }
  if (context.json) {
    print_json(out);
    return {};
  }
  std::cout << "识别到 " << codes.size() << " 个码\n";
  for (const auto& c : codes) {
    std::cout << "  " << c.format << "  " << c.text << "\n    " << c.source.filename().string();
    if (c.frame > 0 || c.time_s > 0) std::cout << "  第 " << c.frame << " 帧，" << c.time_s << " 秒";
    std::cout << "  位置 " << c.x << "," << c.y << " " << c.width << "x" << c.height << "  共见 " << c.sightings << " 次";
    if (!c.still.empty()) std::cout << "  静帧 " << c.still.string();
    std::cout << "\n";
  }
  for (const auto& m : out.value("waybill", json::array())) {
    if (m["matched"]) {
      std::cout << "✓ 面单与任务运单 " << m["number"].get<std::string>() << " 一致\n";
    } else {
      std::cout << "⚠ 没有读到任务运单 " << m["number"].get<std::string>() << "（第三十六条：核对快递单据）";
      if (!m["other_numbers"].empty()) std::cout << "；读到的是另一个单号：" << m["other_numbers"].dump();
      std::cout << "\n";
    }
  }
  return {};
}

}  // namespace

void add_unbox_commands(CLI::App& app, Context& context, int& exit_code) {
  CLI::App* unbox = app.add_subcommand("unbox", "拆封（第36条）：拆封录像或导入视频、标记步骤、识别面单条码与任务运单比对、接收或退样");
  unbox->require_subcommand(1);
  auto flags = std::make_shared<AnalyzeFlags>();
  CLI::App* analyze = unbox->add_subcommand("analyze", "识别视频和照片中的条码与二维码（格式、内容、帧、时间、位置、静帧）");
  analyze->add_option("FILE", flags->files, "视频或照片（JPEG、PNG …）")->required();
  analyze->add_option("--stills", flags->stills, "每个码最清晰一帧的 PNG 存放目录");
  analyze->add_option("--case", flags->case_number, "与该任务登记的运单比对");
  analyze->add_option("--sample-fps", flags->sample_fps, "视频每秒分析的帧数")->capture_default_str();
  analyze->callback([&context, &exit_code, flags] {
    exit_code = run_command(context, [&] { return run_analyze(context, *flags); });
  });
  add_unbox_session_commands(unbox, context, exit_code);
}

}  // namespace netsample::app
