#include "netsample/recorder/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <sstream>
#include <variant>
#include <vector>

namespace netsample::recorder {
namespace {

void put_be64(std::string& out, std::int64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((static_cast<std::uint64_t>(value) >> shift) & 0xFF);
}

Error unreadable_line(int index) {
  return Error{ErrorCode::integrity, "fragment " + std::to_string(index), "日志第 " + std::to_string(index + 1) + " 行无法读取"};
}

Result<PageRecord> page_from_json(const nlohmann::json& j) {
  PageRecord r;
  r.index = j.at("index").get<int>();
  r.page.offset = j.at("offset").get<std::uint64_t>();
  r.page.size = j.at("size").get<std::uint64_t>();
  NETSAMPLE_ASSIGN(r.page.sha256, sha256_from_hex(j.at("sha256").get<std::string>(), "sha256"));
  r.page.frame = j.at("frame").get<std::int64_t>();
  r.page.utc_us = j.at("utc_us").get<std::int64_t>();
  r.page.uri = j.value("uri", "");
  r.page.type = j.value("type", "");
  r.chain = j.at("chain").get<std::string>();
  return r;
}

// SHA-256 of `size` bytes of the file from `offset`; nullopt when the file cannot be read there.
std::optional<Sha256Digest> hash_range(RangeReader& in, std::uint64_t offset, std::uint64_t size) {
  constexpr std::uint64_t kPiece = 4 << 20;
  Sha256 hasher;
  for (std::uint64_t done = 0; done < size;) {
    auto piece = in.range(offset + done, std::min(kPiece, size - done));
    if (!piece.ok()) return std::nullopt;
    hasher.update(piece->data(), piece->size());
    done += piece->size();
  }
  return hasher.finish();
}

}  // namespace

Result<std::variant<FragmentRecord, PageRecord>> parse_journal_line(const std::string& line, int expected_index) {
  try {
    const auto j = nlohmann::json::parse(line);
    if (j.value("kind", "") == "page") {
      auto page = page_from_json(j);
      if (page.ok()) return std::variant<FragmentRecord, PageRecord>(std::move(page).value());
      return unreadable_line(expected_index);
    }
    FragmentRecord r;
    r.index = j.at("index").get<int>();
    r.fragment.offset = j.at("offset").get<std::uint64_t>();
    r.fragment.size = j.at("size").get<std::uint64_t>();
    NETSAMPLE_ASSIGN(r.fragment.sha256, sha256_from_hex(j.at("sha256").get<std::string>(), "sha256"));
    r.fragment.first_frame = j.at("first_frame").get<std::int64_t>();
    r.fragment.last_frame = j.at("last_frame").get<std::int64_t>();
    r.fragment.start_utc_us = j.at("start_utc_us").get<std::int64_t>();
    r.fragment.end_utc_us = j.at("end_utc_us").get<std::int64_t>();
    r.chain = j.at("chain").get<std::string>();
    return std::variant<FragmentRecord, PageRecord>(std::move(r));
  } catch (const nlohmann::json::exception&) {
    return unreadable_line(expected_index);
  }
}

nlohmann::json PageRecord::to_json() const {
  return {{"index", index},       {"kind", "page"},    {"file", kPagesFile}, {"offset", page.offset}, {"size", page.size},
          {"sha256", to_hex(page.sha256)}, {"frame", page.frame}, {"utc_us", page.utc_us}, {"type", page.type}, {"uri", page.uri},
          {"chain", chain}};
}

std::string chain_next(const std::string& previous, const PageInput& page) {
  auto prev = sha256_from_hex(previous, "chain");
  std::string input(prev.ok() ? std::string(reinterpret_cast<const char*>(prev->data()), prev->size()) : std::string(32, '\0'));
  input += "page";
  input.append(reinterpret_cast<const char*>(page.sha256.data()), page.sha256.size());
  put_be64(input, static_cast<std::int64_t>(page.offset));
  put_be64(input, static_cast<std::int64_t>(page.size));
  put_be64(input, page.frame);
  put_be64(input, page.utc_us);
  return sha256_hex(input);
}

nlohmann::json FragmentRecord::to_json() const {
  return {{"index", index},
          {"offset", fragment.offset},
          {"size", fragment.size},
          {"sha256", to_hex(fragment.sha256)},
          {"first_frame", fragment.first_frame},
          {"last_frame", fragment.last_frame},
          {"start_utc_us", fragment.start_utc_us},
          {"end_utc_us", fragment.end_utc_us},
          {"chain", chain}};
}

std::string chain_next(const std::string& previous, const FragmentInput& fragment) {
  auto prev = sha256_from_hex(previous, "chain");
  std::string input(prev.ok() ? std::string(reinterpret_cast<const char*>(prev->data()), prev->size()) : std::string(32, '\0'));
  input.append(reinterpret_cast<const char*>(fragment.sha256.data()), fragment.sha256.size());
  put_be64(input, fragment.first_frame);
  put_be64(input, fragment.last_frame);
  put_be64(input, fragment.start_utc_us);
  put_be64(input, fragment.end_utc_us);
  return sha256_hex(input);
}

Result<JournalWriter> JournalWriter::create(const std::filesystem::path& file) {
  UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644));
  if (!fd.valid()) return io_error(file, "无法新建哈希链日志（已存在的日志不会被续写）");
  NETSAMPLE_TRY(fsync_directory(file.parent_path().empty() ? "." : file.parent_path()));
  return JournalWriter(std::move(fd), file);
}

