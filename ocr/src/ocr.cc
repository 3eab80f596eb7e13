#include "netsample/ocr/ocr.h"

#include <tesseract/baseapi.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace netsample::ocr {
namespace {

// A licence picture is a few megapixels; a picture's header can claim far more than its bytes (a decompression
// bomb): the size is checked before anything is decoded.
constexpr std::uint64_t kMaxPixels = 40'000'000;

// Tesseract's text is a new[] array it hands over.
struct TextFree { void operator()(char* p) const { delete[] p; } };

// The API ends its engine when it goes (End() frees the language data).
struct Engine {
  tesseract::TessBaseAPI api;
  ~Engine() { api.End(); }
};

std::uint32_t big_endian(std::string_view b, size_t at, size_t bytes) {
  std::uint32_t v = 0;
  for (size_t i = 0; i < bytes; ++i) v = v << 8 | static_cast<unsigned char>(b[at + i]);
  return v;
}

std::uint32_t little_endian(std::string_view b, size_t at, size_t bytes) {
  std::uint32_t v = 0;
  for (size_t i = bytes; i-- > 0;) v = v << 8 | static_cast<unsigned char>(b[at + i]);
  return v;
}

// JPEG: the frame header (SOF0..SOF15 but DHT, JPG and DAC) after the segments before it.
std::optional<std::uint64_t> jpeg_pixels(std::string_view b) {
  for (size_t at = 2; at + 9 <= b.size() && static_cast<unsigned char>(b[at]) == 0xFF;) {
    const unsigned marker = static_cast<unsigned char>(b[at + 1]);
    if (marker == 0xFF) {  // fill byte
      ++at;
      continue;
    }
    if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC)
      return std::uint64_t{big_endian(b, at + 5, 2)} * big_endian(b, at + 7, 2);
    at += 2 + big_endian(b, at + 2, 2);
  }
  return std::nullopt;
}

// WebP: the canvas of an extended file (VP8X), else the lossy (VP8) or lossless (VP8L) frame's size.
std::optional<std::uint64_t> webp_pixels(std::string_view b) {
  const std::string_view chunk = b.substr(12, 4);
  if (chunk == "VP8X" && b.size() >= 30) return std::uint64_t{little_endian(b, 24, 3) + 1} * (little_endian(b, 27, 3) + 1);
  if (chunk == "VP8 " && b.size() >= 30) return std::uint64_t{little_endian(b, 26, 2) & 0x3FFF} * (little_endian(b, 28, 2) & 0x3FFF);
  if (chunk == "VP8L" && b.size() >= 25) {
    const std::uint32_t bits = little_endian(b, 21, 4);
    return std::uint64_t{(bits & 0x3FFF) + 1} * (((bits >> 14) & 0x3FFF) + 1);
  }
  return std::nullopt;
}

// The pixel count a picture's header declares: PNG, JPEG, WebP and BMP; nullopt for anything else.
std::optional<std::uint64_t> declared_pixels(std::string_view b) {
  if (b.starts_with("\x89PNG\r\n\x1A\n") && b.size() >= 24 && b.substr(12, 4) == "IHDR")
    return std::uint64_t{big_endian(b, 16, 4)} * big_endian(b, 20, 4);
  if (b.starts_with("\xFF\xD8")) return jpeg_pixels(b);
  if (b.starts_with("RIFF") && b.size() >= 16 && b.substr(8, 4) == "WEBP") return webp_pixels(b);
  if (b.starts_with("BM") && b.size() >= 26) {
    if (little_endian(b, 14, 4) == 12) return std::uint64_t{little_endian(b, 18, 2)} * little_endian(b, 20, 2);  // OS/2 header
    const std::int64_t width = static_cast<std::int32_t>(little_endian(b, 18, 4)), height = static_cast<std::int32_t>(little_endian(b, 22, 4));
    return static_cast<std::uint64_t>(std::abs(width)) * static_cast<std::uint64_t>(std::abs(height));  // negative: top-down
  }
  return std::nullopt;
}

