#include "netsample/ocr/ocr.h"

#include <tesseract/baseapi.h>

#include <memory>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace netsample::ocr {
namespace {

// Tesseract's text is a new[] array it hands over.
struct TextFree { void operator()(char* p) const { delete[] p; } };

// The API ends its engine when it goes (End() frees the language data).
struct Engine {
  tesseract::TessBaseAPI api;
  ~Engine() { api.End(); }
};

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
  const cv::Mat bytes(1, static_cast<int>(image.size()), CV_8UC1, const_cast<char*>(image.data()));
  const cv::Mat decoded = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
  if (decoded.empty() || decoded.depth() != CV_8U)
    return make_error(ErrorCode::invalid_input, "image", "图片无法解码（支持 PNG、JPEG、WebP、BMP）");
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
