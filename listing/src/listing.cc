#include "netsample/listing/listing.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <set>

#include "netsample/core/file_io.h"
#include "netsample/core/sha256.h"
#include "netsample/ocr/ocr.h"

namespace netsample::listing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string stamp_for_file(UtcTime t) {
  std::string s = warc::format_warc_date(t);  // 2026-12-05T03:20:01.123Z
  for (char& c : s)
    if (c == ':' || c == '.') c = '-';
  return s;
}

std::string host_of(const std::string& url) {
  const size_t scheme = url.find("://");
  std::string host = scheme == std::string::npos ? url : url.substr(scheme + 3);
  return host.substr(0, host.find_first_of("/:?#"));
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The service reaches no address of its own machine or network (it fetches for its users), except a platform
// served on this machine (the demo shop): asked for by one of its own hosts and reached on loopback, so that no
// other name that resolves inward borrows the exemption.
std::function<std::string(const std::string&, const std::string&)> refuse_internal(const workflow::PlatformRegistry& platforms) {
  std::set<std::string> local_hosts;
  for (const auto& p : platforms.all())
    if (p.local)
      for (const auto& host : p.hosts) local_hosts.insert(lower(host));
  return [local_hosts](const std::string& host, const std::string& ip) -> std::string {
    if (!crawler::is_internal_address(ip)) return "";
    if (local_hosts.count(lower(host)) && crawler::is_loopback_address(ip)) return "";
    return "地址 " + ip + "（" + host + "）属于本机或内部网络：服务不代为抓取（platforms.json 中标为本机的平台除外：以其主机名在本机回环地址上）";
  };
}

// The platform whose registrable domain the host is or ends with.
std::string platform_of(const workflow::PlatformRegistry& platforms, const std::string& url) {
  const std::string host = host_of(url);
  for (const auto& p : platforms.all())
    for (const auto& domain : p.hosts)
      if (host == domain || host.ends_with("." + domain)) return p.code;
  return "";
}

// The start of a long address for a message (a data: URI can be a whole picture), cut between UTF-8 characters.
std::string shortened(const std::string& url) {
  if (url.size() <= 80) return url;
  size_t cut = 80;
  while (cut > 0 && (static_cast<unsigned char>(url[cut]) & 0xC0) == 0x80) --cut;
  return url.substr(0, cut) + "…";
}

// A licence picture the page shows: captured in the same session (so it is evidence too) and read by OCR, the
// text kept beside it in the WARC and its fields filled in. A picture that cannot be fetched or read is the
// picture's problem; only what ends the session (the WARC, the audit chain) is an Error.
Result<PictureRead> read_picture(crawler::CaptureSession& session, extract::Extraction& extraction, const extract::ImageToRead& image) {
  PictureRead picture{image.url, "", 0, "", ""};
  // The address is the page's word: a data: URI or another scheme is nothing a capture fetches.
  if (!crawler::check_url(image.url).ok()) {
    picture.problem = "营业执照图片未能取得：图片地址不是 http 或 https 网址（" + shortened(image.url) + "）";
    return picture;
  }
  NETSAMPLE_ASSIGN(crawler::Capture fetched, session.capture(image.url));
  if (fetched.refused_by_robots || fetched.refused_address || fetched.status < 200 || fetched.status >= 300 || fetched.body.empty()) {
    picture.problem = "营业执照图片未能取得：" + (fetched.error.empty() ? "HTTP " + std::to_string(fetched.status) : fetched.error);
    return picture;
  }
  // The body as received, still as its Content-Encoding made it (the WARC keeps it so): undone for OCR.
  auto picture_bytes = extract::decode_content(fetched.body, fetched.content_encoding);
  if (!picture_bytes.ok()) {
    picture.problem = "营业执照图片无法解压：" + picture_bytes.error().message;
    return picture;
  }
  auto text = ocr::read_text(*picture_bytes);
  if (!text.ok()) {
    picture.problem = "营业执照图片无法识别：" + text.error().message;
    return picture;
  }
  picture.engine = text->engine;
  picture.confidence = text->mean_confidence;
  picture.text = text->text;
  extract::fill_from_licence(extraction, image, extract::read_licence_text(text->text));
  if (!fetched.hops.empty()) {
    NETSAMPLE_TRY(status_of(session.annotate(fetched.hops.back().response_id, image.url,
                                             {{"purpose", "ocr"}, {"read_as", image.read}, {"engine", picture.engine},
                                              {"mean_confidence", picture.confidence}, {"text", picture.text}})));
  }
  return picture;
}

// Not honouring robots.txt needs a reason, named as the command line takes it (the capture session's own check
// would name an internal field).
Status check_robots_reason(bool honour_robots, const std::string& reason) {
  if (honour_robots || !reason.empty()) return {};
  return make_error(ErrorCode::missing_field, "--robots-reason", "不遵守 robots.txt（--ignore-robots）时须写明理由（每次抓取都会记录）");
}

// The request as a whole, checked before anything is captured: every address one a capture takes (a bad `also`
// must not fail the crawl after the first page was kept and audited), and a reason where robots.txt is not honoured.
Status check_request(const CrawlRequest& request) {
  NETSAMPLE_TRY(check_robots_reason(request.honour_robots, request.robots_reason));
  NETSAMPLE_TRY(crawler::check_url(request.url));
  for (size_t i = 0; i < request.also.size(); ++i)
    if (const Status usable = crawler::check_url(request.also[i]); !usable.ok())
      return make_error(usable.error().code, "also[" + std::to_string(i) + "]", usable.error().message + "（命令行 --also）");
  return {};
}

}  // namespace

