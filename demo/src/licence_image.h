// The demo shop's business licence as a picture (PNG), laid out as a licence is: shops show it as an image
// (E-Commerce Law art 15), so the crawler has to read it by OCR as it would a real one.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace netsample::demo {

// `operator_record`: the catalogue's shop.operator (name, licence_number, address, legal_representative, ...).
std::string licence_png(const nlohmann::json& operator_record);

}  // namespace netsample::demo
