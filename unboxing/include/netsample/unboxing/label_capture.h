// Label capture for the unboxing (Art 36: the courier's waybill, the sample's packaging and labels on
// video): find and read the barcodes and QR codes in photos and video frames, keep the sharpest still of
// each distinct code, and match the waybill's tracking number against the case's parcel.
// OpenCV does the vision (frames, contrast, candidate regions, sharpness); ZXing-cpp decodes (Debian 12's
// OpenCV 4.6 reads no Code 128 and decodes no QR).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"

namespace netsample::unboxing {

struct LabelCode {
  std::string format;      // "Code128", "QRCode", "EAN-13", ...
  std::string text;
  std::filesystem::path source;
  std::int64_t frame = 0;  // of the sharpest sighting; 0 for a photo
  double time_s = 0;       // its time in the video (the file's own clock)
  int x = 0, y = 0, width = 0, height = 0;  // bounding box in that frame
  double sharpness = 0;    // variance of the Laplacian inside the box
  int sightings = 0;       // frames it was read in
  std::filesystem::path still;  // PNG of that frame (when a stills directory is given)
  std::string method;      // how it was read: "frame", "region" (turned upright), "deblurred", "enhanced" (contrast)
  nlohmann::json to_json() const;
};

struct AnalyzeOptions {
  double sample_fps = 6;                  // frames looked at per second of video (≥ 4: a code shown 0.5 s is seen twice)
  std::filesystem::path stills_dir;       // empty: no stills written
  bool enhance = true;                    // contrast (CLAHE) and candidate regions when the plain frame reads nothing
};

// Photos (JPEG, PNG, ...) and videos; codes in order of first sighting, each distinct (format, text) once.
Result<std::vector<LabelCode>> analyze_labels(const std::vector<std::filesystem::path>& files, const AnalyzeOptions& options = {});

struct WaybillMatch {
  bool matched = false;
  std::vector<std::string> other_numbers;  // decoded numbers that look like tracking numbers but are not ours
  std::optional<LabelCode> code;            // the code that carried the number
};
// A code whose text is the tracking number, or contains it as a token (QR codes often carry a URL or JSON).
WaybillMatch match_waybill(const std::vector<LabelCode>& codes, const std::string& tracking_number);

}  // namespace netsample::unboxing
