// Text read from an image by Tesseract (Debian's libtesseract with tesseract-ocr-chi-sim): what a person would
// read off a shop's business licence picture. The image is prepared first as OCR wants it (grey, text at least
// ~30 px high, so a screen-sized picture is enlarged), then recognised line by line. The result is words for a
// parser to look at, never a value taken on trust: a reader of the text checks what it finds (a credit code by
// its check digit) and reports a misread as unreadable.
#pragma once

#include <string>
#include <string_view>

#include "netsample/core/error.h"

namespace netsample::ocr {

struct Text {
  std::string text;        // UTF-8, one line of the image per line
  int mean_confidence = 0; // Tesseract's 0-100 for the page
  std::string engine;      // "tesseract 5.3.0 chi_sim"
};

// `image`: PNG (8 or 16 bits a sample), JPEG, WebP or BMP bytes as served (OpenCV 4.6 has no GIF decoder), read
// as one column of rows (a licence's layout: label and value stay on one line). `languages`: tessdata names
// joined by '+' (chi_sim reads the digits and Latin letters of a credit code as well; adding eng makes it read
// Chinese in brackets as English). Errors: an image of another format, over 40 megapixels by its header (refused
// before it is decoded) or that does not decode (invalid_input), a language whose data is not installed
// (internal, naming the package to install).
Result<Text> read_text(std::string_view image, std::string_view languages = "chi_sim");

}  // namespace netsample::ocr
