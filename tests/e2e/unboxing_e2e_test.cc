// The unboxing from the command line (Art 36-39), as a sampler does it, on real parts: the parcel tracked
// on a local Kuaidi100-format server to delivered, a generated unboxing video imported (hashed, its frames
// read, labels decoded, the waybill matched), the steps marked, the samples accepted and sealed, the
// sampling document completed; a wrong parcel flagged and returned; and a live recording of a screen
// (Xvfb standing in for the camera: the same recorder, marks over its control channel, `finish` from
// another process).
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "netsample/core/sha256.h"
#include "netsample/core/time.h"
#include "testing.h"

namespace netsample {
namespace {

using nlohmann::json;
using testing::ProcessResult;
namespace fs = std::filesystem;

class Unboxing : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(data());
    auto courier = loopback::CourierService::start("NS-TEST", "test-key");
    ASSERT_TRUE(courier.ok()) << courier.error().describe();
    courier_ = std::move(courier).value();
    testing::write_text(data() / "tracking.json",
                        json{{"providers", {{"kd", {{"type", "kuaidi100"}, {"url", courier_->url()}, {"customer", "NS-TEST"}, {"key", "test-key"}}}}},
                             {"default_provider", "kd"}}
                            .dump());
    ASSERT_EQ(run({"roster", "add", "--file", write("roster.json", testing::sample_roster()).string()}).exit_code, 0);
  }

  ProcessResult run(std::vector<std::string> args, const std::string& as = "") {
    std::vector<std::string> argv = {NETSAMPLE_BIN, "--data", data().string()};
    if (!as.empty()) argv.insert(argv.end(), {"--as", as});
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::run_process(argv);
  }
  json run_json(std::vector<std::string> args, const std::string& as = "") {
    args.push_back("--json");
    const ProcessResult result = run(args, as);
    EXPECT_EQ(result.exit_code, 0) << result.err << result.out;
    return json::parse(result.out, nullptr, false);
  }
  json run_json_any(std::vector<std::string> args) {  // whatever the exit code
    args.push_back("--json");
    return json::parse(run(args).out, nullptr, false);
  }
  fs::path write(const std::string& name, const json& doc) {
    testing::write_text(dir_ / name, doc.dump());
    return dir_ / name;
  }
  fs::path data() const { return dir_ / "data"; }
  std::string state(const std::string& number) { return run_json({"case", "show", number})["state"]; }

  // A case bought and delivered: its drawn sampler. The parcel's number is the case's.
  std::string delivered_case(const std::string& number, const std::string& tracking) {
    const ProcessResult created = run({"case", "create", "--file", write(number + ".json", testing::sample_case(number)).string()});
    EXPECT_EQ(created.exit_code, 0) << created.err;
    std::string sampler;
    const json view = run_json({"case", "show", number});
    for (const auto& p : view["people"])
      if (p["role"] == "sampler" && sampler.empty()) sampler = p["id"];
    EXPECT_EQ(run({"case", "event", number, "start_purchase"}, sampler).exit_code, 0);
    EXPECT_EQ(run({"case", "event", number, "order_placed", "--file", write("order.json", {{"order_number", "DS-" + number}}).string()}, sampler).exit_code, 0);
    // The courier's times: the last minutes (the lifecycle refuses a delivery before the case or in the future).
    const UtcTime now = SystemClock().now();
    auto shown = [&](int minutes_ago) { return format_beijing(now - std::chrono::minutes(minutes_ago)).substr(0, 19); };
    courier_->script(tracking, {loopback::kuaidi100_answer(3, {{shown(3), "已收取快件"}, {shown(1), "快件已签收，签收人：收样室"}}, true)});
    EXPECT_EQ(run({"track", "add", number, "--courier", "shunfeng", "--number", tracking}).exit_code, 0);
    const ProcessResult polled = run({"track", "poll", "--once"});
    EXPECT_EQ(polled.exit_code, 0) << polled.err;
    EXPECT_EQ(state(number), "received");
    return sampler;
  }

  json demo_video(const std::string& name, const std::string& number) {
    return run_json({"unbox", "demo-video", "--out", (dir_ / name).string(), "--number", number});
  }

