#include <chrono>
#include <deque>
#include <fstream>
#include <map>
#include <set>

#include "netsample/bundle/bundle.h"
#include "netsample/core/file_io.h"
#include "netsample/core/long_term.h"
#include "netsample/core/sha256.h"
#include "netsample/documents/document.h"
#include "netsample/purchase/session.h"
#include "netsample/review/review.h"
#include "netsample/sync/sync.h"
#include "netsample/unboxing/video.h"
#include "json_text.h"
#include "wacz.h"
#include "netsample/zip/zip.h"

namespace netsample::bundle {
namespace {

namespace fs = std::filesystem;
using zip::ZipWriter;
using nlohmann::json;

struct RecordingDir {
  std::string id, kind;
  fs::path dir;
  std::string video;
  json session;
};

// Files whose bytes are already compressed gain nothing from deflate.
bool worth_compressing(const std::string& name) {
  for (const char* suffix : {".mp4", ".png", ".jpg", ".pdf", ".tsr", ".zip"})
    if (name.size() >= std::strlen(suffix) && name.compare(name.size() - std::strlen(suffix), std::string::npos, suffix) == 0) return false;
  return true;
}

std::string readme(const std::string& number, const std::string& exported) {
  return "网络抽样证据包\n"
         "==============\n\n"
         "抽样任务：" + number + "\n"
         "导出时间：" + exported + "（北京时间）\n\n"
         "本证据包由 netsample 导出，供接收单位在任何一台电脑上独立核验，无需数据库、无需联网。\n\n"
         "目录\n"
         "  bundle.json          索引：每个文件的名称、大小与 SHA-256 哈希\n"
         "  report/证据保全报告.pdf  证据保全报告：任务、每段录像的哈希、时间、校时来源、可信时间戳、步骤与静帧、校验结果\n"
         "  case/case.json       抽样任务记录、人员、法定期限、应送达的通知、流程事件\n"
         "  recordings/<编号>/    每段录像（买样录屏、拆封录像）原样：视频、哈希链日志、清单、时间戳令牌（.tsr）、步骤静帧\n"
         "  tsa/trust.pem        签发时间戳令牌的时间戳服务机构证书\n"
         "  documents/           其他证据：抽样文书、封样照片、通知文书等\n"
         "  tracking/            快递运单与物流轨迹\n"
         "  notices/             书面通知、收件方、送达记录与回执\n"
         "  review/              审看人员的审看意见与结论\n"
         "  audit/               本任务的审计记录（每条可独立复算哈希）及整条审计链的链接与链头；\n"
         "                       stamps.json：时间戳服务对审计链头（及其默克尔根）的时间戳，与本任务每条记录的默克尔路径\n\n"
         "核验方法\n"
         "  netsample verify 本文件.zip [--trust 本单位信任的时间戳服务机构证书.pem]\n"
         "  全部通过时退出码为 0；否则逐项列出不符之处（被改动的文件、缺少的文件、被修改的审计记录、不可信的时间戳令牌）。\n"
         "  也可不用 netsample：用任何 SHA-256 工具（如 sha256sum）逐个核对 bundle.json 中的哈希；\n"
         "  用 openssl ts -verify 核验 .tsr 令牌（-data 为对应的清单或日志，-CAfile 为 tsa/trust.pem）。\n\n"
         "依据：《重庆市产品质量监督抽查实施办法（试行）》第三十五条（购买全过程连续录像、网络校时）、\n"
         "第三十六条（拆封录像）、第四十七条（记录保存六年）。\n";
}

Result<std::vector<RecordingDir>> recordings_of(runtime::Runtime& runtime, const std::string& number) {
  std::vector<RecordingDir> out;
  NETSAMPLE_ASSIGN(auto purchases, runtime.purchases().of_case(number));
  for (const auto& s : purchases) out.push_back({"purchase-" + std::to_string(s.id), "purchase", s.recording_dir, "recording.mp4", s.to_json()});
  NETSAMPLE_ASSIGN(auto unboxings, runtime.unboxings().of_case(number));
  for (const auto& u : unboxings) out.push_back({"unboxing-" + std::to_string(u.id), "unboxing", u.recording_dir, u.video, u.to_json()});
  return out;
}

std::string short_hash(const std::string& hash) { return hash.substr(0, 16) + "…"; }

// Removes its files when it goes, whether the export succeeded or not; a file already gone is no matter.
struct RemoveOnExit {
  std::vector<fs::path> files;
  ~RemoveOnExit() {
    std::error_code ec;
    for (const auto& f : files) fs::remove(f, ec);
  }
};

Result<std::uint64_t> size_of(const fs::path& file) {
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(file, ec);
  if (ec) return make_error(ErrorCode::io, file.string(), "无法读取文件大小：" + ec.message());
  return static_cast<std::uint64_t>(size);
}

// A file of the documents: one that is evidence (named by its SHA-256, its bytes in the evidence store) or one made
// from the case's records (its text inline).
json stored_entry(const std::string& name, const store::EvidenceItem& item) {
  return {{"name", name}, {"sha256", item.sha256}, {"size", item.size}, {"kind", item.kind}, {"evidence_id", item.id}};
}
json made_entry(const std::string& name, const std::string& text, const std::string& kind) {
  return {{"name", name}, {"sha256", sha256_hex(text)}, {"size", text.size()}, {"kind", kind}, {"evidence_id", nullptr}, {"text", text}};
}

Result<json> documents_unguarded(runtime::Runtime& runtime, const std::string& number) {
  store::Store& store = runtime.store();
  NETSAMPLE_ASSIGN(workflow::CaseView view, runtime.cases().show(number));
  json files = json::array();
  std::set<std::string> names;
  auto add = [&](json entry) {
    if (names.insert(entry["name"].get<std::string>()).second) files.push_back(std::move(entry));
  };

  // Recordings as the recorder left them, by their stored copies' hashes.
  NETSAMPLE_ASSIGN(std::vector<RecordingDir> recordings, recordings_of(runtime, number));
  NETSAMPLE_ASSIGN(std::vector<store::EvidenceItem> evidence, store.list_evidence(number));
  std::set<std::int64_t> placed;
  json recording_index = json::array();
  json report_recordings = json::array();
  auto report_row = [&](const std::string& label, const std::string& value) { report_recordings.push_back({label, value}); };
  for (const auto& r : recordings) {
    std::error_code ec;
    if (!fs::is_directory(r.dir, ec)) continue;
    const std::string prefix = "recordings/" + r.id + "/";
    json stored_rows = json::array();
    for (auto it = fs::recursive_directory_iterator(r.dir, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec || !it->is_regular_file()) continue;
      NETSAMPLE_ASSIGN(std::optional<store::EvidenceItem> item, store.find_evidence(number, it->path()));
      if (!item) continue;  // a file never stored (a recording still running) is no evidence
      const std::string relative = fs::relative(it->path(), r.dir).generic_string();
      add(stored_entry(prefix + relative, *item));
      placed.insert(item->id);
      if (relative.rfind("stills/", 0) != 0 && relative.rfind("labels/", 0) != 0)
        stored_rows.push_back({relative, "SHA-256 " + item->sha256 + "，" + std::to_string(item->size) + " 字节"});
    }
    add(made_entry(prefix + "session.json", r.session.dump(2) + "\n", "session"));
    // Verified now, on this machine, for the report; the receiver verifies again from the bundle.
    json check = nullptr;
    if (auto checked = unboxing::verify_recording_dir(r.dir, runtime.tsa_trust_store()); checked.ok())
      check = {{"ok", checked->ok}, {"text", checked->text}, {"report", checked->report}};
    recording_index.push_back({{"id", r.id}, {"kind", r.kind}, {"dir", prefix}, {"video", r.video}, {"verified_at_export", check}});

    // The evidence report's rows for this recording.
    const std::string title = (r.kind == "purchase" ? "买样录像 " : "拆封录像 ") + r.id;
    report_row(title, r.kind == "purchase" ? "购买全过程的连续录屏（第三十五条）" : "拆封过程的录像（第三十六条）");
    for (const auto& row : stored_rows) report_recordings.push_back(row);
    if (stored_rows.empty()) report_row(title + " 文件", "（未存为证据）");
    const json& s = r.session;
    std::string times = "开始 " + text_of(s, "started") + "，结束 " + (s.contains("finished") && s["finished"].is_string() ? s["finished"].get<std::string>() : std::string("—"));
    if (check.is_object() && check["report"].is_object()) {
      const json& rep = check["report"];
      if (rep.contains("duration_s")) times += "，时长 " + std::to_string(rep.value("duration_s", 0.0)).substr(0, 6) + " 秒";
      if (rep.contains("frames")) times += "，帧数 " + std::to_string(rep.value("frames", 0));
    }
    report_row("时间", times);
    if (r.kind == "purchase") {
      auto manifest_item = store.find_evidence(number, r.dir / "manifest.json");
      if (manifest_item.ok() && *manifest_item) {
        auto text = store.evidence().read((*manifest_item)->sha256);
        const json manifest = text.ok() ? json::parse(*text, nullptr, false) : json();
        if (manifest.is_object()) {
          std::string source = "网络校时：";
          for (const auto& sample : manifest["time"].value("samples", json::array()))
            source += text_of(sample, "server") + "（层级 " + std::to_string(sample.value("stratum", 0)) + "，偏差 " +
                      std::to_string(sample.value("offset_us", 0)) + " 微秒） ";
          source += "\n可信时间戳服务：";
          for (const auto& url : manifest["timestamp"].value("tsa_urls", json::array()))
            if (url.is_string()) source += url.get<std::string>() + " ";
          report_row("时间来源", source);
        }
      }
    }
    std::string steps;
    for (const auto& step : s.value("steps", json::array()))
      steps += text_of(step, "step") + "  " + (text_of(step, "at").empty() ? text_of(step, "time") : text_of(step, "at")) + "  静帧 " +
               text_of(step, "still") + "（SHA-256 " + short_hash(text_of(step, "still_sha256") + "0000000000000000") + "）\n";
    report_row("步骤与静帧", steps.empty() ? "（无）" : steps);
    report_row("校验结果", check.is_object() ? (check["ok"].get<bool>() ? "通过：" : "未通过：") + text_of(check, "text") : "（未能校验）");
  }
  json warcs = json::array();
  for (const auto& item : evidence) {
    if (!placed.count(item.id)) add(stored_entry("documents/" + item.kind + "/" + std::to_string(item.id) + "-" + item.name, item));
    if (item.kind == "web_capture") warcs.push_back({{"name", std::to_string(item.id) + "-" + item.name}, {"sha256", item.sha256}});
  }

  // The TSAs' certificates the tokens were checked against here (named with --trust, or /etc/netsample's), so that
  // they can be checked where the bundle goes; not the whole system CA list.
  const fs::path trust = runtime.tsa_trust().file;
  if (fs::exists(trust) && trust != "/etc/ssl/certs/ca-certificates.crt") {
    NETSAMPLE_ASSIGN(std::string pem, read_file(trust));
    add(made_entry("tsa/trust.pem", pem, "tsa_certificates"));
  }

  // The case, its events, tracking, notices, reviews.
  json case_json = view.to_json();
  NETSAMPLE_ASSIGN(auto history, runtime.lifecycle().history(number));
  case_json["history"] = json::array();
  for (const auto& e : history) case_json["history"].push_back(e.to_json());
  add(made_entry("case/case.json", case_json.dump(2) + "\n", "case"));
  if (auto tracker = runtime.tracker(); tracker.ok()) {
    NETSAMPLE_ASSIGN(auto parcels, (*tracker)->of_case(number));
    json list = json::array();
    for (const auto& p : parcels) list.push_back(p.to_json());
    add(made_entry("tracking/tracking.json", json{{"case", number}, {"parcels", list}}.dump(2) + "\n", "tracking"));
  }
  NETSAMPLE_ASSIGN(auto deliveries, runtime.deliveries());
  NETSAMPLE_ASSIGN(auto notices, deliveries->statuses(number));
  json notice_list = json::array();
  for (const auto& n : notices) notice_list.push_back(n.to_json());
  add(made_entry("notices/notices.json", json{{"case", number}, {"notices", notice_list}}.dump(2) + "\n", "notices"));
  review::Reviews reviews(store, runtime.lifecycle());
  NETSAMPLE_ASSIGN(json review_json, reviews.case_json(number));
  add(made_entry("review/review.json", review_json.dump(2) + "\n", "review"));

  NETSAMPLE_ASSIGN(std::vector<store::AuditStamp> stamps, store.audit().stamps());
  const json report_head = json::array({
      json::array({"抽样任务", number + "　" + view.record.product_name + "（" + view.record.trademark + " " + view.record.model + "）"}),
      json::array({"网店", view.record.shop_name + "（平台 " + view.record.platform + "）"}),
      json::array({"任务状态", workflow::state_label(view.state)})});
  return json{{"format", kDocumentsFormat},
              {"case", number},
              {"read", format_iso8601_beijing(runtime.clock().now())},
              {"organizer", view.record.organizer},
              {"files", files},
              {"recordings", recording_index},
              {"warcs", warcs},
              {"report", {{"head", report_head}, {"recordings", report_recordings}}},
              {"stamps", stamps_json(stamps)}};
}

// The receiver of a bundle made from a station's documents must not be led astray by them: names stay inside the
// bundle's folders, and what is evidence is named by a SHA-256 the bundle then carries.
// A relative path of plain parts: no "", "." or ".." part, no leading "/", no backslash.
bool inside_bundle(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.find('\\') != std::string::npos) return false;
  size_t start = 0;
  for (;;) {
    const size_t end = name.find('/', start);
    const std::string part = name.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (end == std::string::npos) return true;
    start = end + 1;
  }
}

}  // namespace

