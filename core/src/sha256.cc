#include "netsample/core/sha256.h"

#include <openssl/hmac.h>

#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace netsample {

void Sha256::Free::operator()(evp_md_ctx_st* ctx) const { EVP_MD_CTX_free(ctx); }

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  // Failure here means OpenSSL could not allocate or lacks SHA-256: nothing sensible can go on.
  if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("OpenSSL: cannot initialise SHA-256");
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, std::size_t size) {
  if (EVP_DigestUpdate(ctx_.get(), data, size) != 1) throw std::runtime_error("OpenSSL: SHA-256 update failed");
}

Sha256Digest Sha256::finish() {
  Sha256Digest digest{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), digest.data(), &length) != 1 || length != digest.size())
    throw std::runtime_error("OpenSSL: SHA-256 final failed");
  return digest;
}

Sha256Digest sha256(std::string_view bytes) {
  Sha256 hasher;
  hasher.update(bytes);
  return hasher.finish();
}

Result<Sha256Digest> sha256_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error(ErrorCode::io, file.string(), std::string("无法打开文件：") + std::strerror(errno));
  Sha256 hasher;
  std::vector<char> block(1 << 20);
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    if (in.gcount() > 0) hasher.update(block.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) return make_error(ErrorCode::io, file.string(), "读取文件失败");
  return hasher.finish();
}

std::string to_hex(const Sha256Digest& digest) {
  static const char* const kDigits = "0123456789abcdef";
  std::string hex(digest.size() * 2, '0');
  for (std::size_t i = 0; i < digest.size(); ++i) {
    hex[2 * i] = kDigits[digest[i] >> 4];
    hex[2 * i + 1] = kDigits[digest[i] & 0xF];
  }
  return hex;
}

Result<Sha256Digest> sha256_from_hex(std::string_view hex, std::string_view field) {
  auto bad = [&] {
    return make_error(ErrorCode::invalid_input, std::string(field), "SHA-256 须为 64 位十六进制数字");
  };
  if (hex.size() != 64) return bad();
  Sha256Digest digest{};
  for (std::size_t i = 0; i < 64; ++i) {
    const char c = hex[i];
    int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
    if (v < 0) return bad();
    digest[i / 2] = static_cast<std::uint8_t>(digest[i / 2] | (i % 2 == 0 ? v << 4 : v));
  }
  return digest;
}

std::string hmac_sha256_hex(std::string_view data, std::string_view key) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &length);
  Sha256Digest digest{};
  std::copy(mac, mac + std::min<unsigned>(length, digest.size()), digest.begin());
  return to_hex(digest);
}

}  // namespace netsample