  testing::TempDir dir_;
  std::unique_ptr<loopback::CourierService> courier_;
};

TEST_F(Unboxing, ImportedVideoMatchedAcceptedAndSealed) {
  const std::string sampler = delivered_case("CQ-U1", "SF1234567890");
  const json made = demo_video("unboxing.mp4", "SF1234567890");
  ASSERT_EQ(made["scenes"].size(), 4u);

  // Before the parcel is opened on video nothing can be accepted; a tester cannot unbox (Art 20, 36).
  const ProcessResult tester = run({"unbox", "start", "--case", "CQ-U1", "--source", "file:" + (dir_ / "unboxing.mp4").string()}, "CQ-L-001");
  EXPECT_EQ(tester.exit_code, 3) << tester.err;
  EXPECT_NE(tester.err.find("不是任务 CQ-U1 选派的抽样人员"), std::string::npos) << tester.err;

  const json started = run_json({"unbox", "start", "--case", "CQ-U1", "--source", "file:" + (dir_ / "unboxing.mp4").string()}, sampler);
  EXPECT_EQ(started["state"], "recorded");
  EXPECT_TRUE(started["imported"].get<bool>());
  // Hashed on import: the stored copy is byte for byte the sampler's file.
  EXPECT_EQ(started["video_sha256"], to_hex(*sha256_file(dir_ / "unboxing.mp4")));
  EXPECT_EQ(started["video_info"]["frames"], 375);
  EXPECT_TRUE(started["video_info"]["continuous"].get<bool>());
  bool code128 = false;
  for (const auto& c : started["labels"]) code128 = code128 || (c["format"] == "Code128" && c["text"] == "SF1234567890");
  EXPECT_TRUE(code128) << started["labels"].dump();
  ASSERT_EQ(started["waybill"].size(), 1u);
  EXPECT_TRUE(started["waybill"][0]["matched"].get<bool>());
  ASSERT_EQ(started["steps"].size(), 1u);
  EXPECT_EQ(started["steps"][0]["step"], "waybill");
  EXPECT_EQ(started["steps"][0]["how"], "label");
  EXPECT_TRUE(fs::exists(fs::path(started["recording_dir"].get<std::string>()) / started["steps"][0]["still"].get<std::string>()));

  const ProcessResult early = run({"unbox", "finish", "--case", "CQ-U1", "--accept"}, sampler);
  EXPECT_EQ(early.exit_code, 3);
  EXPECT_NE(early.err.find("courier_packaging 快递包装"), std::string::npos) << early.err;
  const ProcessResult outside = run({"unbox", "mark", "sample_labels", "--case", "CQ-U1", "--at", "99"}, sampler);
  EXPECT_EQ(outside.exit_code, 2);
  EXPECT_NE(outside.err.find("--at"), std::string::npos);
  const ProcessResult no_time = run({"unbox", "mark", "sample_labels", "--case", "CQ-U1"}, sampler);
  EXPECT_EQ(no_time.exit_code, 2);
  EXPECT_NE(no_time.err.find("--at"), std::string::npos);
  EXPECT_EQ(run({"unbox", "mark", "sample_labels", "--case", "CQ-U1", "--at", "12"}, "CQ-L-001").exit_code, 3);
  for (const auto& scene : made["scenes"]) {
    if (scene["step"] == "waybill") continue;
    const double middle = (scene["from_s"].get<double>() + scene["to_s"].get<double>()) / 2;
    const json marked = run_json({"unbox", "mark", scene["step"], "--case", "CQ-U1", "--at", std::to_string(middle)}, sampler);
    EXPECT_NEAR(marked["video_s"].get<double>(), middle, 0.05);
    EXPECT_GT(marked["frame"].get<int>(), 0);
  }
  const json accepted = run_json({"unbox", "finish", "--case", "CQ-U1", "--accept"}, sampler);
  EXPECT_EQ(accepted["state"], "accepted");
  EXPECT_TRUE(accepted["missing_steps"].empty());

  // Seals: one number for both is refused (Art 37: separately), then the right file seals the case.
  const auto& photos = made["seal_photos"];
  json seals = {{"inspection", {{"seal_number", "FY-1"}, {"signed_by", {sampler}}, {"still", photos[0]["file"]}}},
                {"backup", {{"seal_number", "FY-1"}, {"signed_by", {sampler}}, {"still", photos[1]["file"]}, {"storage", "样品库 B-03"}, {"keeper", "刘芳"}}},
                {"sealed_date", format_date(beijing_date(SystemClock().now()))},
                {"batch", "B20261101"}};
  const ProcessResult same = run({"seal", "--case", "CQ-U1", "--file", write("seals-bad.json", seals).string()}, sampler);
  EXPECT_EQ(same.exit_code, 2);
  EXPECT_NE(same.err.find("backup.seal_number"), std::string::npos) << same.err;
  EXPECT_EQ(state("CQ-U1"), "received");
  seals["backup"]["seal_number"] = "FY-2";
  const json sealed = run_json({"seal", "--case", "CQ-U1", "--file", write("seals.json", seals).string()}, sampler);
  ASSERT_EQ(sealed["notices"].size(), 1u);
  EXPECT_EQ(sealed["notices"][0]["article"], 39);
  EXPECT_EQ(sealed["sealing"]["backup"]["seal_number"], "FY-2");
  EXPECT_EQ(state("CQ-U1"), "sealed");
  // This case was ordered by hand (`case event`), without a purchase recording: the seal stands and the
  // document says why it cannot be written yet (the demo's test reads a completed one).
  EXPECT_TRUE(sealed["document"].is_null());
  EXPECT_NE(sealed["document_error"].get<std::string>().find("买样记录"), std::string::npos);

  // Evidence: the video, its label stills, the step stills and the seal photos; the audit chain intact.
  std::map<std::string, int> kinds;
  const json evidence = run_json({"evidence", "list", "--case", "CQ-U1"});
  for (const auto& item : evidence) ++kinds[item["kind"]];
  EXPECT_EQ(kinds["unboxing_video"], 1);
  EXPECT_EQ(kinds["seal_photo"], 2);
  EXPECT_EQ(kinds["timestamp_token"], 0);  // no --tsa given: said in the problems
  EXPECT_GE(kinds["label_still"], 2);
  EXPECT_EQ(kinds["still"], 3);
  EXPECT_EQ(run({"audit", "verify"}).exit_code, 0);

  // The reviewer's check from the files alone: the hash holds, but no TSA stamped this import (exit 4);
  // a changed byte in the video is named.
  const fs::path unboxing_dir = started["recording_dir"].get<std::string>();
  const json checked = run_json_any({"verify", unboxing_dir.string()});
  EXPECT_TRUE(checked["hash_ok"].get<bool>());
  EXPECT_EQ(checked["tokens_ok"], 0);
  EXPECT_FALSE(checked["ok"].get<bool>());
  EXPECT_EQ(run({"verify", unboxing_dir.string()}).exit_code, 4);
  {
    std::fstream video(unboxing_dir / "unboxing.mp4", std::ios::in | std::ios::out | std::ios::binary);
    video.seekp(5000);
    video.put('\x55');
  }
  const json tampered = run_json_any({"verify", unboxing_dir.string()});
  EXPECT_FALSE(tampered["hash_ok"].get<bool>());
  EXPECT_NE(tampered["errors"].dump().find("已被改动"), std::string::npos);
}