std::optional<Error> CrawlOutcome::failure() const {
  const crawler::Capture& capture = page.capture;
  if (capture.refused_by_robots || capture.refused_address) return make_error(ErrorCode::refused_by_rule, "url", capture.error);
  if (capture.status < 200 || capture.status >= 300)
    return make_error(ErrorCode::network, "url", capture.error.empty() ? "页面应答 HTTP " + std::to_string(capture.status) : capture.error);
  return std::nullopt;
}

std::vector<std::pair<std::string, extract::FieldValue>> CrawlOutcome::fields() const {
  std::vector<std::pair<std::string, extract::FieldValue>> out;
  auto add = [&](const PageRead& p) {
    if (!p.extraction) return;
    for (const auto& f : p.extraction->fields)
      if (std::none_of(out.begin(), out.end(), [&](const auto& o) { return o.first == f.first; })) out.push_back(f);
  };
  add(page);
  for (const auto& p : also) add(p);
  return out;
}

json PageRead::to_json() const {
  json out = capture.to_json();
  if (extraction) out["extraction"] = extraction->to_json();
  if (!extraction_problem.empty()) out["extraction_problem"] = extraction_problem;
  for (const auto& p : pictures) {
    json item = {{"url", p.url}, {"engine", p.engine}, {"confidence", p.confidence}, {"text", p.text}};
    if (!p.problem.empty()) item["problem"] = p.problem;
    out["pictures"].push_back(item);
  }
  return out;
}

json CrawlOutcome::to_json() const {
  json out = page.to_json();
  for (const auto& p : also) out["also"].push_back(p.to_json());
  out["warc"] = warc.string();
  out["records"] = records;
  if (evidence) out["evidence"] = {{"id", evidence->id}, {"sha256", evidence->sha256}, {"size", evidence->size}};
  out["checks"] = json::array();
  for (const auto& c : checks) out["checks"].push_back(c.to_json());
  out["sha256"] = warc_sha256;
  if (time_check)
    out["time_check"] = {{"server", time_check->server}, {"offset_us", time_check->offset_us}, {"delay_us", time_check->delay_us},
                         {"stratum", time_check->stratum}, {"at", format_iso8601_beijing(time_check->trusted_receive())}};
  out["timestamps"] = json::array();
  for (const auto& [file, token] : stamps)
    out["timestamps"].push_back({{"file", file.string()}, {"url", token.url}, {"time", format_iso8601_beijing(token.gen_time)}, {"serial", token.serial_hex}});
  out["time_problems"] = time_problems;
  out["case_fields"] = case_fields(*this);
  return out;
}

