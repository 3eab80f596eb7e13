// SHA-256 over buffers and files (OpenSSL EVP), streaming.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "netsample/core/error.h"

struct evp_md_ctx_st;

namespace netsample {

using Sha256Digest = std::array<std::uint8_t, 32>;

// Incremental hasher. Thread-compatible. finish() may be called once; the hasher is spent afterwards.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(const void* data, std::size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  Sha256Digest finish();

 private:
  struct Free {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  std::unique_ptr<evp_md_ctx_st, Free> ctx_;
};

Sha256Digest sha256(std::string_view bytes);
// Streams the file in 1 MiB blocks.
Result<Sha256Digest> sha256_file(const std::filesystem::path& file);

std::string to_hex(const Sha256Digest& digest);
// Lower- or upper-case hex, exactly 64 digits.
Result<Sha256Digest> sha256_from_hex(std::string_view hex, std::string_view field);
inline std::string sha256_hex(std::string_view bytes) { return to_hex(sha256(bytes)); }
// HMAC-SHA256 (RFC 2104) of `data` with `key`, in hex: how a webhook receiver checks who sent a body.
std::string hmac_sha256_hex(std::string_view data, std::string_view key);

}  // namespace netsample