TEST_F(Unboxing, AWrongParcelIsFlaggedAndReturned) {
  const std::string sampler = delivered_case("CQ-U2", "SF1234567890");
  const json made = demo_video("other.mp4", "SF5550009999");  // another parcel's waybill
  const json started = run_json({"unbox", "start", "--case", "CQ-U2", "--source", (dir_ / "other.mp4").string()}, sampler);
  ASSERT_EQ(started["waybill"].size(), 1u);
  EXPECT_FALSE(started["waybill"][0]["matched"].get<bool>());
  EXPECT_EQ(started["waybill"][0]["other_numbers"], json::array({"SF5550009999"}));
  bool flagged = false;
  for (const auto& p : started["problems"])
    flagged = flagged || (p["level"] == "error" && p["text"].get<std::string>().find("SF5550009999") != std::string::npos);
  EXPECT_TRUE(flagged) << started["problems"].dump();
  const ProcessResult shown = run({"unbox", "show", "CQ-U2"});
  EXPECT_NE(shown.out.find("另一个单号"), std::string::npos) << shown.out;
  for (const char* step : {"courier_packaging", "waybill", "sample_packaging", "sample_labels"})
    ASSERT_EQ(run({"unbox", "mark", step, "--case", "CQ-U2", "--at", "5"}, sampler).exit_code, 0);
  const ProcessResult silent = run({"unbox", "finish", "--case", "CQ-U2", "--accept"}, sampler);
  EXPECT_EQ(silent.exit_code, 3);
  EXPECT_NE(silent.err.find("--note"), std::string::npos);
  const ProcessResult bad_reason = run({"unbox", "finish", "--case", "CQ-U2", "--return", "wrong_parcel"}, sampler);
  EXPECT_EQ(bad_reason.exit_code, 2);
  EXPECT_NE(bad_reason.err.find("out_of_scope"), std::string::npos);
  const json returned = run_json({"unbox", "finish", "--case", "CQ-U2", "--return", "out_of_scope", "--note", "收到的是另一单号的包裹"}, sampler);
  EXPECT_EQ(returned["state"], "returned");
  EXPECT_EQ(state("CQ-U2"), "returned");
  // Returned samples are not sealed.
  const json seals = {{"inspection", {{"seal_number", "FY-1"}, {"signed_by", {sampler}}, {"still", made["seal_photos"][0]["file"]}}},
                      {"backup", {{"seal_number", "FY-2"}, {"signed_by", {sampler}}, {"still", made["seal_photos"][1]["file"]}, {"storage", "B-03"}, {"keeper", "刘芳"}}},
                      {"sealed_date", format_date(beijing_date(SystemClock().now()))}};
  const ProcessResult seal = run({"seal", "--case", "CQ-U2", "--file", write("s.json", seals).string()}, sampler);
  EXPECT_EQ(seal.exit_code, 3);
  EXPECT_NE(seal.err.find("returned"), std::string::npos) << seal.err;
}