Result<FragmentRecord> JournalWriter::append(const FragmentInput& fragment) {
  if (fragment.offset != next_offset_)
    return make_error(ErrorCode::internal, "fragment " + std::to_string(next_index_),
                      "片段起点 " + std::to_string(fragment.offset) + " 不接续上一片段的终点 " + std::to_string(next_offset_));
  FragmentRecord record{next_index_, fragment, chain_next(head_, fragment)};
  NETSAMPLE_TRY(write_line(record.to_json(), record.chain));
  next_offset_ += fragment.size;
  return record;
}

Status JournalWriter::write_line(const nlohmann::json& line, const std::string& chain) {
  NETSAMPLE_TRY(write_all(fd_.get(), line.dump() + "\n", file_));
  if (::fdatasync(fd_.get()) != 0) return io_error(file_, "日志同步（fsync）失败");
  head_ = chain;
  ++next_index_;
  return {};
}

Result<PageRecord> JournalWriter::append(const PageInput& page) {
  if (page.offset != next_page_offset_)
    return make_error(ErrorCode::internal, "page " + std::to_string(next_index_),
                      "网页记录起点 " + std::to_string(page.offset) + " 不接续上一条的终点 " + std::to_string(next_page_offset_));
  PageRecord record{next_index_, page, chain_next(head_, page)};
  NETSAMPLE_TRY(write_line(record.to_json(), record.chain));
  next_page_offset_ += page.size;
  return record;
}

nlohmann::json JournalCheck::to_json() const {
  return {{"ok", ok},
          {"fragments", records.size()},
          {"pages", this->pages.size()},
          {"frames", frames},
          {"head", head},
          {"torn_tail", torn_tail},
          {"unjournaled_bytes", unjournaled_bytes},
          {"unjournaled_page_bytes", unjournaled_page_bytes},
          {"errors", errors}};
}

