#define ZX_USE_UTF8 1
#include "netsample/unboxing/label_capture.h"

#include <ZXing/ReadBarcode.h>

#include <algorithm>
#include <map>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <regex>
#include <set>

namespace netsample::unboxing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

bool is_photo(const fs::path& file) {
  std::string ext = file.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" || ext == ".tif" || ext == ".tiff" || ext == ".webp";
}

struct Sighting {
  std::string format, text, method;
  cv::Rect box;
  int orientation = 0;  // degrees, as ZXing measured the symbol
  bool linear = false;
};

std::vector<Sighting> zxing_read(const cv::Mat& gray, const std::string& method, cv::Point offset = {}) {
  ZXing::DecodeHints hints;
  // What couriers and product labels carry. One pass only (no tryRotate, no tryDownscale; we rotate
  // ourselves): Debian 12's ZXing 1.4 aborts on an assertion (Result::operator==, lineCount) when it merges
  // the linear reads of several passes (zxing-cpp issues 516, 740); GS1 DataBar left out for the same reason.
  using F = ZXing::BarcodeFormat;
  hints.setFormats(F::Code128 | F::Code39 | F::Code93 | F::Codabar | F::ITF | F::EAN8 | F::EAN13 | F::UPCA | F::UPCE | F::QRCode | F::DataMatrix |
                   F::PDF417 | F::Aztec);
  hints.setTryHarder(true);
  hints.setTryRotate(false);
  hints.setTryDownscale(false);
  hints.setMaxNumberOfSymbols(8);
  const ZXing::ImageView image(gray.data, gray.cols, gray.rows, ZXing::ImageFormat::Lum, static_cast<int>(gray.step));
  std::vector<Sighting> found;
  for (const auto& r : ZXing::ReadBarcodes(image, hints)) {
    if (!r.isValid()) continue;
    int x0 = INT32_MAX, y0 = INT32_MAX, x1 = INT32_MIN, y1 = INT32_MIN;
    for (const auto& p : r.position()) {
      x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
    }
    cv::Rect box(x0 + offset.x, y0 + offset.y, std::max(1, x1 - x0), std::max(1, y1 - y0));
    const bool linear = (ZXing::BarcodeFormats(ZXing::BarcodeFormat::LinearCodes) & r.format()) != ZXing::BarcodeFormat::None;
    found.push_back({ZXing::ToString(r.format()), r.text(), method, box, r.orientation(), linear});
  }
  return found;
}