Status check_documents(const json& documents) {
  if (!documents.is_object() || documents.value("format", "") != kDocumentsFormat)
    return make_error(ErrorCode::invalid_input, "documents", std::string("任务文书须为 ") + kDocumentsFormat + " 格式");
  for (const char* key : {"files", "recordings", "warcs"})
    if (!documents.contains(key) || !documents[key].is_array()) return make_error(ErrorCode::invalid_input, std::string("documents.") + key, "须为数组");
  std::set<std::string> names;
  for (const auto& f : documents["files"]) {
    const std::string name = text_of(f, "name");
    const std::string where = "documents.files[" + name + "]";
    if (!inside_bundle(name) || name == kIndexFile || name.rfind("audit/", 0) == 0 ||
        name.rfind("report/", 0) == 0 || name == "README.txt" || name == "web/pages.wacz" || !names.insert(name).second)
      return make_error(ErrorCode::invalid_input, where, "文件名须为证据包内未占用的相对路径");
    if (f.contains("text") ? !f["text"].is_string() : !sha256_from_hex(text_of(f, "sha256"), "sha256").ok())
      return make_error(ErrorCode::invalid_input, where, "须有文本（text），或为证据（sha256）");
  }
  return {};
}

namespace {

Result<ExportResult> write_unguarded(store::Store& store, const json& documents, const AuditMaterial& audit, const fs::path& out,
                                     const std::string& actor, const std::function<void(double)>& progress) {
  NETSAMPLE_TRY(check_documents(documents));
  const std::string number = text_of(documents, "case");
  const UtcTime now = store.clock().now();
  const std::string exported = format_iso8601_beijing(now);
  const fs::path temp = out.string() + ".part";
  const fs::path wacz_temp = out.string() + ".wacz.part";
  const fs::path report_pdf = out.parent_path() / (out.filename().string() + ".report.pdf");
  // However the export ends, no half-made file stays beside the bundle (temp is renamed away on success).
  const RemoveOnExit leftovers{{temp, wacz_temp, report_pdf}};
  // Evidence as files the zip reads when it is closed: the local store's own, or checked copies beside the bundle
  // (object storage), removed however the export ends. Declared before the zip: it dies after the zip is closed.
  std::deque<store::BlobFile> blob_files;
  auto stored_file = [&](const std::string& sha256) -> Result<fs::path> {
    NETSAMPLE_ASSIGN(store::BlobFile file, store::blob_file(store.evidence(), sha256, out.parent_path()));
    blob_files.push_back(std::move(file));
    return blob_files.back().path();
  };
  NETSAMPLE_ASSIGN(ZipWriter zip, ZipWriter::create(temp));
  json files = json::array();
  std::set<std::string> names;
  int count = 0;
  auto add_bytes = [&](const std::string& name, const std::string& bytes, const std::string& kind) -> Status {
    names.insert(name);
    files.push_back({{"name", name}, {"sha256", sha256_hex(bytes)}, {"size", bytes.size()}, {"kind", kind}, {"evidence_id", nullptr}});
    ++count;
    return zip.add_bytes(name, bytes, worth_compressing(name));
  };

  // The documents' files: evidence from the store (its bytes checked by hash), the rest as made from the records.
  for (const auto& f : documents["files"]) {
    const std::string name = f["name"];
    if (f.contains("text")) {
      NETSAMPLE_TRY(add_bytes(name, f["text"].get<std::string>(), text_of(f, "kind")));
      continue;
    }
    NETSAMPLE_ASSIGN(fs::path file, stored_file(f["sha256"]));
    NETSAMPLE_TRY(zip.add_file(name, file, worth_compressing(name)));
    json entry = f;
    files.push_back(std::move(entry));
    names.insert(name);
    ++count;
  }

  // The captured pages once more as a WACZ 1.1.1, which ReplayWeb.page opens (the WARCs themselves are above).
  std::vector<WarcFile> warcs;
  for (const auto& w : documents["warcs"]) {
    NETSAMPLE_ASSIGN(fs::path file, stored_file(text_of(w, "sha256")));
    warcs.push_back({text_of(w, "name"), file});
  }
  if (!warcs.empty()) {
    NETSAMPLE_TRY(status_of(write_wacz(warcs, wacz_temp, number + " 网页存证", now)));
    NETSAMPLE_ASSIGN(Sha256Digest wacz_digest, sha256_file(wacz_temp));
    NETSAMPLE_ASSIGN(std::uint64_t wacz_size, size_of(wacz_temp));
    names.insert("web/pages.wacz");
    files.push_back({{"name", "web/pages.wacz"}, {"sha256", to_hex(wacz_digest)}, {"size", wacz_size}, {"kind", "wacz"}, {"evidence_id", nullptr}});
    ++count;
    NETSAMPLE_TRY(zip.add_file("web/pages.wacz", wacz_temp, false));  // read when the bundle is closed
  }

  // The case's audit rows (each recomputable), and the links of the whole chain from its first row to the head,
  // so that a row cannot be removed or replaced without breaking a link the receiver checks.
  const std::vector<store::AuditRecord>& all_rows = audit.chain;
  json rows = json::array(), chain = json::array();
  for (const auto& row : all_rows) {
    chain.push_back({row.seq, row.prev_hash, row.hash});
    if (row.case_number == number) rows.push_back(store::to_json(row));
  }
  NETSAMPLE_TRY(add_bytes("audit/rows.json", rows.dump(1) + "\n", "audit_rows"));
  NETSAMPLE_TRY(add_bytes("audit/chain.json", json{{"genesis", store::kGenesisHash}, {"links", chain}}.dump() + "\n", "audit_chain"));
  NETSAMPLE_TRY(add_bytes("audit/witness.json", store::witness_json(audit.witness), "audit_witness"));
  // The newest stamp of each TSA that covers a Merkle root, with the audit path of every case row under it: the
  // receiver proves those rows unchanged since the TSA's time without any other case's rows (store/audit.h).
  std::map<std::string, const store::AuditStamp*> newest;
  for (const auto& stamp : audit.stamps)
    if (!stamp.merkle_root.empty() && stamp.head.seq <= static_cast<std::int64_t>(all_rows.size())) newest[stamp.tsa_url] = &stamp;
  std::vector<std::string> row_hashes;
  for (const auto& row : all_rows) row_hashes.push_back(row.hash);
  json stamp_list = json::array();
  for (const auto& [url, stamp] : newest) {
    const std::vector<std::string> covered(row_hashes.begin(), row_hashes.begin() + stamp->head.seq);
    json proofs = json::object();
    for (const auto& row : all_rows)
      if (row.case_number == number && row.seq <= stamp->head.seq)
        proofs[std::to_string(row.seq)] = store::audit_inclusion_proof(covered, static_cast<size_t>(row.seq - 1));
    stamp_list.push_back({{"seq", stamp->head.seq}, {"hash", stamp->head.hash}, {"merkle_root", stamp->merkle_root}, {"tsa", url},
                          {"stamped", format_iso8601_beijing(stamp->stamped)}, {"token", base64_encode(stamp->token_der)},
                          {"material", stamp->material.empty() ? json(nullptr) : json::parse(stamp->material, nullptr, false)}, {"proofs", proofs}});
  }
  NETSAMPLE_TRY(add_bytes("audit/stamps.json", json{{"stamps", stamp_list}}.dump(1) + "\n", "audit_stamps"));

  // The evidence report (证据保全报告).
  documents::Document report;
  report.title = "证据保全报告";
  report.subtitle = "（网络抽样 · 《重庆市产品质量监督抽查实施办法（试行）》第三十五、三十六、四十七条）";
  report.case_number = number;
  report.generated = now;
  NETSAMPLE_ASSIGN(documents::Organization organization, documents::load_organization(store.data_dir()));
  report.organization = organization.name.empty() ? text_of(documents, "organizer") : organization.name;
  auto report_rows = [&](const json& list) {
    if (!list.is_array()) return;
    for (const auto& row : list)
      if (row.is_array() && row.size() == 2 && row[0].is_string() && row[1].is_string()) report.rows.push_back({row[0], row[1]});
  };
  const json& report_parts = documents.contains("report") ? documents["report"] : json();
  report_rows(report_parts.value("head", json()));
  report.rows.push_back({"导出", format_beijing(now) + "，导出人 " + actor});
  if (!audit.station.empty())
    report.rows.push_back({"来源", "工作站 " + audit.station + "（任务记录读于 " + text_of(documents, "read") + "，审计记录为该站的审计链，中心收存时逐条核验）"});
  report_rows(report_parts.value("recordings", json()));
  const std::string chain_name = audit.station.empty() ? "审计链" : "工作站 " + audit.station + " 的审计链";
  report.rows.push_back({"审计记录", std::to_string(rows.size()) + " 条（audit/rows.json，每条可复算哈希），" + chain_name + "共 " + std::to_string(chain.size()) +
                                         " 条，链头 " + (all_rows.empty() ? std::string(store::kGenesisHash) : all_rows.back().hash)});
  report.rows.push_back({"核验", "netsample verify 本证据包.zip；或按 bundle.json 逐个核对 SHA-256，用 openssl ts -verify 核验时间戳令牌"});
  NETSAMPLE_TRY(documents::render_pdf(report, organization.seal_image, report_pdf));
  NETSAMPLE_ASSIGN(std::string report_bytes, read_file(report_pdf));
  NETSAMPLE_TRY(add_bytes("report/证据保全报告.pdf", report_bytes, "evidence_report"));
  NETSAMPLE_TRY(add_bytes("README.txt", readme(number, format_beijing(now)), "readme"));

  json index = {{"format", kFormat},          {"case", number},           {"exported", exported},
                {"exported_by", actor},       {"files", files},           {"recordings", documents["recordings"]},
                {"audit", {{"rows", "audit/rows.json"}, {"chain", "audit/chain.json"}, {"witness", "audit/witness.json"}, {"stamps", "audit/stamps.json"}}},
                {"trust", names.count("tsa/trust.pem") ? json("tsa/trust.pem") : json(nullptr)}};
  if (!audit.station.empty()) index["station"] = {{"id", audit.station}, {"documents_read", text_of(documents, "read")}};
  const std::string index_text = index.dump(1) + "\n";
  NETSAMPLE_TRY(zip.add_bytes(kIndexFile, index_text, true));
  NETSAMPLE_TRY(zip.close(progress));
  std::error_code ec;
  fs::rename(temp, out, ec);
  if (ec) return make_error(ErrorCode::io, out.string(), "无法写入证据包：" + ec.message());
  NETSAMPLE_ASSIGN(Sha256Digest digest, sha256_file(out));
  NETSAMPLE_ASSIGN(std::uint64_t size, size_of(out));
  ExportResult result{out, size, to_hex(digest), count};
  NETSAMPLE_TRY(store.write([&]() -> Status {
    json details = {{"index_sha256", sha256_hex(index_text)}, {"zip_sha256", result.sha256}, {"files", count}};
    if (!audit.station.empty()) details["station"] = audit.station;
    return status_of(store.audit().append({actor, "case.exported", number, details}, store.clock().now()));
  }));
  return result;
}

// This installation's own chain: the witness first, so that the chain read after it reaches at least as far
// (another process may append meanwhile).
Result<AuditMaterial> own_audit(store::Store& store) {
  AuditMaterial material;
  NETSAMPLE_ASSIGN(std::optional<store::AuditHead> witness, store.audit().read_witness());
  if (!witness) return make_error(ErrorCode::integrity, "audit", "审计链没有见证，无法导出可验证的证据包（netsample audit verify）");
  material.witness = *witness;
  NETSAMPLE_ASSIGN(material.chain, store.audit().records());
  NETSAMPLE_ASSIGN(material.stamps, store.audit().stamps());
  return material;
}

// A case a station sent: its latest documents, that station's chain as the centre holds it (its head the witness:
// every row in it was checked on receipt) and the stamps the station sent of its own head.
Result<std::optional<std::pair<json, AuditMaterial>>> station_case(store::Store& store, const std::string& number) {
  sync::StationCases cases(store);
  NETSAMPLE_ASSIGN(std::optional<sync::StationCase> latest, cases.latest(number));
  if (!latest) return std::optional<std::pair<json, AuditMaterial>>();
  AuditMaterial material;
  material.station = latest->station;
  NETSAMPLE_ASSIGN(material.chain, cases.chain(latest->station));
  if (material.chain.empty()) return make_error(ErrorCode::integrity, "audit", "中心没有工作站 " + latest->station + " 的审计链");
  material.witness = {material.chain.back().seq, material.chain.back().hash};
  NETSAMPLE_ASSIGN(material.stamps, stamps_from_json(latest->documents.value("stamps", json::array())));
  return std::optional<std::pair<json, AuditMaterial>>(std::in_place, std::move(latest->documents), std::move(material));
}

template <typename F>
auto guarded(const char* what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const json::exception& e) {
    return make_error(ErrorCode::internal, "export", std::string(what) + "：记录格式不符（" + e.what() + "）");
  } catch (const fs::filesystem_error& e) {
    return make_error(ErrorCode::io, e.path1().string(), std::string(what) + "：文件操作失败（" + e.what() + "）");
  } catch (const std::exception& e) {  // a library's exception ends the export as an error, never the service
    return make_error(ErrorCode::internal, "export", std::string(what) + "：" + e.what());
  }
}

}  // namespace