// One page of the session: captured, its fields read by the platform's adapter from the page as decoded for
// reading (the WARC keeps the bytes), then the licence pictures it shows (read_picture).
Result<PageRead> PageChecks::read_page(crawler::CaptureSession& session, const extract::Adapters& adapters, const std::string& url,
                                       const std::string& platform) {
  PageRead out;
  NETSAMPLE_ASSIGN(out.capture, session.capture(url));
  if (!out.capture.body.empty()) {
    const std::string code = platform.empty() ? platform_of(platforms_, out.capture.final_url) : platform;
    const extract::Adapter* adapter = code.empty() ? nullptr : adapters.find(code);
    if (!adapter) {
      out.extraction_problem = code.empty() ? "网址不属于 platforms.json 中的任何平台（请指定平台代码：命令行 --platform，服务接口 platform）" : "平台 " + code + " 没有适配规则（数据目录的 adapters/" + code + ".json）";
    } else if (auto page = extract::decode_page(out.capture.body, out.capture.content_type, out.capture.content_encoding); !page.ok()) {
      out.extraction_problem = page.error().message;
    } else if (auto read = extract::extract(*adapter, out.capture.final_url, *page); !read.ok()) {
      out.extraction_problem = read.error().message;
    } else {
      out.extraction = std::move(read).value();
      if (!page->problem.empty()) out.extraction->problems.push_back(page->problem);
    }
  }
  if (!out.extraction) return out;
  for (const auto& image : std::vector<extract::ImageToRead>(out.extraction->images)) {
    NETSAMPLE_ASSIGN(PictureRead picture, read_picture(session, *out.extraction, image));
    if (!picture.problem.empty()) out.extraction->problems.push_back(picture.problem);
    out.pictures.push_back(std::move(picture));
  }
  return out;
}

PageChecks::PageChecks(store::Store& store, workflow::CaseRegistry& cases, const workflow::PlatformRegistry& platforms,
                       fs::path data_dir, extract::Region region)
    : store_(store), cases_(cases), platforms_(platforms), data_dir_(std::move(data_dir)), region_(std::move(region)) {}

Result<std::optional<extract::Check>> PageChecks::art22(const std::vector<std::pair<std::string, extract::FieldValue>>& fields) {
  std::map<std::string, std::string> v;
  for (const auto& [name, value] : fields) v[name] = value.value;
  if (!v.count("title")) return std::optional<extract::Check>{};
  for (const char* needed : {"producer", "standard", "trademark", "model"})
    if (!v.count(needed))
      return std::optional<extract::Check>{{22, "unknown", "需要标称生产者、执行标准、商标和型号才能判断六个月内是否已由市级抽查（页面缺“" + std::string(needed) + "”）"}};
  NETSAMPLE_ASSIGN(std::optional<workflow::EarlierSampling> earlier,
                   cases_.earlier_city_sampling(v["producer"], v["standard"], v["trademark"], v["model"]));
  if (earlier)
    return std::optional<extract::Check>{{22, "sign", "市级已于 " + earlier->from + " 抽查同一生产者、标准、商标、型号的产品（任务 " + earlier->number +
                                                          "），至 " + earlier->until + " 区县级不得重复抽查（跟踪抽查、应对突发事件除外）"}};
  return std::optional<extract::Check>{{22, "pass", "六个月内没有市级抽查过同一生产者、标准、商标、型号的产品"}};
}

