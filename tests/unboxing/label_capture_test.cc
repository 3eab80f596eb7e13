// Label capture on generated waybills: a Code 128 tracking number and a QR code rendered with ZXing's own
// writer, pasted into frames rotated, moved, blurred and lit unevenly, as a phone or a desk camera sees
// them; photos and an MP4 video written with OpenCV. The right number is read and matched, a wrong parcel
// is flagged.
#include "netsample/unboxing/label_capture.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <random>

#include "netsample/demo/media.h"
#include "testing.h"

namespace netsample::unboxing {
namespace {

namespace fs = std::filesystem;

cv::Mat waybill(const std::string& number) { return demo::render_waybill(number); }

cv::Mat scene(const cv::Mat& label, double angle, double scale, cv::Point2f centre, double blur, double dim) {
  demo::SceneParams p;
  p.angle = angle, p.scale = scale, p.centre = centre, p.focus_blur = blur, p.dim = dim;
  return demo::render_scene(label, p);
}

// Four seconds at 15 fps: the waybill moves across, turns from -20° to +20° and comes closer.
fs::path unboxing_video(const fs::path& file, const std::string& number) {
  cv::VideoWriter writer(file.string(), cv::VideoWriter::fourcc('m', 'p', '4', 'v'), 15, cv::Size(1280, 720));
  EXPECT_TRUE(writer.isOpened());
  const cv::Mat label = waybill(number);
  for (int i = 0; i < 60; ++i) {
    const double t = i / 59.0;
    writer.write(scene(label, -20 + 40 * t, 0.8 + 0.3 * t, {420.0f + 400.0f * static_cast<float>(t), 360.0f}, 1.0, 0.55));
  }
  return file;
}

TEST(LabelCapture, ACrookedDimBlurredPhotoIsRead) {
  testing::TempDir dir;
  const fs::path photo = dir / "waybill.jpg";
  ASSERT_TRUE(cv::imwrite(photo.string(), scene(waybill("SF1234567890"), 25, 0.9, {640, 360}, 1.2, 0.45)));
  auto codes = analyze_labels({photo}, {6, dir / "stills", true});
  ASSERT_TRUE(codes.ok()) << codes.error().describe();
  ASSERT_GE(codes->size(), 1u);
  const auto match = match_waybill(*codes, "SF1234567890");
  EXPECT_TRUE(match.matched);
  EXPECT_TRUE(match.other_numbers.empty());
  EXPECT_TRUE(fs::exists(codes->front().still));
}

TEST(LabelCapture, SmearedBarsAreDeblurredAcrossThem) {
  // A parcel moved while the frame was taken: a 4 px streak, about one bar module, at 20°.
  testing::TempDir dir;
  demo::SceneParams p;
  p.angle = 20, p.scale = 0.8, p.centre = {640, 360}, p.focus_blur = 0.6, p.motion_blur = 4;
  const fs::path photo = dir / "moving.png";
  ASSERT_TRUE(cv::imwrite(photo.string(), demo::render_scene(waybill("SF2026112701"), p)));
  auto plain = analyze_labels({photo}, {6, {}, false});  // ZXing alone on the frame
  ASSERT_TRUE(plain.ok());
  for (const auto& c : *plain) EXPECT_NE(c.format, "Code128") << "the frame alone should not read: the test would prove nothing";
  auto codes = analyze_labels({photo}, {6, {}, true});
  ASSERT_TRUE(codes.ok());
  const auto match = match_waybill(*codes, "SF2026112701");
  ASSERT_TRUE(match.matched);
  bool deblurred = false;
  for (const auto& c : *codes) deblurred = deblurred || (c.format == "Code128" && c.method == "deblurred");
  EXPECT_TRUE(deblurred);
}

TEST(LabelCapture, AVideoOfTheWaybillIsReadAndMatched) {
  testing::TempDir dir;
  const fs::path video = unboxing_video(dir / "unboxing.mp4", "SF1234567890");
  auto codes = analyze_labels({video}, {6, dir / "stills", true});
  ASSERT_TRUE(codes.ok()) << codes.error().describe();
  std::set<std::string> formats;
  for (const auto& c : *codes) {
    formats.insert(c.format);
    EXPECT_GE(c.sightings, 2) << c.format;  // seen in several sampled frames
    EXPECT_GE(c.time_s, 0);
    EXPECT_LT(c.time_s, 4.1);
    EXPECT_TRUE(fs::exists(c.still)) << c.still;
    EXPECT_GT(c.sharpness, 0);
  }
  EXPECT_TRUE(formats.contains("Code128")) << codes->size();
  EXPECT_TRUE(formats.contains("QRCode")) << codes->size();
  const auto match = match_waybill(*codes, "SF1234567890");
  EXPECT_TRUE(match.matched);
  ASSERT_TRUE(match.code.has_value());
}

TEST(LabelCapture, AnotherParcelIsFlagged) {
  testing::TempDir dir;
  const fs::path video = unboxing_video(dir / "wrong.mp4", "SF9876543210");
  auto codes = analyze_labels({video}, {6, {}, true});
  ASSERT_TRUE(codes.ok());
  const auto match = match_waybill(*codes, "SF1234567890");
  EXPECT_FALSE(match.matched);
  ASSERT_FALSE(match.other_numbers.empty());
  EXPECT_EQ(match.other_numbers.front(), "SF9876543210");
}

TEST(LabelCapture, TheCommandLinePrintsEachCodeWithWhereItWasSeen) {
  testing::TempDir dir;
  const fs::path photo = dir / "waybill.png";
  ASSERT_TRUE(cv::imwrite(photo.string(), scene(waybill("SF1234567890"), -15, 1.0, {640, 360}, 0.8, 0.6)));
  const auto r = testing::run_process({NETSAMPLE_BIN, "--data", (dir / "data").string(), "unbox", "analyze", photo.string(), "--stills",
                                       (dir / "stills").string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = nlohmann::json::parse(r.out);
  std::set<std::string> texts;
  for (const auto& c : out["codes"]) {
    texts.insert(c["text"].get<std::string>());
    EXPECT_TRUE(fs::exists(c["still"].get<std::string>()));
    EXPECT_GT(c["box"]["width"].get<int>(), 0);
  }
  EXPECT_TRUE(texts.contains("SF1234567890")) << r.out;
}

TEST(LabelCapture, UnreadableInputIsNamed) {
  testing::TempDir dir;
  auto missing = analyze_labels({dir / "nothing.mp4"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
  testing::write_text(dir / "notes.txt", "not a video");
  auto text = analyze_labels({dir / "notes.txt"});
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().field, (dir / "notes.txt").string());
}

}  // namespace
}  // namespace netsample::unboxing
