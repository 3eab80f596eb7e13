// A stand-in's log for an error message. Private to the loopback library.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

namespace netsample::loopback {

// The log's text, its last `last_bytes` bytes when it is longer; empty when it cannot be read.
std::string log_text(const std::filesystem::path& log, std::size_t last_bytes = std::string::npos);

}  // namespace netsample::loopback
