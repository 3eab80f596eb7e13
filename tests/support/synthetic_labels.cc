#define ZX_USE_UTF8 1
#include "synthetic_labels.h"

#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>

#include <opencv2/imgproc.hpp>

namespace netsample::testing {
namespace {

cv::Mat code_image(ZXing::BarcodeFormat format, const std::string& text, int width, int height) {
  const ZXing::BitMatrix bits = ZXing::MultiFormatWriter(format).setMargin(8).encode(text, width, height);
  const auto matrix = ZXing::ToMatrix<uint8_t>(bits);
  cv::Mat gray(matrix.height(), matrix.width(), CV_8U, const_cast<uint8_t*>(matrix.data()));
  cv::Mat bgr;
  cv::cvtColor(gray, bgr, cv::COLOR_GRAY2BGR);
  return bgr;  // a copy: the matrix dies here
}

}  // namespace

std::string waybill_qr_text(const std::string& number) { return "https://www.sf-express.com/waybill/#search/bill-number/" + number; }

cv::Mat synthetic_waybill(const std::string& number) {
  cv::Mat page(460, 760, CV_8UC3, cv::Scalar(250, 250, 250));
  cv::putText(page, "SF EXPRESS", {30, 50}, cv::FONT_HERSHEY_SIMPLEX, 1.2, cv::Scalar(20, 20, 20), 3);
  code_image(ZXing::BarcodeFormat::Code128, number, 460, 130).copyTo(page(cv::Rect(30, 80, 460, 130)));
  cv::putText(page, number, {60, 245}, cv::FONT_HERSHEY_SIMPLEX, 1.0, cv::Scalar(20, 20, 20), 2);
  code_image(ZXing::BarcodeFormat::QRCode, waybill_qr_text(number), 200, 200).copyTo(page(cv::Rect(530, 60, 200, 200)));
  cv::rectangle(page, {30, 290, 700, 140}, cv::Scalar(60, 60, 60), 2);
  cv::putText(page, "TO: CQ AMR SAMPLE ROOM", {50, 350}, cv::FONT_HERSHEY_SIMPLEX, 0.9, cv::Scalar(40, 40, 40), 2);
  return page;
}

cv::Mat synthetic_scene(const cv::Mat& label, const SceneParams& p) {
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
  return frame;
}

}  // namespace netsample::testing
