// Reading back a .warc.gz written a gzip member per record: each member inflated on its own, so that each
// record's offset and length are those a replay tool seeks to.
#include <zlib.h>

#include <fstream>

#include "netsample/warc/warc.h"

namespace netsample::warc {
namespace {

struct InflateEnd {
  void operator()(z_stream* z) const {
    inflateEnd(z);
    delete z;
  }
};

}  // namespace

Result<std::vector<IndexEntry>> index_records(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error(ErrorCode::io, file.string(), "无法读取 WARC 文件");
  std::unique_ptr<z_stream, InflateEnd> z(new z_stream{});
  if (inflateInit2(z.get(), 15 + 16) != Z_OK) return make_error(ErrorCode::internal, "zlib", "inflateInit2 失败");
  std::vector<IndexEntry> out;
  std::string record;  // the member's inflated bytes
  std::vector<unsigned char> input(1 << 16), output(1 << 16);
  std::uint64_t consumed = 0, member_start = 0;
  auto finish_member = [&]() -> Status {
    const size_t head_end = record.find("\r\n\r\n");
    if (!record.starts_with("WARC/") || head_end == std::string::npos)
      return make_error(ErrorCode::integrity, file.string(), "偏移 " + std::to_string(member_start) + " 处的记录没有 WARC 头");
    const std::string_view head(record.data(), head_end + 2);
    IndexEntry e;
    // A WARC head is read as an HTTP head is: a first line, then named fields.
    e.type = http_header(head, "WARC-Type").value_or("");
    e.uri = http_header(head, "WARC-Target-URI").value_or("");
    e.date = http_header(head, "WARC-Date").value_or("");
    e.record_id = http_header(head, "WARC-Record-ID").value_or("");
    e.payload_digest = http_header(head, "WARC-Payload-Digest").value_or("");
    e.offset = member_start;
    e.length = consumed - member_start;
    if (e.type == "response") {
      const std::string_view block = std::string_view(record).substr(head_end + 4);
      if (block.starts_with("HTTP/")) {
        const size_t space = block.find(' ');
        if (space != std::string_view::npos) e.status = std::string(block.substr(space + 1, 3));
        e.mime = http_header(block, "Content-Type").value_or("");  // looks only at the head
      }
    }
    if (e.type == "metadata") e.metadata = record.substr(head_end + 4);
    out.push_back(std::move(e));
    record.clear();
    return {};
  };
  bool in_member = false;
  while (in) {
    in.read(reinterpret_cast<char*>(input.data()), static_cast<std::streamsize>(input.size()));
    z->next_in = input.data();
    z->avail_in = static_cast<uInt>(in.gcount());
    while (z->avail_in > 0) {
      if (!in_member) member_start = consumed, in_member = true;
      const uInt before = z->avail_in;
      z->next_out = output.data();
      z->avail_out = static_cast<uInt>(output.size());
      const int rc = inflate(z.get(), Z_NO_FLUSH);
      consumed += before - z->avail_in;
      record.append(reinterpret_cast<char*>(output.data()), output.size() - z->avail_out);
      if (rc == Z_STREAM_END) {
        NETSAMPLE_TRY(finish_member());
        inflateReset(z.get());
        in_member = false;
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return make_error(ErrorCode::integrity, file.string(), "偏移 " + std::to_string(member_start) + " 处的 gzip 数据无法解压");
      }
    }
  }
  // Cut inside a member, even one that had given no bytes yet: the file is not whole.
  if (in_member) return make_error(ErrorCode::integrity, file.string(), "文件在最后一条记录中间结束");
  return out;
}

}  // namespace netsample::warc
