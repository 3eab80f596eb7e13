#include "wacz.h"

#include <algorithm>
#include <sstream>

#include <nlohmann/json.hpp>

#include "netsample/core/sha256.h"
#include "netsample/warc/warc.h"
#include "netsample/zip/zip.h"

namespace netsample::bundle {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// "2026-12-05T03:20:01.123Z" → "20261205032001"
std::string timestamp14(const std::string& warc_date) {
  std::string digits;
  for (char c : warc_date.substr(0, 19))
    if (c >= '0' && c <= '9') digits += c;
  return digits;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// A Content-Type's media type as compared: "Text/HTML ; charset=GBK" → "text/html".
std::string media_type(const std::string& content_type) {
  std::string type = lower(content_type.substr(0, content_type.find(';')));
  const size_t first = type.find_first_not_of(" \t"), last = type.find_last_not_of(" \t");
  return first == std::string::npos ? "" : type.substr(first, last - first + 1);
}

// Whether a URL's path is the site's robots.txt (a capture fetches it first; it is no page of the site).
bool is_robots_txt(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash != std::string::npos && url.substr(slash, url.find_first_of("?#", slash) - slash) == "/robots.txt";
}

}  // namespace

std::string surt(const std::string& url) {
  std::string rest = lower(url);
  const size_t scheme = rest.find("://");
  if (scheme == std::string::npos) return rest;
  rest = rest.substr(scheme + 3);
  if (const size_t hash = rest.find('#'); hash != std::string::npos) rest.resize(hash);
  const size_t slash = rest.find_first_of("/?");
  std::string authority = rest.substr(0, slash), path = slash == std::string::npos ? "/" : rest.substr(slash);
  if (path.front() == '?') path = "/" + path;
  std::string port;
  if (const size_t colon = authority.rfind(':'); colon != std::string::npos) port = authority.substr(colon), authority.resize(colon);
  if (authority.starts_with("www.")) authority.erase(0, 4);
  std::vector<std::string> labels;
  std::stringstream parts(authority);
  for (std::string label; std::getline(parts, label, '.');) labels.push_back(label);
  std::reverse(labels.begin(), labels.end());
  std::string host;
  for (const auto& l : labels) host += (host.empty() ? "" : ",") + l;
  std::string query;
  if (const size_t q = path.find('?'); q != std::string::npos) {
    std::vector<std::string> params;
    std::stringstream ps(path.substr(q + 1));
    for (std::string p; std::getline(ps, p, '&');) params.push_back(p);
    std::sort(params.begin(), params.end());
    for (const auto& p : params) query += (query.empty() ? "?" : "&") + p;
    path.resize(q);
  }
  return host + port + ")" + path + query;
}

Result<int> write_wacz(const std::vector<WarcFile>& warcs, const fs::path& out, const std::string& title, UtcTime now) {
  NETSAMPLE_ASSIGN(zip::ZipWriter wacz, zip::ZipWriter::create(out));
  json resources = json::array();
  std::vector<std::string> index_lines;
  std::string pages = json{{"format", "json-pages-1.0"}, {"id", "pages"}, {"title", "All Pages"}}.dump() + "\n";
  int page_count = 0;
  std::string main_url, main_date;
  for (const auto& warc : warcs) {
    const std::string path = "archive/" + warc.name;
    // Stored, not deflated: a replay tool reads a record by its offset within the WARC.
    NETSAMPLE_TRY(wacz.add_file(path, warc.stored, false));
    NETSAMPLE_ASSIGN(Sha256Digest digest, sha256_file(warc.stored));
    std::error_code ec;
    const std::uintmax_t bytes = fs::file_size(warc.stored, ec);
    if (ec) return make_error(ErrorCode::io, warc.stored.string(), "无法读取 WARC 文件大小：" + ec.message());
    resources.push_back({{"name", warc.name}, {"path", path}, {"hash", "sha256:" + to_hex(digest)}, {"bytes", bytes}});
    NETSAMPLE_ASSIGN(std::vector<warc::IndexEntry> records, warc::index_records(warc.stored));
    for (const auto& r : records) {
      // What a replay looks up: the responses (and resources); requests and metadata stay in the WARC.
      if (r.uri.empty() || (r.type != "response" && r.type != "resource")) continue;
      json fields = {{"url", r.uri}, {"offset", std::to_string(r.offset)}, {"length", std::to_string(r.length)}, {"filename", warc.name}};
      const std::string mime = media_type(r.mime);
      fields["mime"] = mime;
      if (!r.status.empty()) fields["status"] = r.status;
      if (!r.payload_digest.empty()) fields["digest"] = r.payload_digest;
      index_lines.push_back(surt(r.uri) + " " + timestamp14(r.date) + " " + fields.dump());
      // A page: an HTML answer that is not robots.txt (a site may serve that as HTML too).
      if (r.type == "response" && r.status.starts_with("2") && mime == "text/html" && !is_robots_txt(r.uri)) {
        pages += json{{"id", r.record_id.substr(std::min<size_t>(r.record_id.size(), 10), 36)}, {"url", r.uri}, {"ts", r.date}, {"title", r.uri}}.dump() + "\n";
        if (main_url.empty()) main_url = r.uri, main_date = r.date;
        ++page_count;
      }
    }
  }
  std::sort(index_lines.begin(), index_lines.end());
  std::string index;
  for (const auto& line : index_lines) index += line + "\n";
  for (const auto& [name, path, bytes] : {std::tuple{"index.cdxj", "indexes/index.cdxj", &index}, std::tuple{"pages.jsonl", "pages/pages.jsonl", &pages}}) {
    resources.push_back({{"name", name}, {"path", path}, {"hash", "sha256:" + sha256_hex(*bytes)}, {"bytes", bytes->size()}});
    NETSAMPLE_TRY(wacz.add_bytes(path, *bytes, true));
  }
  json package = {{"profile", "data-package"}, {"wacz_version", "1.1.1"}, {"title", title}, {"created", warc::format_warc_date(now)},
                  {"software", "netsample"}, {"resources", resources}};
  if (!main_url.empty()) package["mainPageURL"] = main_url, package["mainPageDate"] = main_date;
  const std::string package_text = package.dump(2) + "\n";
  NETSAMPLE_TRY(wacz.add_bytes("datapackage.json", package_text, true));
  NETSAMPLE_TRY(wacz.add_bytes("datapackage-digest.json", json{{"path", "datapackage.json"}, {"hash", "sha256:" + sha256_hex(package_text)}}.dump(2) + "\n", true));
  NETSAMPLE_TRY(wacz.close([](double) {}));
  return page_count;
}

}  // namespace netsample::bundle