json stamps_json(const std::vector<store::AuditStamp>& stamps) {
  json list = json::array();
  for (const auto& s : stamps)
    list.push_back({{"seq", s.head.seq}, {"hash", s.head.hash}, {"tsa", s.tsa_url}, {"token", base64_encode(s.token_der)},
                    {"stamped_utc_us", to_utc_us(s.stamped)}, {"material", s.material}, {"merkle_root", s.merkle_root}});
  return list;
}

Result<std::vector<store::AuditStamp>> stamps_from_json(const json& list) {
  std::vector<store::AuditStamp> out;
  if (!list.is_array()) return make_error(ErrorCode::wrong_type, "stamps", "须为数组");
  for (const auto& s : list) {
    store::AuditStamp stamp;
    if (!s.is_object() || !s["seq"].is_number_integer() || !s["stamped_utc_us"].is_number_integer())
      return make_error(ErrorCode::invalid_input, "stamps", "每个时间戳须有 seq、hash、tsa、token、stamped_utc_us");
    stamp.head = {s["seq"].get<std::int64_t>(), text_of(s, "hash")};
    stamp.tsa_url = text_of(s, "tsa");
    NETSAMPLE_ASSIGN(stamp.token_der, base64_decode(text_of(s, "token"), "stamps.token"));
    stamp.stamped = from_utc_us(s["stamped_utc_us"].get<std::int64_t>());
    stamp.material = text_of(s, "material");
    stamp.merkle_root = text_of(s, "merkle_root");
    out.push_back(std::move(stamp));
  }
  return out;
}

