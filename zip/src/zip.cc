#include "netsample/zip/zip.h"

#include <zip.h>

#include <fstream>

namespace netsample::zip {
namespace {

namespace fs = std::filesystem;

std::string zip_problem(zip_t* archive) { return archive ? zip_strerror(archive) : "zip"; }

std::string open_problem(int code) {
  zip_error_t e;
  zip_error_init_with_code(&e, code);
  std::string text = zip_error_strerror(&e);
  zip_error_fini(&e);
  return text;
}

struct FileClose {
  void operator()(zip_file_t* file) const {
    if (file) zip_fclose(file);
  }
};

}  // namespace

void ZipClose::operator()(::zip* archive) const {
  if (archive) zip_discard(archive);  // only an archive not closed explicitly: nothing half-written stays
}

Result<ZipWriter> ZipWriter::create(const fs::path& file) {
  int error = 0;
  zip_t* archive = zip_open(file.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  if (!archive) return make_error(ErrorCode::io, file.string(), "无法创建 ZIP 文件：" + open_problem(error));
  return ZipWriter(ZipHandle(archive), file);
}

Status ZipWriter::add_file(const std::string& name, const fs::path& source, bool compress) {
  zip_source_t* src = zip_source_file(archive_.get(), source.c_str(), 0, -1);
  if (!src) return make_error(ErrorCode::io, source.string(), "无法读取：" + zip_problem(archive_.get()));
  return add_source(name, src, compress);
}

Status ZipWriter::add_bytes(const std::string& name, std::string bytes, bool compress) {
  buffers_.push_back(std::move(bytes));
  const std::string& kept = buffers_.back();
  zip_source_t* src = zip_source_buffer(archive_.get(), kept.data(), kept.size(), 0);
  if (!src) return make_error(ErrorCode::io, name, "无法加入 ZIP：" + zip_problem(archive_.get()));
  return add_source(name, src, compress);
}

Status ZipWriter::add_source(const std::string& name, zip_source* source, bool compress) {
  const zip_int64_t index = zip_file_add(archive_.get(), name.c_str(), source, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
  if (index < 0) {
    zip_source_free(source);
    return make_error(ErrorCode::io, name, "无法加入 ZIP：" + zip_problem(archive_.get()));
  }
  zip_set_file_compression(archive_.get(), static_cast<zip_uint64_t>(index), compress ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
  return {};
}

Status ZipWriter::close(const std::function<void(double)>& progress) {
  struct Progress {
    const std::function<void(double)>* report;
  } state{&progress};
  if (progress)
    zip_register_progress_callback_with_state(
        archive_.get(), 0.01, [](zip_t*, double done, void* data) { (*static_cast<Progress*>(data)->report)(done); }, nullptr, &state);
  zip_t* archive = archive_.release();
  if (zip_close(archive) != 0) {
    const std::string text = zip_problem(archive);
    zip_discard(archive);
    return make_error(ErrorCode::io, file_.string(), "无法写完 ZIP 文件：" + text);
  }
  return {};
}

Result<ZipReader> ZipReader::open(const fs::path& file) {
  int error = 0;
  zip_t* archive = zip_open(file.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &error);
  if (!archive) return make_error(ErrorCode::invalid_input, file.string(), "不是可读的 ZIP 文件：" + open_problem(error));
  ZipHandle handle(archive);
  std::vector<ZipEntry> entries;
  const zip_int64_t count = zip_get_num_entries(archive, 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t st;
    if (zip_stat_index(archive, static_cast<zip_uint64_t>(i), 0, &st) != 0) continue;
    entries.push_back({st.name, st.size});
  }
  return ZipReader(std::move(handle), std::move(entries));
}

bool ZipReader::contains(const std::string& name) const {
  for (const auto& e : entries_)
    if (e.name == name) return true;
  return false;
}

Status ZipReader::stream(const std::string& name, const std::function<Status(const char*, size_t)>& sink) {
  std::unique_ptr<zip_file_t, FileClose> file(zip_fopen(archive_.get(), name.c_str(), 0));
  if (!file) return make_error(ErrorCode::not_found, name, "证据包中没有这个文件");
  std::string buffer(1 << 20, '\0');
  for (;;) {
    const zip_int64_t n = zip_fread(file.get(), buffer.data(), buffer.size());
    if (n < 0) return make_error(ErrorCode::integrity, name, "证据包中的这个文件无法读出（ZIP 已损坏）");
    if (n == 0) return {};
    NETSAMPLE_TRY(sink(buffer.data(), static_cast<size_t>(n)));
  }
}

Result<std::string> ZipReader::read(const std::string& name) {
  std::string out;
  NETSAMPLE_TRY(stream(name, [&](const char* data, size_t size) -> Status {
    if (out.size() + size > (64u << 20)) return make_error(ErrorCode::invalid_input, name, "文件过大，不是索引或记录");
    out.append(data, size);
    return {};
  }));
  return out;
}

Result<Sha256Digest> ZipReader::sha256(const std::string& name) {
  Sha256 hash;
  NETSAMPLE_TRY(stream(name, [&](const char* data, size_t size) -> Status {
    hash.update(data, size);
    return {};
  }));
  return hash.finish();
}

Status ZipReader::extract(const std::string& name, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to.parent_path(), ec);
  std::ofstream out(to, std::ios::binary);
  if (!out) return make_error(ErrorCode::io, to.string(), "无法写入临时目录");
  NETSAMPLE_TRY(stream(name, [&](const char* data, size_t size) -> Status {
    out.write(data, static_cast<std::streamsize>(size));
    return out ? Status{} : make_error(ErrorCode::io, to.string(), "无法写入临时目录");
  }));
  return {};
}

}  // namespace netsample::zip