Error too_large(std::uint64_t pixels) {
  return make_error(ErrorCode::invalid_input, "image",
                    "图片有 " + std::to_string(pixels / 1'000'000) + " 百万像素，超过 " + std::to_string(kMaxPixels / 1'000'000) +
                        " 百万像素的上限（营业执照图片不需要这么大；过大的图片可能是解压炸弹）");
}

// The picture decoded as 8-bit samples: a 16-bit PNG scaled down (a licence's text needs no more).
Result<cv::Mat> decode(std::string_view image) {
  const std::optional<std::uint64_t> pixels = declared_pixels(image);
  if (!pixels) return make_error(ErrorCode::invalid_input, "image", "图片格式无法识别（支持 PNG、JPEG、WebP、BMP）");
  if (*pixels > kMaxPixels) return too_large(*pixels);
  const cv::Mat bytes(1, static_cast<int>(image.size()), CV_8UC1, const_cast<char*>(image.data()));
  cv::Mat decoded = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
  if (decoded.empty()) return make_error(ErrorCode::invalid_input, "image", "图片无法解码（文件不完整或已损坏）");
  if (decoded.total() > kMaxPixels) return too_large(decoded.total());
  if (decoded.depth() == CV_16U) decoded.convertTo(decoded, CV_8U, 1.0 / 257);
  if (decoded.depth() != CV_8U) return make_error(ErrorCode::invalid_input, "image", "图片的采样格式不是 8 位或 16 位整数，无法识别");
  return decoded;
}

// Screen pictures carry text 12-16 px high; Tesseract's LSTM models read such text best at about twice that,
// so a small picture (short side under 600 px) is enlarged 2x (cubic). Larger factors read no better.
cv::Mat prepare(const cv::Mat& decoded) {
  cv::Mat grey;
  if (decoded.channels() == 4) cv::cvtColor(decoded, grey, cv::COLOR_BGRA2GRAY);
  else if (decoded.channels() == 3) cv::cvtColor(decoded, grey, cv::COLOR_BGR2GRAY);
  else grey = decoded;
  if (std::min(grey.cols, grey.rows) < 600) cv::resize(grey, grey, cv::Size(), 2.0, 2.0, cv::INTER_CUBIC);
  return grey;
}

}  // namespace

Result<Text> read_text(std::string_view image, std::string_view languages) {
  if (image.empty()) return make_error(ErrorCode::invalid_input, "image", "图片为空");
  NETSAMPLE_ASSIGN(const cv::Mat decoded, decode(image));
  const cv::Mat grey = prepare(decoded);

  auto engine = std::make_unique<Engine>();
  const std::string langs(languages);
  // Silence Tesseract's notes on stderr (our errors say what matters).
  engine->api.SetVariable("debug_file", "/dev/null");
  if (engine->api.Init(nullptr, langs.c_str(), tesseract::OEM_LSTM_ONLY) != 0)
    return make_error(ErrorCode::internal, "ocr", "Tesseract 无法加载语言数据 " + langs + "（Debian 软件包 tesseract-ocr-chi-sim）");
  // A licence is rows of label and value in one column: read as such, each row stays one line (the automatic
  // layout splits the labels and the values into separate blocks).
  engine->api.SetPageSegMode(tesseract::PSM_SINGLE_COLUMN);
  engine->api.SetImage(grey.data, grey.cols, grey.rows, 1, static_cast<int>(grey.step));
  engine->api.SetSourceResolution(300);
  std::unique_ptr<char, TextFree> text(engine->api.GetUTF8Text());
  if (!text) return make_error(ErrorCode::internal, "ocr", "Tesseract 未能识别图片");
  Text out;
  out.text = text.get();
  out.mean_confidence = engine->api.MeanTextConf();
  out.engine = std::string("tesseract ") + tesseract::TessBaseAPI::Version() + " " + langs;
  return out;
}

}  // namespace netsample::ocr