Result<CrawlOutcome> PageChecks::crawl(const CrawlRequest& request) {
  NETSAMPLE_TRY(check_request(request));
  std::optional<std::int64_t> case_id;
  if (!request.case_number.empty()) {
    NETSAMPLE_ASSIGN(workflow::CaseView view, cases_.show(request.case_number));
    case_id = view.id;
  }
  const fs::path dir = data_dir_ / "captures" / (request.case_number.empty() ? "unassigned" : request.case_number);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error(ErrorCode::io, dir.string(), "无法创建抓取目录：" + ec.message());
  CrawlOutcome out;
  out.warc = dir / (stamp_for_file(SystemClock().now()) + ".warc.gz");

  // The network time check first: every metadata record then carries its exchange's trusted time.
  for (const auto& server : request.ntp) {
    auto sample = SntpClient().query(server);
    if (!sample.ok()) out.time_problems.push_back("网络校时失败（" + server.name() + "）：" + sample.error().message);
    else if (!out.time_check || sample->delay_us < out.time_check->delay_us) out.time_check = *sample;
  }
  if (!out.time_check) out.time_problems.push_back("抓取未经网络校时：时间以本机时钟为准（可指定 NTP 服务器）");

  crawler::CaptureOptions options;
  options.time_check = out.time_check;
  options.honour_robots = request.honour_robots;
  options.robots_override_reason = request.robots_reason;
  options.ca_file = request.ca_file;
  if (request.public_addresses_only) options.refuse_address = refuse_internal(platforms_);
  if (case_id) {
    const std::string file_name = out.warc.filename().string();
    options.on_record = [this, &request, file_name](const warc::WrittenRecord& r) -> Status {
      json payload = {{"warc", file_name}, {"record", r.id}, {"type", r.type}, {"block_digest", r.block_digest}};
      if (!r.target_uri.empty()) payload["uri"] = r.target_uri;
      if (r.payload_digest) payload["payload_digest"] = *r.payload_digest;
      return store_.write([&]() -> Status {
        return status_of(store_.audit().append({request.actor, "capture.record", request.case_number, payload}, store_.clock().now()));
      });
    };
  }
  std::vector<std::pair<std::string, std::string>> info = {{"operator", request.actor}};
  if (!request.case_number.empty()) info.push_back({"case", request.case_number});
  NETSAMPLE_ASSIGN(auto session, crawler::CaptureSession::open(out.warc, options, info));
  NETSAMPLE_ASSIGN(extract::Adapters adapters, extract::Adapters::load(data_dir_));
  NETSAMPLE_ASSIGN(out.page, read_page(*session, adapters, request.url, request.platform));
  for (const auto& url : request.also) {
    NETSAMPLE_ASSIGN(PageRead more, read_page(*session, adapters, url, request.platform));
    out.also.push_back(std::move(more));
  }
  NETSAMPLE_TRY(session->close());
  out.records = session->records().size();
  if (case_id) {
    NETSAMPLE_ASSIGN(store::EvidenceItem item, store_.add_evidence(*case_id, request.case_number, out.warc, "web_capture", request.actor));
    out.evidence = item;
  }
  // The closed WARC stamped by every TSA given (RFC 3161 over its SHA-256), as a recording's manifest is.
  NETSAMPLE_ASSIGN(Sha256Digest digest, sha256_file(out.warc));
  out.warc_sha256 = to_hex(digest);
  HttpClient http;
  for (const auto& url : request.tsa_urls) {
    auto token = TsaClient(http).stamp(url, digest);
    if (!token.ok()) {
      out.time_problems.push_back("时间戳服务 " + url + " 未盖章：" + token.error().message);
      continue;
    }
    const fs::path file = out.warc.string() + (out.stamps.empty() ? "" : "." + std::to_string(out.stamps.size() + 1)) + ".tsr";
    NETSAMPLE_TRY(write_file_atomic(file, token->response_der));
    const json payload = {{"warc", out.warc.filename().string()}, {"sha256", out.warc_sha256}, {"tsa", url},
                          {"time", warc::format_warc_date(token->gen_time)}, {"serial", token->serial_hex}, {"token", file.filename().string()}};
    if (case_id) {
      NETSAMPLE_TRY(status_of(store_.add_evidence(*case_id, request.case_number, file, "timestamp_token", request.actor)));
      NETSAMPLE_TRY(store_.write([&]() -> Status {
        return status_of(store_.audit().append({request.actor, "capture.stamp", request.case_number, payload}, store_.clock().now()));
      }));
    }
    out.stamps.push_back({file, *token});
  }
  if (request.tsa_urls.empty()) out.time_problems.push_back("抓取文件没有可信时间戳（可指定 RFC 3161 时间戳服务）");
  // The checks on what all pages said together: the listing names the producer, the licence the operator.
  if (out.page.extraction || std::any_of(out.also.begin(), out.also.end(), [](const PageRead& p) { return p.extraction.has_value(); })) {
    NETSAMPLE_ASSIGN(std::vector<extract::RegulatedCategory> regulated, extract::load_regulated_categories(data_dir_));
    const auto all = out.fields();
    out.checks = extract::check_fields(all, region_, regulated);
    std::vector<const PageRead*> pages = {&out.page};
    for (const auto& p : out.also) pages.push_back(&p);
    for (const PageRead* p : pages)
      if (p->extraction)
        if (auto licence = extract::check_licence_page(*p->extraction)) out.checks.push_back(*licence);
    NETSAMPLE_ASSIGN(std::optional<extract::Check> art22_check, art22(all));
    if (art22_check) out.checks.push_back(*art22_check);
  }
  // The summary beside the WARC; with a case, its evidence too (the case page reads it back).
  if (case_id) {
    json summary = out.to_json();
    summary["warc"] = out.warc.filename().string();
    summary["captured"] = format_iso8601_beijing(SystemClock().now());
    summary["actor"] = request.actor;
    for (auto& t : summary["timestamps"]) t["file"] = fs::path(t["file"].get<std::string>()).filename().string();
    const fs::path file = out.warc.string() + ".json";
    NETSAMPLE_TRY(write_file_atomic(file, summary.dump(2)));
    NETSAMPLE_TRY(status_of(store_.add_evidence(*case_id, request.case_number, file, "capture_summary", request.actor)));
  }
  return out;
}

json SearchOutcome::to_json() const {
  json out = capture.to_json();
  out["warc"] = warc.string();
  out["candidates"] = json::array();
  for (const auto& c : candidates) out["candidates"].push_back(c.to_json());
  if (!problem.empty()) out["problem"] = problem;
  return out;
}