// Where printed codes probably are: strong, regular gradients closed into blobs (barcode bars, QR modules),
// each as a turned rectangle (a barcode's blob lies along its bars' normal).
std::vector<cv::RotatedRect> candidate_regions(const cv::Mat& gray) {
  cv::Mat gx, gy, magnitude, binary;
  cv::Sobel(gray, gx, CV_32F, 1, 0, -1);
  cv::Sobel(gray, gy, CV_32F, 0, 1, -1);
  cv::magnitude(gx, gy, magnitude);
  magnitude.convertTo(magnitude, CV_8U, 0.25);
  cv::blur(magnitude, magnitude, cv::Size(9, 9));
  cv::threshold(magnitude, binary, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
  cv::morphologyEx(binary, binary, cv::MORPH_CLOSE, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(21, 21)));
  cv::erode(binary, binary, {}, {-1, -1}, 2);
  cv::dilate(binary, binary, {}, {-1, -1}, 6);
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(binary, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
  std::vector<cv::RotatedRect> regions;
  const double min_area = static_cast<double>(gray.total()) * 0.002;
  for (const auto& c : contours)
    if (cv::contourArea(c) >= min_area) regions.push_back(cv::minAreaRect(c));
  return regions;
}

// The region turned upright (its long side horizontal), with a margin, enlarged when small; `zoom` says by how much.
cv::Mat upright(const cv::Mat& gray, cv::RotatedRect region, cv::Mat& to_frame, double& zoom_out) {
  if (region.size.width < region.size.height) {
    std::swap(region.size.width, region.size.height);
    region.angle += 90;
  }
  region.size.width *= 1.25f;
  region.size.height *= 1.4f;
  const double zoom = std::clamp(600.0 / region.size.width, 1.0, 3.0);
  zoom_out = zoom;
  const cv::Size out(static_cast<int>(region.size.width * zoom), static_cast<int>(region.size.height * zoom));
  cv::Mat forward = cv::getRotationMatrix2D(region.center, region.angle, zoom);
  forward.at<double>(0, 2) += out.width / 2.0 - region.center.x;
  forward.at<double>(1, 2) += out.height / 2.0 - region.center.y;
  cv::Mat crop;
  cv::warpAffine(gray, crop, forward, out, cv::INTER_CUBIC, cv::BORDER_REPLICATE);
  cv::invertAffineTransform(forward, to_frame);
  return crop;
}

// Bars across the crop's rows: the gradient runs mostly along x (a bar code turned upright), not a QR
// code, text or a picture. Only such regions are worth deblurring.
bool looks_like_bars(const cv::Mat& crop) {
  cv::Mat gx, gy;
  cv::Sobel(crop, gx, CV_32F, 1, 0);
  cv::Sobel(crop, gy, CV_32F, 0, 1);
  return cv::mean(cv::abs(gx))[0] > 1.15 * cv::mean(cv::abs(gy))[0];  // bar codes here: 1.2–4.7; QR codes, text: ~0.9
}

// Undoes a blur of `length` px along the rows (a shaky hand or a moving parcel smears bars across each
// other; only the part of the motion across the bars matters, and that is along x once turned upright):
// Wiener deconvolution of each row with a box kernel.
cv::Mat deblur_rows(const cv::Mat& crop, double length) {
  cv::Mat rows;
  crop.convertTo(rows, CV_32F);
  const int width = cv::getOptimalDFTSize(rows.cols);
  cv::copyMakeBorder(rows, rows, 0, 0, 0, width - rows.cols, cv::BORDER_REPLICATE);
  cv::Mat kernel = cv::Mat::zeros(1, width, CV_32F), kernel_f, rows_f;
  const int n = std::max(1, static_cast<int>(std::lround(length)));
  for (int i = 0; i < n; ++i) kernel.at<float>(0, (i - n / 2 + width) % width) = 1.0f / static_cast<float>(n);
  cv::dft(kernel, kernel_f, cv::DFT_COMPLEX_OUTPUT);
  cv::dft(rows, rows_f, cv::DFT_COMPLEX_OUTPUT | cv::DFT_ROWS);
  constexpr float kNoiseToSignal = 0.01f;
  for (int x = 0; x < width; ++x) {
    const cv::Vec2f k = kernel_f.at<cv::Vec2f>(0, x);
    const float denominator = k[0] * k[0] + k[1] * k[1] + kNoiseToSignal;
    for (int y = 0; y < rows_f.rows; ++y) {
      const cv::Vec2f v = rows_f.at<cv::Vec2f>(y, x);  // v · conj(k) / (|k|² + NSR)
      rows_f.at<cv::Vec2f>(y, x) = cv::Vec2f((v[0] * k[0] + v[1] * k[1]) / denominator, (v[1] * k[0] - v[0] * k[1]) / denominator);
    }
  }
  cv::Mat restored, out;
  cv::dft(rows_f, restored, cv::DFT_INVERSE | cv::DFT_REAL_OUTPUT | cv::DFT_SCALE | cv::DFT_ROWS);
  restored(cv::Rect(0, 0, crop.cols, crop.rows)).convertTo(out, CV_8U);
  return out;
}

// Plain frame first (what ZXing alone reads), also a quarter turn; then each likely region turned upright
// and enlarged (codes at an angle that rows across the frame cannot cross, small ones), and only when
// nothing at all was read, the contrast evened out (dim, glossy labels).
std::vector<Sighting> read_frame(const cv::Mat& bgr, bool enhance) {
  cv::Mat gray;
  if (bgr.channels() == 1) gray = bgr;
  else cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  auto found = zxing_read(gray, "frame");
  if (found.empty()) {
    // A label on its side: read the frame turned a quarter, and turn the boxes back.
    cv::Mat turned;
    cv::rotate(gray, turned, cv::ROTATE_90_CLOCKWISE);
    for (auto s : zxing_read(turned, "frame")) {
      s.box = cv::Rect(s.box.y, gray.rows - s.box.x - s.box.width, s.box.height, s.box.width);
      found.push_back(s);
    }
  }
  if (!enhance) return found;
  // A QR code read at an angle tells how the label is turned: turn the frame back and read its bars, which
  // rows across a turned frame cannot cross.
  const bool has_linear = std::any_of(found.begin(), found.end(), [](const Sighting& s) { return s.linear; });
  const auto turned_matrix = std::find_if(found.begin(), found.end(), [](const Sighting& s) { return !s.linear && std::abs(s.orientation) % 90 > 8; });
  if (!has_linear && turned_matrix != found.end()) {
    const double angle = turned_matrix->orientation;
    std::vector<Sighting> straightened;
    for (double sign : {1.0, -1.0}) {
      cv::Mat forward = cv::getRotationMatrix2D(cv::Point2f(gray.cols / 2.0f, gray.rows / 2.0f), sign * angle, 1.0), back, level;
      cv::warpAffine(gray, level, forward, gray.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
      cv::invertAffineTransform(forward, back);
      for (auto s : zxing_read(level, "region")) {
        if (!s.linear) continue;
        std::vector<cv::Point2f> corners = {cv::Point2f(s.box.tl()), cv::Point2f(s.box.br())}, mapped;
        cv::transform(corners, mapped, back);
        s.box = cv::boundingRect(mapped);
        straightened.push_back(s);
      }
      if (!straightened.empty()) break;
    }
    found.insert(found.end(), straightened.begin(), straightened.end());
  }
  // A region where bars were read already is done; one holding only a QR code (blobs merge) is not.
  auto bars_read_in = [&](const cv::Rect& where) {
    for (const auto& s : found)
      if (s.linear && (s.box & where).area() > 0) return true;
    return false;
  };
  auto read_regions = [&](const cv::Mat& image, const char* method) {
    for (const cv::RotatedRect& region : candidate_regions(image)) {
      if (bars_read_in(region.boundingRect())) continue;
      cv::Mat to_frame;
      double zoom = 1;
      const cv::Mat crop = upright(image, region, to_frame, zoom);
      auto sightings = zxing_read(crop, method);
      const bool bars = std::any_of(sightings.begin(), sightings.end(), [](const Sighting& s) { return s.linear; });
      if (!bars && looks_like_bars(crop)) {
        // Smeared bars: undo a blur of 2–5 px (in the frame) across them, shortest first.
        for (double length : {2.0, 3.0, 4.0, 5.0}) {
          auto deblurred = zxing_read(deblur_rows(crop, length * zoom), "deblurred");
          std::erase_if(deblurred, [](const Sighting& s) { return !s.linear; });
          if (deblurred.empty()) continue;
          sightings.insert(sightings.end(), deblurred.begin(), deblurred.end());
          break;
        }
      }
      for (auto s : sightings) {
        std::vector<cv::Point2f> corners = {cv::Point2f(s.box.tl()), cv::Point2f(s.box.br())}, mapped;
        cv::transform(corners, mapped, to_frame);
        s.box = cv::boundingRect(mapped);
        found.push_back(s);
      }
    }
  };
  read_regions(gray, "region");
  if (!found.empty()) return found;
  cv::Mat equalised;
  cv::createCLAHE(3.0, cv::Size(8, 8))->apply(gray, equalised);
  for (auto s : zxing_read(equalised, "enhanced")) found.push_back(s);
  if (found.empty()) read_regions(equalised, "enhanced");
  return found;
}

double sharpness(const cv::Mat& bgr, cv::Rect box) {
  box &= cv::Rect(0, 0, bgr.cols, bgr.rows);
  if (box.area() <= 0) return 0;
  cv::Mat gray, laplacian;
  cv::cvtColor(bgr(box), gray, cv::COLOR_BGR2GRAY);
  cv::Laplacian(gray, laplacian, CV_64F);
  cv::Scalar mean, deviation;
  cv::meanStdDev(laplacian, mean, deviation);
  return deviation[0] * deviation[0];
}

class Collector {
 public:
  explicit Collector(const AnalyzeOptions& options) : options_(options) {}

  Status see(const cv::Mat& frame, const fs::path& source, std::int64_t index, double time_s) {
    std::set<std::pair<std::string, std::string>> this_frame;  // a code read twice in one frame is one sighting
    for (const auto& s : read_frame(frame, options_.enhance)) {
      const auto key = std::make_pair(s.format, s.text);
      if (!this_frame.insert(key).second) continue;
      auto [it, inserted] = codes_.try_emplace(key);
      LabelCode& code = it->second;
      if (inserted) order_.push_back(key);
      ++code.sightings;
      const double sharp = sharpness(frame, s.box);
      if (!inserted && sharp <= code.sharpness) continue;
      code.format = s.format;
      code.text = s.text;
      code.method = s.method;
      code.source = source;
      code.frame = index;
      code.time_s = time_s;
      code.x = s.box.x, code.y = s.box.y, code.width = s.box.width, code.height = s.box.height;
      code.sharpness = sharp;
      if (!options_.stills_dir.empty()) {
        std::error_code ec;
        fs::create_directories(options_.stills_dir, ec);
        code.still = options_.stills_dir / ("code-" + std::to_string(std::distance(order_.begin(), std::find(order_.begin(), order_.end(), key)) + 1) + ".png");
        cv::Mat marked = frame.clone();
        cv::rectangle(marked, s.box, cv::Scalar(0, 0, 255), 3);
        if (!cv::imwrite(code.still.string(), marked)) return make_error(ErrorCode::io, code.still.string(), "无法写入静帧");
      }
    }
    return {};
  }

  std::vector<LabelCode> codes() const {
    std::vector<LabelCode> out;
    for (const auto& key : order_) out.push_back(codes_.at(key));
    return out;
  }

 private:
  const AnalyzeOptions& options_;
  std::map<std::pair<std::string, std::string>, LabelCode> codes_;
  std::vector<std::pair<std::string, std::string>> order_;
};

}  // namespace

json LabelCode::to_json() const {
  return {{"format", format}, {"text", text}, {"source", source.string()}, {"frame", frame}, {"time_s", time_s},
          {"box", {{"x", x}, {"y", y}, {"width", width}, {"height", height}}}, {"sharpness", sharpness}, {"sightings", sightings},
          {"still", still.empty() ? json() : json(still.string())}, {"method", method}};
}

Result<std::vector<LabelCode>> analyze_labels(const std::vector<fs::path>& files, const AnalyzeOptions& options) {
  if (options.sample_fps <= 0) return make_error(ErrorCode::invalid_input, "sample_fps", "每秒分析的帧数应大于 0");
  Collector collector(options);
  for (const auto& file : files) {
    if (!fs::exists(file)) return make_error(ErrorCode::not_found, file.string(), "文件不存在");
    if (is_photo(file)) {
      const cv::Mat image = cv::imread(file.string(), cv::IMREAD_COLOR);
      if (image.empty()) return make_error(ErrorCode::invalid_input, file.string(), "无法读取这张图片");
      NETSAMPLE_TRY(collector.see(image, file, 0, 0));
      continue;
    }
    cv::VideoCapture video(file.string(), cv::CAP_FFMPEG);
    if (!video.isOpened()) return make_error(ErrorCode::invalid_input, file.string(), "既不是可读的图片，也不是可读的视频");
    const double fps = video.get(cv::CAP_PROP_FPS) > 0 ? video.get(cv::CAP_PROP_FPS) : 25;
    // Every frame is decoded (grab), only every k-th is looked at: a code shown 0.5 s is seen ≥ 2 times at 4 fps.
    const int every = std::max(1, static_cast<int>(fps / options.sample_fps + 0.5));
    cv::Mat frame;
    for (std::int64_t index = 0; video.grab(); ++index) {
      if (index % every != 0) continue;
      if (!video.retrieve(frame) || frame.empty()) continue;
      NETSAMPLE_TRY(collector.see(frame, file, index, video.get(cv::CAP_PROP_POS_MSEC) / 1000.0));
    }
  }
  return collector.codes();
}

WaybillMatch match_waybill(const std::vector<LabelCode>& codes, const std::string& tracking_number) {
  WaybillMatch match;
  static const std::regex waybill_like(R"([A-Z]{0,4}\d{9,20})");
  static const std::regex token(R"([A-Za-z0-9]+)");
  for (const auto& code : codes) {
    const bool product_code = code.format.starts_with("EAN") || code.format.starts_with("UPC");  // the sample's own barcode
    for (auto it = std::sregex_iterator(code.text.begin(), code.text.end(), token); it != std::sregex_iterator(); ++it) {
      const std::string t = it->str();
      if (t == tracking_number) {
        if (!match.matched) match.code = code;
        match.matched = true;
      } else if (!product_code && std::regex_match(t, waybill_like) &&
                 std::find(match.other_numbers.begin(), match.other_numbers.end(), t) == match.other_numbers.end()) {
        match.other_numbers.push_back(t);
      }
    }
  }
  return match;
}

}  // namespace netsample::unboxing
