// Text in the encodings Chinese pages and spreadsheets come in: checking UTF-8 and converting to it (iconv).
#pragma once

#include <string>
#include <string_view>

#include "netsample/core/error.h"

namespace netsample {

bool is_utf8(std::string_view bytes);
// `from`: an iconv name (GB18030, UTF-16LE, ...). An error (invalid_input, naming the byte) when the bytes do not
// fit it.
Result<std::string> to_utf8(std::string_view bytes, const std::string& from);

}  // namespace netsample
