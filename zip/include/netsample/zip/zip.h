// libzip behind two small classes, handles owned (RAII). Writing adds files by path (read from disk when the
// archive is closed, never held in memory) or bytes; reading streams entries out. Used by the evidence bundle
// (bundle/) and by the spreadsheet reader (an XLSX file is a ZIP of XML parts).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "netsample/core/error.h"
#include "netsample/core/sha256.h"

struct zip;
struct zip_source;

namespace netsample::zip {

struct ZipClose {
  void operator()(::zip* archive) const;
};
using ZipHandle = std::unique_ptr<::zip, ZipClose>;

class ZipWriter {
 public:
  static Result<ZipWriter> create(const std::filesystem::path& file);
  // `compress`: deflate (text, JSON); otherwise stored (videos and images are compressed already).
  Status add_file(const std::string& name, const std::filesystem::path& source, bool compress);
  Status add_bytes(const std::string& name, std::string bytes, bool compress);
  // Writes the archive; `progress` gets 0..1.
  Status close(const std::function<void(double)>& progress);

 private:
  ZipWriter(ZipHandle archive, std::filesystem::path file) : archive_(std::move(archive)), file_(std::move(file)) {}
  Status add_source(const std::string& name, ::zip_source* source, bool compress);  // takes the source
  ZipHandle archive_;
  std::filesystem::path file_;
  std::list<std::string> buffers_;  // bytes libzip reads only at close
};

struct ZipEntry {
  std::string name;
  std::uint64_t size = 0;
};

class ZipReader {
 public:
  static Result<ZipReader> open(const std::filesystem::path& file);
  const std::vector<ZipEntry>& entries() const { return entries_; }
  bool contains(const std::string& name) const;
  Result<std::string> read(const std::string& name);  // small entries only (JSON)
  Result<Sha256Digest> sha256(const std::string& name);
  Status extract(const std::string& name, const std::filesystem::path& to);

 private:
  ZipReader(ZipHandle archive, std::vector<ZipEntry> entries) : archive_(std::move(archive)), entries_(std::move(entries)) {}
  Status stream(const std::string& name, const std::function<Status(const char*, size_t)>& sink);
  ZipHandle archive_;
  std::vector<ZipEntry> entries_;
};

}  // namespace netsample::zip
