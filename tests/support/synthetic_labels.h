// Synthetic courier waybills for the label-capture tests and benchmark: the tracking number as Code 128 and
// as a QR code with the courier's URL, rendered by ZXing's own writer, then placed in a camera-like frame
// (turned, scaled, moved, seen at an angle, blurred by focus or motion, lit unevenly, partly covered).
#pragma once

#include <opencv2/core.hpp>
#include <string>

namespace netsample::testing {

cv::Mat synthetic_waybill(const std::string& number);
std::string waybill_qr_text(const std::string& number);  // what the QR code says

struct SceneParams {
  double angle = 0;            // degrees
  double scale = 1;
  cv::Point2f centre{640, 360};
  double perspective = 0;      // 0..0.3: how far one side is pushed back
  double focus_blur = 0;       // Gaussian sigma, px
  int motion_blur = 0;         // horizontal streak length, px
  double dim = 1;              // light at the left edge (1: even)
  double occlusion = 0;        // 0..0.15: share of the label's height covered over the top of the bar code
  cv::Size frame{1280, 720};
};
cv::Mat synthetic_scene(const cv::Mat& label, const SceneParams& params);

}  // namespace netsample::testing