Result<json> case_documents(runtime::Runtime& runtime, const std::string& number) {
  return guarded("任务文书无法生成", [&] { return documents_unguarded(runtime, number); });
}

void add_station_sources(runtime::Runtime& runtime, sync::SyncOptions& options) {
  options.case_documents = [&runtime](const std::string& number) { return case_documents(runtime, number); };
  options.live_recordings = [&runtime] {
    std::vector<sync::LiveSource> out;
    auto purchases = runtime.purchases().recording(std::nullopt);
    if (purchases.ok())
      for (const auto& s : *purchases) out.push_back({s.recording_dir, s.case_number});
    auto unboxings = runtime.unboxings().recording();
    if (unboxings.ok())
      for (const auto& u : *unboxings) out.push_back({u.recording_dir, u.case_number});
    return out;
  };
}

Result<ExportResult> export_case(runtime::Runtime& runtime, const std::string& number, const fs::path& out, const std::string& actor,
                                 const std::function<void(double)>& progress) {
  return guarded("证据包无法生成", [&]() -> Result<ExportResult> {
    store::Store& store = runtime.store();
    auto documents = documents_unguarded(runtime, number);
    if (documents.ok()) {
      NETSAMPLE_ASSIGN(AuditMaterial audit, own_audit(store));
      return write_unguarded(store, *documents, audit, out, actor, progress);
    }
    if (documents.error().code != ErrorCode::not_found || documents.error().field != "case") return documents.error();
    // Not a case of this installation: at the centre, one a station sent.
    NETSAMPLE_ASSIGN(auto sent, station_case(store, number));
    if (!sent) return documents.error();
    // What the centre's reviewers found on it, beside the station's own review/review.json. Their audit rows are in
    // the centre's chain (review.station_*), not in the station's this bundle carries.
    review::Reviews reviews(store, runtime.lifecycle());
    NETSAMPLE_ASSIGN(json at_centre, reviews.station_case_json(number));
    if (!at_centre["findings"].empty() || !at_centre["verdicts"].empty()) {
      at_centre["given_at"] = "centre";
      sent->first["files"].push_back(made_entry("review/centre-review.json", at_centre.dump(2) + "\n", "review"));
    }
    return write_unguarded(store, sent->first, sent->second, out, actor, progress);
  });
}

}  // namespace netsample::bundle
