#include "uploads.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "netsample/accounts/accounts.h"
#include "netsample/core/file_io.h"

namespace netsample::server {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool is_upload_id(const std::string& id) {
  if (id.size() != 32) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

fs::path record_of(const fs::path& uploads_dir, const std::string& id) { return uploads_dir / (id + ".json"); }

}  // namespace

Status check_upload_name(const std::string& name) {
  const auto bad = [&](const std::string& why) { return make_error(ErrorCode::invalid_input, "name", "文件名 " + why); };
  if (name.empty()) return make_error(ErrorCode::missing_field, "name", "须在 ?name= 中给出文件名");
  if (name.size() > 200) return bad("超过 200 字节");
  if (name == "." || name == "..") return bad("不能是 . 或 ..");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f || c == '/' || c == '\\') return bad("不能含有 / \\ 或控制字符");
  return {};
}

Result<std::unique_ptr<UploadFile>> UploadFile::create(const fs::path& uploads_dir, const std::string& name) {
  std::unique_ptr<UploadFile> upload(new UploadFile);
  upload->uploads_dir_ = uploads_dir;
  upload->id_ = accounts::random_hex(16);
  upload->name_ = name;
  upload->dir_ = uploads_dir / upload->id_;
  upload->file_ = upload->dir_ / name;
  std::error_code ec;
  fs::create_directories(upload->dir_, ec);
  if (ec) return make_error(ErrorCode::io, "upload", "无法创建上传目录 " + upload->dir_.string() + "：" + ec.message());
  upload->fd_ = ::open(upload->file_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (upload->fd_ < 0) return make_error(ErrorCode::io, "upload", "无法写入 " + upload->file_.string() + "：" + std::strerror(errno));
  return upload;
}

UploadFile::~UploadFile() {
  if (fd_ >= 0) ::close(fd_);
  if (kept_) return;
  std::error_code ec;
  fs::remove_all(dir_, ec);  // an interrupted or refused upload leaves nothing behind
}

Status UploadFile::append(const char* data, std::size_t size) {
  hash_.update(data, size);
  size_ += size;
  while (size > 0) {
    const ssize_t n = ::write(fd_, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error(ErrorCode::io, "upload", "写入上传文件失败：" + std::string(std::strerror(errno)));
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return {};
}

Result<json> UploadFile::finish(const std::string& login, UtcTime now) {
  if (::fsync(fd_) != 0) return make_error(ErrorCode::io, "upload", "上传文件未能写入磁盘：" + std::string(std::strerror(errno)));
  ::close(fd_);
  fd_ = -1;
  const json record = {{"upload", id_}, {"name", name_}, {"size", size_}, {"sha256", to_hex(hash_.finish())}, {"login", login},
                       {"received", format_iso8601_beijing(now)}};
  NETSAMPLE_TRY(write_file_atomic(record_of(uploads_dir_, id_), record.dump(2)));
  kept_ = true;
  return record;
}

Result<StoredUpload> find_upload(const fs::path& uploads_dir, const std::string& id, const std::string& login, const std::string& field) {
  const Error unknown = make_error(ErrorCode::not_found, field, "没有编号为 \"" + id + "\" 的上传文件（POST /api/uploads 上传，一天内有效）");
  if (!is_upload_id(id)) return unknown;
  auto text = read_file(record_of(uploads_dir, id));
  if (!text.ok()) return unknown;
  const json record = json::parse(*text, nullptr, false);
  if (!record.is_object() || record.value("login", "") != login) return unknown;
  StoredUpload out{id, record.value("name", ""), login, record.value("sha256", ""), record.value("size", std::uint64_t{0}), {}};
  out.file = uploads_dir / id / out.name;
  std::error_code ec;
  if (!check_upload_name(out.name).ok() || fs::file_size(out.file, ec) != out.size || ec) return unknown;
  return out;
}

void remove_upload(const fs::path& uploads_dir, const std::string& id) {
  if (!is_upload_id(id)) return;
  std::error_code ec;
  fs::remove(record_of(uploads_dir, id), ec);
  fs::remove_all(uploads_dir / id, ec);
}

void sweep_uploads(const fs::path& uploads_dir, std::chrono::seconds age) {
  std::error_code ec;
  const auto cutoff = fs::file_time_type::clock::now() - age;
  for (fs::directory_iterator it(uploads_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string id = it->path().stem().string();
    if (!is_upload_id(id)) continue;
    std::error_code time_ec;
    if (fs::last_write_time(it->path(), time_ec) < cutoff && !time_ec) remove_upload(uploads_dir, id);
  }
}

}  // namespace netsample::server
