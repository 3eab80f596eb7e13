// Label capture on generated waybills: a Code 128 tracking number and a QR code rendered with ZXing's own
// writer, pasted into frames rotated, moved, blurred and lit unevenly, as a phone or a desk camera sees
// them; photos and an MP4 video written with OpenCV. The right number is read and matched, a wrong parcel
// is flagged.
#define ZX_USE_UTF8 1
#include "netsample/unboxing/label_capture.h"

#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <random>

#include "testing.h"

namespace netsample::unboxing {
namespace {

namespace fs = std::filesystem;

cv::Mat code_image(ZXing::BarcodeFormat format, const std::string& text, int width, int height) {
  const ZXing::BitMatrix bits = ZXing::MultiFormatWriter(format).setMargin(8).encode(text, width, height);
  const auto matrix = ZXing::ToMatrix<uint8_t>(bits);
  cv::Mat gray(matrix.height(), matrix.width(), CV_8U, const_cast<uint8_t*>(matrix.data()));
  cv::Mat bgr;
  cv::cvtColor(gray, bgr, cv::COLOR_GRAY2BGR);
  return bgr.clone();
}

// A courier's waybill: the number as Code 128 and as a QR code with the courier's tracking URL.
cv::Mat waybill(const std::string& number) {
  cv::Mat page(460, 760, CV_8UC3, cv::Scalar(250, 250, 250));
  cv::putText(page, "SF EXPRESS", {30, 50}, cv::FONT_HERSHEY_SIMPLEX, 1.2, cv::Scalar(20, 20, 20), 3);
  code_image(ZXing::BarcodeFormat::Code128, number, 460, 130).copyTo(page(cv::Rect(30, 80, 460, 130)));
  cv::putText(page, number, {60, 245}, cv::FONT_HERSHEY_SIMPLEX, 1.0, cv::Scalar(20, 20, 20), 2);
  code_image(ZXing::BarcodeFormat::QRCode, "https://www.sf-express.com/waybill/#search/bill-number/" + number, 200, 200)
      .copyTo(page(cv::Rect(530, 60, 200, 200)));
  cv::rectangle(page, {30, 290, 700, 140}, cv::Scalar(60, 60, 60), 2);
  cv::putText(page, "TO: CQ AMR SAMPLE ROOM", {50, 350}, cv::FONT_HERSHEY_SIMPLEX, 0.9, cv::Scalar(40, 40, 40), 2);
  return page;
}

// The waybill in a 1280x720 frame: rotated, scaled, moved, then blurred and lit from one side.
cv::Mat scene(const cv::Mat& label, double angle, double scale, cv::Point2f centre, double blur, double dim) {
  cv::Mat frame(720, 1280, CV_8UC3, cv::Scalar(120, 110, 100));
  cv::Mat transform = cv::getRotationMatrix2D(cv::Point2f(label.cols / 2.0f, label.rows / 2.0f), angle, scale);
  transform.at<double>(0, 2) += centre.x - label.cols / 2.0;
  transform.at<double>(1, 2) += centre.y - label.rows / 2.0;
  cv::warpAffine(label, frame, transform, frame.size(), cv::INTER_LINEAR, cv::BORDER_TRANSPARENT);
  if (blur > 0) cv::GaussianBlur(frame, frame, cv::Size(0, 0), blur);
  cv::Mat light(frame.size(), CV_32FC3);
  for (int x = 0; x < frame.cols; ++x) light.col(x).setTo(cv::Scalar::all(dim + (1.0 - dim) * x / frame.cols));
  cv::Mat lit;
  frame.convertTo(lit, CV_32FC3);
  cv::multiply(lit, light, lit);
  lit.convertTo(frame, CV_8UC3);
  return frame;
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
