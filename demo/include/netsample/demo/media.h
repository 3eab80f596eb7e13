// Made-up but realistic pictures of a parcel for the demo, the tests and the benchmark: a courier waybill
// (the tracking number as Code 128 and as a QR code with the courier's URL, drawn by ZXing's writer), a
// sample's label with its EAN-13, placed in camera-like frames (turned, scaled, moved, seen at an angle,
// blurred by focus or motion, lit unevenly, partly covered), and a whole unboxing video made of them.
// Never evidence: a demo's video says on every frame that it is generated.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "netsample/core/error.h"

namespace netsample::demo {

cv::Mat render_waybill(const std::string& number);
std::string waybill_qr_text(const std::string& number);  // what the waybill's QR code says

struct SceneParams {
  double angle = 0;            // degrees
  double scale = 1;
  cv::Point2f centre{640, 360};
  double perspective = 0;      // 0..0.3: how far one side is pushed back
  double focus_blur = 0;       // Gaussian sigma, px
  int motion_blur = 0;         // horizontal streak length, px
  double dim = 1;              // light at the left edge (1: even)
  double occlusion = 0;        // 0..0.15: share of the label's height covered over the top of the bar code
  double glare = 0;            // 0..1: a glossy band of reflected light across the frame
  double noise = 0;            // sensor noise, Gaussian sigma in grey levels
  cv::Size frame{1280, 720};
};
cv::Mat render_scene(const cv::Mat& label, const SceneParams& params);

struct DemoScene {
  std::string step;            // the Art 36 step it shows: courier_packaging, waybill, sample_packaging, sample_labels
  double from_s = 0, to_s = 0;
};
struct DemoSealPhoto {
  std::string seal_number;
  std::filesystem::path file;  // PNG
};
struct DemoUnboxing {
  std::filesystem::path video;
  std::vector<DemoScene> scenes;
  std::vector<DemoSealPhoto> seal_photos;  // inspection, backup (Art 37: sealed separately)
};
// A 15 s 1280x720 25 fps unboxing: the parcel, its waybill (moving, turning, blurring, lit unevenly), the
// sample's packaging and its label (product, batch, production date, EAN-13); and beside the video a
// photo of each seal, numbered after the tracking number.
Result<DemoUnboxing> render_demo_unboxing(const std::filesystem::path& video, const std::string& tracking_number, const std::string& product,
                                          const std::string& batch, const std::string& production_date);

}  // namespace netsample::demo
