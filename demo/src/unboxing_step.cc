// The demo's unboxing and sealing (Art 36-39), run with the ordinary commands as a sampler would type
// them: a generated unboxing video of the delivered parcel is imported (`unbox start --source file:`),
// its labels read and the waybill matched against the tracked parcel, the other three Art 36 steps marked
// at their times, the samples accepted (`unbox finish --accept`) and sealed (`seal --file seals.json`),
// which completes the sampling document and owes its Art 39 notice.
#include "netsample/demo/steps.h"

#include <iostream>

#include "netsample/core/file_io.h"
#include "netsample/core/process.h"
#include "netsample/core/json_fields.h"

namespace netsample::demo {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Runs `netsample ARGS --json` as `actor` and returns its JSON; its error, if any, as ours.
Result<json> netsample_json(DemoRun& run, const std::string& actor, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {sibling_program("netsample").string(), "--data", run.runtime.data_dir().string(), "--as", actor, "--json"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string shown = "$ netsample";
  for (const auto& a : args) shown += " " + (a.find(' ') == std::string::npos ? a : "'" + a + "'");
  std::cout << "    " << shown << "\n" << std::flush;
  NETSAMPLE_ASSIGN(ProgramOutput out, run_program(argv));
  if (out.exit_code != 0)
    return make_error(ErrorCode::internal, args.empty() ? "netsample" : args.front(),
                      "命令失败（退出码 " + std::to_string(out.exit_code) + "）：" + out.err + out.out);
  return parse_json(out.out, args.front());
}

}  // namespace

Result<nlohmann::json> run_demo_unboxing(DemoRun& run, DemoWorld& world, const std::string& case_number, const std::string& sampler,
                                         const std::string& tracking_number) {
  // Absolute: seals.json names the seal photos, and its relative paths are read from its own directory.
  const fs::path video = fs::absolute(world.dir / ("unboxing-" + case_number + ".mp4")).lexically_normal();
  NETSAMPLE_ASSIGN(json made, netsample_json(run, sampler, {"unbox", "demo-video", "--out", video.string(), "--number", tracking_number}));
  std::cout << "    生成的拆封视频 " << video.string() << "（画面注明为演示视频）\n";
  NETSAMPLE_ASSIGN(json started, netsample_json(run, sampler, {"unbox", "start", "--case", case_number, "--source", "file:" + video.string(), "--tsa",
                                                                   world.tsa->url(), "--trust", (run.runtime.data_dir() / "tsa-trust.pem").string()}));
  for (const auto& code : started["labels"])
    std::cout << "      读到 " << code.value("format", "") << " " << code.value("text", "") << "（" << code.value("time_s", 0.0) << " 秒，静帧 "
              << code.value("still", "") << "）\n";
  for (const auto& m : started["waybill"])
    std::cout << "      运单 " << m.value("number", "") << (m.value("matched", false) ? "：与面单一致，已自动标记「快递单据」" : "：录像中没有读到") << "\n";
  for (const auto& scene : made["scenes"]) {
    const std::string step = scene.value("step", "");
    bool done = false;
    for (const auto& s : started["steps"]) done = done || s.value("step", "") == step;
    if (done) continue;
    const double middle = (scene.value("from_s", 0.0) + scene.value("to_s", 0.0)) / 2;
    NETSAMPLE_TRY(status_of(netsample_json(run, sampler, {"unbox", "mark", step, "--case", case_number, "--at", std::to_string(middle).substr(0, 4)})));
  }
  NETSAMPLE_ASSIGN(json finished, netsample_json(run, sampler, {"unbox", "finish", "--case", case_number, "--accept"}));
  std::cout << "      拆封确认：" << finished["decision"].value("decision", "") << "，四个步骤齐全\n";

  // The seals as the sampler writes them down (Art 31, 37, 38), with a photo of each.
  const auto& photos = made["seal_photos"];
  const json seals = {
      {"inspection", {{"seal_number", photos[0].value("seal_number", "")}, {"signed_by", json::array({sampler})}, {"still", photos[0].value("file", "")}, {"quantity", 1}}},
      {"backup",
       {{"seal_number", photos[1].value("seal_number", "")}, {"signed_by", json::array({sampler})}, {"still", photos[1].value("file", "")}, {"quantity", 1},
        {"storage", "重庆市产品质量检验所 样品库 B-03"}, {"keeper", "刘芳"}}},
      {"sealed_date", format_date(beijing_date(run.runtime.clock().now()))},
      {"batch", "B20261101"},
      {"production_date", "2026-11-01"}};
  const fs::path seals_file = run.runtime.data_dir() / "demo-inputs" / (case_number + "-seals.json");
  NETSAMPLE_TRY(write_file_atomic(seals_file, seals.dump(2) + "\n"));
  NETSAMPLE_ASSIGN(json sealed, netsample_json(run, sampler, {"seal", "--case", case_number, "--file", seals_file.string()}));
  return json{{"unboxing", finished}, {"seal", sealed}, {"seals_file", seals_file.string()}};
}

}  // namespace netsample::demo