Result<JournalCheck> verify_journal(const std::filesystem::path& journal, const std::filesystem::path& media, const std::filesystem::path& pages) {
  NETSAMPLE_ASSIGN(std::string text, read_file(journal));
  auto opened = RangeReader::open(media);
  if (!opened.ok()) return io_error(media, "无法打开录像文件");
  RangeReader in = std::move(opened).value();
  const std::uint64_t media_size = in.size();
  std::optional<RangeReader> pages_in;
  std::uint64_t pages_size = 0;
  if (!pages.empty() && std::filesystem::exists(pages)) {
    auto opened_pages = RangeReader::open(pages);
    if (!opened_pages.ok()) return io_error(pages, "无法打开网页记录文件");
    pages_in = std::move(opened_pages).value();
    pages_size = pages_in->size();
  }

  JournalCheck check;
  check.head = std::string(64, '0');
  auto fail = [&](const std::string& what) {
    check.ok = false;
    check.errors.push_back(what);
  };
  std::string previous_chain = check.head;
  std::uint64_t expected_offset = 0, expected_page_offset = 0;
  std::int64_t next_frame = 0;
  std::istringstream lines(text);
  std::string line;
  int index = 0;
  while (std::getline(lines, line)) {
    const bool last_line = lines.peek() == EOF;
    if (last_line && !text.ends_with("\n")) {  // cut while being written
      check.torn_tail = true;
      break;
    }
    auto parsed = parse_journal_line(line, index);
    if (!parsed.ok()) {
      fail(parsed.error().field + "：" + parsed.error().message);
      break;
    }
    std::string chain;
    if (auto* page = std::get_if<PageRecord>(&*parsed)) {
      const PageInput& p = page->page;
      const std::string name = "网页记录（日志第 " + std::to_string(index + 1) + " 行，" + p.type + " " + p.uri + "）";
      if (page->index != index) fail(name + "：序号为 " + std::to_string(page->index) + "，日志行被删除或调换");
      if (p.offset != expected_page_offset)
        fail(name + "：起点 " + std::to_string(p.offset) + " 不接续上一条（应为 " + std::to_string(expected_page_offset) + "）");
      if (!pages_in) fail(name + "：" + std::string(kPagesFile) + " 不存在");
      else if (p.offset + p.size > pages_size) fail(name + "：" + std::string(kPagesFile) + " 在该记录处被截短（文件 " + std::to_string(pages_size) + " 字节）");
      else if (hash_range(*pages_in, p.offset, p.size) != p.sha256) fail(name + "：内容与记录的 SHA-256 不符（被改动、删除或调换）");
      if (chain_next(previous_chain, p) != page->chain) fail(name + "：哈希链断开（日志被改动）");
      chain = page->chain;
      expected_page_offset = p.offset + p.size;
      check.pages.push_back(std::move(*page));
    } else {
      FragmentRecord record = std::get<FragmentRecord>(std::move(*parsed));
      const std::string name = "片段 " + std::to_string(check.records.size());
      if (record.index != index) fail(name + "：序号为 " + std::to_string(record.index) + "，日志行被删除或调换");
      if (record.fragment.offset != expected_offset)
        fail(name + "：起点 " + std::to_string(record.fragment.offset) + " 不接续上一片段（应为 " + std::to_string(expected_offset) + "）");
      if (record.fragment.first_frame >= 0) {
        if (record.fragment.first_frame != next_frame)
          fail(name + "：帧号从 " + std::to_string(record.fragment.first_frame) + " 开始，应为 " + std::to_string(next_frame));
        next_frame = record.fragment.last_frame + 1;
      }
      // Re-hash the bytes the record claims.
      if (record.fragment.offset + record.fragment.size > media_size)
        fail(name + "：录像文件在该片段处被截短（文件 " + std::to_string(media_size) + " 字节）");
      else if (hash_range(in, record.fragment.offset, record.fragment.size) != record.fragment.sha256)
        fail(name + "：内容与记录的 SHA-256 不符（被改动、删除或调换）");
      if (chain_next(previous_chain, record.fragment) != record.chain) fail(name + "：哈希链断开（日志被改动）");
      chain = record.chain;
      expected_offset = record.fragment.offset + record.fragment.size;
      check.records.push_back(std::move(record));
    }
    previous_chain = chain;
    if (check.ok) check.head = chain;
    ++index;
  }
  check.frames = next_frame;
  if (media_size > expected_offset) check.unjournaled_bytes = media_size - expected_offset;
  if (pages_size > expected_page_offset) check.unjournaled_page_bytes = pages_size - expected_page_offset;
  return check;
}

}  // namespace netsample::recorder