Result<SearchOutcome> PageChecks::search(const SearchRequest& request) {
  if (request.query.empty()) return make_error(ErrorCode::missing_field, "query", "须给出搜索词");
  NETSAMPLE_TRY(check_robots_reason(request.honour_robots, request.robots_reason));
  NETSAMPLE_ASSIGN(extract::Adapters adapters, extract::Adapters::load(data_dir_));
  const extract::Adapter* adapter = adapters.find(request.platform);
  if (!adapter) return make_error(ErrorCode::not_found, "platform", "平台 " + request.platform + " 没有适配规则（数据目录的 adapters/" + request.platform + ".json）");
  NETSAMPLE_ASSIGN(std::string url, extract::search_url(*adapter, request.base, request.query));
  const fs::path dir = data_dir_ / "captures" / "searches";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error(ErrorCode::io, dir.string(), "无法创建抓取目录：" + ec.message());
  SearchOutcome out;
  out.warc = dir / (stamp_for_file(SystemClock().now()) + ".warc.gz");
  crawler::CaptureOptions options;
  options.honour_robots = request.honour_robots;
  options.robots_override_reason = request.robots_reason;
  NETSAMPLE_ASSIGN(auto session, crawler::CaptureSession::open(out.warc, options, {{"operator", request.actor}, {"search", request.query}}));
  NETSAMPLE_ASSIGN(out.capture, session->capture(url));
  NETSAMPLE_TRY(session->close());
  if (out.capture.body.empty()) {
    out.problem = out.capture.error.empty() ? "搜索页没有内容" : out.capture.error;
    return out;
  }
  NETSAMPLE_ASSIGN(extract::DecodedPage page, extract::decode_page(out.capture.body, out.capture.content_type, out.capture.content_encoding));
  NETSAMPLE_ASSIGN(out.candidates, extract::read_search(*adapter, out.capture.final_url, page));
  return out;
}

Result<std::vector<json>> PageChecks::of_case(const std::string& case_number) {
  NETSAMPLE_ASSIGN(std::vector<store::EvidenceItem> items, store_.list_evidence(case_number));
  std::map<std::string, std::int64_t> by_name;
  for (const auto& item : items) by_name[item.name] = item.id;
  std::vector<json> out;
  for (const auto& item : items) {
    if (item.kind != "capture_summary") continue;
    NETSAMPLE_ASSIGN(std::string text, store_.evidence().read(item.sha256));
    json summary = json::parse(text, nullptr, false);
    if (!summary.is_object()) return make_error(ErrorCode::integrity, item.name, "抓取摘要不是 JSON：存证文件可能已损坏");
    summary["summary_evidence"] = item.id;
    // Read as stored evidence is read: a field of another type (an edited file) is no name, never an exception.
    const auto name_at = [](const json& object, const char* key) {
      const auto it = object.find(key);
      return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    const std::string warc_name = name_at(summary, "warc");
    if (by_name.count(warc_name)) summary["warc_evidence"] = by_name[warc_name];
    if (summary.contains("timestamps") && summary["timestamps"].is_array())
      for (auto& t : summary["timestamps"])
        if (t.is_object() && by_name.count(name_at(t, "file"))) t["evidence"] = by_name[name_at(t, "file")];
    out.push_back(std::move(summary));
  }
  return out;
}

json case_fields(const CrawlOutcome& outcome) {
  // extraction field → the plan's path
  static const std::pair<const char*, const char*> paths[] = {
      {"title", "product.name"},           {"trademark", "product.trademark"}, {"model", "product.model"},
      {"category", "product.category"},    {"standard", "product.standard"},   {"shop_name", "shop.name"},
      {"producer", "producer.name"},       {"producer_address", "producer.address"},
      {"operator_company", "operator.name"}, {"operator_address", "operator.address"},
  };
  json out = json::object();
  std::vector<const PageRead*> pages = {&outcome.page};
  for (const auto& p : outcome.also) pages.push_back(&p);
  for (const PageRead* page : pages) {
    if (!page->extraction) continue;
    const auto& e = *page->extraction;
    if (e.page_kind == "listing" && !out.contains("shop.listing_url")) {
      out["shop.listing_url"] = page->capture.final_url;
      out["platform"] = e.platform;
    }
    for (const auto& [field, value] : e.fields)
      for (const auto& [from, to] : paths)
        if (field == from && !out.contains(to)) out[to] = value.value;
  }
  return out;
}

}  // namespace netsample::listing