TEST_F(Unboxing, LiveRecordingMarkedAndFinishedFromAnotherProcess) {
  const std::string sampler = delivered_case("CQ-U3", "SF1234567890");
  auto display = loopback::VirtualDisplay::start(dir_.path(), 640, 480);
  ASSERT_TRUE(display.ok()) << display.error().describe();
  ChildProcess recorder({NETSAMPLE_BIN, "--data", data().string(), "--as", sampler, "unbox", "start", "--case", "CQ-U3", "--source",
                                "x11:" + (*display)->display(), "--fps", "5"},
                               dir_ / "recorder.log");
  // Marks go to the running recorder as soon as it answers.
  ProcessResult first;
  for (int i = 0; i < 100; ++i) {
    first = run({"unbox", "mark", "courier_packaging", "--case", "CQ-U3"}, sampler);
    if (first.exit_code == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(first.exit_code, 0) << first.err;
  for (const char* step : {"waybill", "sample_packaging", "sample_labels"}) {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    const ProcessResult marked = run({"unbox", "mark", step, "--case", "CQ-U3", "--note", "现场"}, sampler);
    ASSERT_EQ(marked.exit_code, 0) << marked.err;
  }
  const ProcessResult wrong = run({"unbox", "mark", "parcel", "--case", "CQ-U3"}, sampler);
  EXPECT_EQ(wrong.exit_code, 2);
  const json finished = run_json({"unbox", "finish", "--case", "CQ-U3", "--accept"}, sampler);
  EXPECT_EQ(finished["state"], "accepted");
  EXPECT_FALSE(finished["imported"].get<bool>());
  EXPECT_TRUE(finished["verify"]["hash_chain_ok"].get<bool>()) << finished["verify"].dump();
  ASSERT_EQ(finished["steps"].size(), 4u);
  EXPECT_FALSE(finished["steps"][0]["time"].is_null());  // a live mark carries the trusted time of its frame
  EXPECT_EQ(finished["video"], "recording.mp4");
  for (int i = 0; i < 50 && recorder.running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(recorder.running());
}

}  // namespace
}  // namespace netsample
