// A blob's name is the lower- or upper-case hex of its SHA-256, 64 digits. Private to the store's blob backends.
#pragma once

#include <string_view>

#include "netsample/core/error.h"
#include "netsample/core/sha256.h"

namespace netsample::store {

inline Status check_blob_name(std::string_view sha256) { return status_of(sha256_from_hex(sha256, "sha256")); }

}  // namespace netsample::store
