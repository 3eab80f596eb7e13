#define ZX_USE_UTF8 1
#include "netsample/demo/media.h"

#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

namespace netsample::demo {
namespace {

cv::Mat code_image(ZXing::BarcodeFormat format, const std::string& text, int width, int height) {
  const ZXing::BitMatrix bits = ZXing::MultiFormatWriter(format).setMargin(8).encode(text, width, height);
  const auto matrix = ZXing::ToMatrix<uint8_t>(bits);
  cv::Mat gray(matrix.height(), matrix.width(), CV_8U, const_cast<uint8_t*>(matrix.data()));
  cv::Mat bgr;
  cv::cvtColor(gray, bgr, cv::COLOR_GRAY2BGR);
  return bgr;  // a copy: the matrix dies here
}

const cv::Scalar kBackdrop(120, 110, 100);

// The sample's own label: what the sampling document needs off it (Art 39: batch, production date).
cv::Mat render_sample_label(const std::string& product, const std::string& batch, const std::string& production_date) {
  cv::Mat label(360, 640, CV_8UC3, cv::Scalar(245, 248, 250));
  cv::rectangle(label, {10, 10, 620, 340}, cv::Scalar(30, 90, 160), 4);
  cv::putText(label, product, {30, 70}, cv::FONT_HERSHEY_SIMPLEX, 1.1, cv::Scalar(30, 30, 30), 2);
  cv::putText(label, "BATCH " + batch, {30, 130}, cv::FONT_HERSHEY_SIMPLEX, 0.9, cv::Scalar(30, 30, 30), 2);
  cv::putText(label, "PRODUCED " + production_date, {30, 180}, cv::FONT_HERSHEY_SIMPLEX, 0.9, cv::Scalar(30, 30, 30), 2);
  code_image(ZXing::BarcodeFormat::EAN13, "6901234567892", 300, 120).copyTo(label(cv::Rect(30, 210, 300, 120)));
  return label;
}

// A closed carton with tape and the courier's name: the courier packaging.
cv::Mat render_carton(cv::Size frame, double t) {
  cv::Mat image(frame, CV_8UC3, kBackdrop);
  const int w = static_cast<int>(700 + 60 * t), h = static_cast<int>(440 + 40 * t);
  const cv::Rect box((frame.width - w) / 2, (frame.height - h) / 2, w, h);
  cv::rectangle(image, box, cv::Scalar(70, 130, 185), cv::FILLED);
  cv::rectangle(image, cv::Rect(box.x, box.y + h / 2 - 30, w, 60), cv::Scalar(160, 190, 210), cv::FILLED);  // tape
  cv::putText(image, "SF EXPRESS", {box.x + 40, box.y + 80}, cv::FONT_HERSHEY_SIMPLEX, 1.6, cv::Scalar(30, 30, 30), 3);
  return image;
}

// The sample in its own box, as the shop packed it.
cv::Mat render_product_box(cv::Size frame, const std::string& product, double t) {
  cv::Mat image(frame, CV_8UC3, kBackdrop);
  const cv::Rect box(330 - static_cast<int>(20 * t), 150, 620, 420);
  cv::rectangle(image, box, cv::Scalar(235, 235, 235), cv::FILLED);
  cv::rectangle(image, box, cv::Scalar(40, 40, 40), 3);
  cv::putText(image, product, {box.x + 40, box.y + 120}, cv::FONT_HERSHEY_SIMPLEX, 1.2, cv::Scalar(30, 60, 140), 3);
  cv::putText(image, "SEALED BY MANUFACTURER", {box.x + 40, box.y + 200}, cv::FONT_HERSHEY_SIMPLEX, 0.8, cv::Scalar(60, 60, 60), 2);
  return image;
}

// A paper seal strip across a box: its number, room for signatures and the date (Art 31).
cv::Mat render_seal_photo(const std::string& number, const std::string& which) {
  cv::Mat photo(480, 800, CV_8UC3, kBackdrop);
  cv::rectangle(photo, {60, 60, 680, 360}, cv::Scalar(235, 235, 235), cv::FILLED);
  cv::rectangle(photo, {40, 190, 720, 110}, cv::Scalar(250, 250, 250), cv::FILLED);
  cv::rectangle(photo, {40, 190, 720, 110}, cv::Scalar(40, 40, 200), 3);
  cv::putText(photo, "SEAL " + number + "  (" + which + ")", {60, 235}, cv::FONT_HERSHEY_SIMPLEX, 0.9, cv::Scalar(40, 40, 200), 2);
  cv::putText(photo, "SIGNED / DATE", {60, 280}, cv::FONT_HERSHEY_SIMPLEX, 0.7, cv::Scalar(60, 60, 60), 2);
  cv::putText(photo, "GENERATED DEMO PHOTO", {20, 460}, cv::FONT_HERSHEY_SIMPLEX, 0.7, cv::Scalar(0, 0, 255), 2);
  return photo;
}

}  // namespace

std::string waybill_qr_text(const std::string& number) { return "https://www.sf-express.com/waybill/#search/bill-number/" + number; }

cv::Mat render_waybill(const std::string& number) {
  cv::Mat page(460, 760, CV_8UC3, cv::Scalar(250, 250, 250));
  cv::putText(page, "SF EXPRESS", {30, 50}, cv::FONT_HERSHEY_SIMPLEX, 1.2, cv::Scalar(20, 20, 20), 3);
  code_image(ZXing::BarcodeFormat::Code128, number, 460, 130).copyTo(page(cv::Rect(30, 80, 460, 130)));
  cv::putText(page, number, {60, 245}, cv::FONT_HERSHEY_SIMPLEX, 1.0, cv::Scalar(20, 20, 20), 2);
  code_image(ZXing::BarcodeFormat::QRCode, waybill_qr_text(number), 200, 200).copyTo(page(cv::Rect(530, 60, 200, 200)));
  cv::rectangle(page, {30, 290, 700, 140}, cv::Scalar(60, 60, 60), 2);
  cv::putText(page, "TO: CQ AMR SAMPLE ROOM", {50, 350}, cv::FONT_HERSHEY_SIMPLEX, 0.9, cv::Scalar(40, 40, 40), 2);
  return page;
}

cv::Mat render_scene(const cv::Mat& label, const SceneParams& p) {
  cv::Mat source = label.clone();
  if (p.occlusion > 0) {  // a finger over the top of the bars: the rows below stay whole
    const int height = static_cast<int>(source.rows * p.occlusion);
    cv::rectangle(source, cv::Rect(20, 80, 480, height), cv::Scalar(120, 150, 200), cv::FILLED);
  }
  const float w = static_cast<float>(source.cols), h = static_cast<float>(source.rows), d = static_cast<float>(p.perspective) * h;
  const cv::Point2f from[] = {{0, 0}, {w, 0}, {w, h}, {0, h}};
  const cv::Point2f to[] = {{0, 0}, {w, d}, {w, h - d}, {0, h}};  // the right side further away
  cv::Mat tilted;
  cv::warpPerspective(source, tilted, cv::getPerspectiveTransform(from, to), source.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                      cv::Scalar(120, 110, 100));
  cv::Mat frame(p.frame, CV_8UC3, cv::Scalar(120, 110, 100));
  cv::Mat transform = cv::getRotationMatrix2D(cv::Point2f(w / 2, h / 2), p.angle, p.scale);
  transform.at<double>(0, 2) += p.centre.x - w / 2.0;
  transform.at<double>(1, 2) += p.centre.y - h / 2.0;
  cv::warpAffine(tilted, frame, transform, frame.size(), cv::INTER_LINEAR, cv::BORDER_TRANSPARENT);
  if (p.focus_blur > 0) cv::GaussianBlur(frame, frame, cv::Size(0, 0), p.focus_blur);
  if (p.motion_blur > 1) {
    cv::Mat kernel = cv::Mat::zeros(1, p.motion_blur, CV_32F);
    kernel.setTo(1.0f / static_cast<float>(p.motion_blur));
    cv::filter2D(frame, frame, -1, kernel);
  }
  if (p.dim < 1) {
    cv::Mat light(frame.size(), CV_32FC3), lit;
    for (int x = 0; x < frame.cols; ++x) light.col(x).setTo(cv::Scalar::all(p.dim + (1.0 - p.dim) * x / frame.cols));
    frame.convertTo(lit, CV_32FC3);
    cv::multiply(lit, light, lit);
    lit.convertTo(frame, CV_8UC3);
  }
  if (p.glare > 0) {  // light reflected off a glossy label: a bright diagonal band washing out what is under it
    cv::Mat band(frame.size(), CV_32F), lit;
    const cv::Point2f centre = p.centre;
    for (int y = 0; y < frame.rows; ++y)
      for (int x = 0; x < frame.cols; ++x) {
        const float distance = ((static_cast<float>(x) - centre.x) * 0.8f + (static_cast<float>(y) - centre.y) * 0.6f);
        band.at<float>(y, x) = static_cast<float>(p.glare * 255.0 * std::exp(-distance * distance / (2 * 28.0f * 28.0f)));
      }
    cv::Mat band3;
    cv::merge(std::vector<cv::Mat>{band, band, band}, band3);
    frame.convertTo(lit, CV_32FC3);
    lit += band3;
    lit.convertTo(frame, CV_8UC3);  // saturates
  }
  if (p.noise > 0) {
    cv::Mat grain(frame.size(), CV_16SC3), noisy;
    cv::randn(grain, 0, p.noise);
    frame.convertTo(noisy, CV_16SC3);
    noisy += grain;
    noisy.convertTo(frame, CV_8UC3);
  }
  return frame;
}

Result<DemoUnboxing> render_demo_unboxing(const std::filesystem::path& video, const std::string& tracking_number, const std::string& product,
                                          const std::string& batch, const std::string& production_date) {
  constexpr int kFps = 25;
  const cv::Size size(1280, 720);
  cv::VideoWriter writer(video.string(), cv::VideoWriter::fourcc('m', 'p', '4', 'v'), kFps, size);
  if (!writer.isOpened()) return make_error(ErrorCode::io, video.string(), "无法写入演示拆封视频");
  DemoUnboxing out{video, {{"courier_packaging", 0, 3}, {"waybill", 3, 8}, {"sample_packaging", 8, 11}, {"sample_labels", 11, 15}}, {}};
  const cv::Mat waybill = render_waybill(tracking_number);
  const cv::Mat label = render_sample_label(product, batch, production_date);
  for (int i = 0; i < 15 * kFps; ++i) {
    const double s = static_cast<double>(i) / kFps;
    cv::Mat frame;
    if (s < 3) {
      frame = render_carton(size, s / 3);
    } else if (s < 8) {  // the waybill held up to the camera: turning, a shaky start, then dimmer light
      const double t = (s - 3) / 5;
      SceneParams p;
      p.angle = -20 + 35 * t;
      p.scale = 0.9 + 0.25 * t;
      p.centre = {static_cast<float>(560 + 160 * t), static_cast<float>(340 + 40 * t)};
      p.focus_blur = 0.6;
      p.motion_blur = s < 4 ? 4 : 0;
      p.dim = s > 6 ? 0.45 : 1;
      frame = render_scene(waybill, p);
    } else if (s < 11) {
      frame = render_product_box(size, product, (s - 8) / 3);
    } else {
      SceneParams p;
      p.angle = 8 - 10 * (s - 11) / 4;
      p.centre = {640, 360};
      p.focus_blur = 0.5;
      frame = render_scene(label, p);
    }
    cv::putText(frame, "GENERATED DEMO VIDEO - NOT EVIDENCE", {20, 700}, cv::FONT_HERSHEY_SIMPLEX, 0.7, cv::Scalar(0, 0, 255), 2);
    writer.write(frame);
  }
  writer.release();
  for (const auto& [which, suffix] : {std::pair{"INSPECTION", "1"}, std::pair{"BACKUP", "2"}}) {
    DemoSealPhoto photo{"FY-" + tracking_number + "-" + suffix, video.parent_path() / (video.stem().string() + "-seal-" + suffix + ".png")};
    if (!cv::imwrite(photo.file.string(), render_seal_photo(photo.seal_number, which)))
      return make_error(ErrorCode::io, photo.file.string(), "无法写入封条照片");
    out.seal_photos.push_back(photo);
  }
  return out;
}

}  // namespace netsample::demo
