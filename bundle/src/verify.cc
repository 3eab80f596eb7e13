#include <map>
#include <set>

#include "netsample/bundle/bundle.h"
#include "netsample/core/file_io.h"
#include "netsample/core/long_term.h"
#include "netsample/core/sha256.h"
#include "netsample/store/audit.h"
#include "netsample/unboxing/video.h"
#include "json_text.h"
#include "netsample/zip/zip.h"

namespace netsample::bundle {
namespace {

namespace fs = std::filesystem;
using zip::ZipReader;
using nlohmann::json;

// A directory removed with everything in it when the check is done.
struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::error_code ec;
    path = fs::temp_directory_path(ec) / ("netsample-verify-" + random_suffix());
    fs::create_directories(path, ec);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  static std::string random_suffix() {
    return sha256_hex(std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + std::to_string(::getpid())).substr(0, 12);
  }
};

struct Checker {
  BundleReport report;
  void add(const std::string& item, bool ok, const std::string& text) {
    report.checks.push_back({item, ok, text});
    if (!ok) report.problems.push_back(item + "：" + text);
  }
};

// The audit head's stamps: each token over ["netsample-audit-head/2", seq, hash, root], checked at its own time with
// its material when it kept some, and every case row under it carried to that root by its audit path.
void check_audit_stamps(ZipReader& zip, const json& index, const fs::path& trust, Checker& c) {
  const std::string name = index["audit"].value("stamps", "");
  if (name.empty() || !zip.contains(name)) {
    c.add("audit/stamps.json", true, "导出时审计链头没有时间戳（旧版证据包）：本任务的审计记录只由审计链与见证文件证明");
    return;
  }
  auto text = zip.read(name);
  auto rows_text = zip.read(index["audit"].value("rows", "audit/rows.json"));
  const json stamps = text.ok() ? json::parse(*text, nullptr, false) : json();
  const json rows = rows_text.ok() ? json::parse(*rows_text, nullptr, false) : json();
  if (!stamps.is_object() || !stamps["stamps"].is_array() || !rows.is_array()) {
    c.add(name, false, "时间戳记录无法读取");
    return;
  }
  std::int64_t last_covered = 0;
  for (const auto& s : stamps["stamps"]) {
    const std::int64_t seq = s.value("seq", std::int64_t{0});
    const std::string root = text_of(s, "merkle_root"), who = text_of(s, "tsa") + " 于 " + text_of(s, "stamped") + " 的时间戳";
    const store::AuditHead head{seq, text_of(s, "hash")};
    auto der = base64_decode(text_of(s, "token"), "token");
    std::string problem;
    if (!der.ok()) {
      problem = der.error().message;
    } else if (s["material"].is_object()) {
      auto material = ValidationMaterial::from_json(s["material"]);
      auto layer = material.ok() ? verify_timestamp_at_its_time(*der, store::audit_head_imprint(head, root), *material, trust)
                                 : Result<LayerCheck>(material.error());
      if (!layer.ok()) problem = layer.error().message;
    } else if (auto token = verify_timestamp(*der, store::audit_head_imprint(head, root), trust); !token.ok()) {
      problem = token.error().message;
    }
    if (!problem.empty()) {
      c.add(name, false, who + "不成立：" + problem);
      continue;
    }
    // Each case row under the stamp: its hash (recomputed in check_audit) leads to the stamped root.
    int proven = 0;
    std::string broken;
    for (const auto& row : rows) {
      const std::int64_t row_seq = row.value("seq", std::int64_t{0});
      if (row_seq > seq) continue;
      const json proof = s["proofs"].value(std::to_string(row_seq), json());
      std::vector<std::string> path;
      if (proof.is_array())
        for (const auto& p : proof) path.push_back(p.is_string() ? p.get<std::string>() : "");
      if (!proof.is_array() || store::audit_root_from_proof(text_of(row, "hash"), static_cast<size_t>(row_seq - 1), static_cast<size_t>(seq), path) != root)
        broken += (broken.empty() ? "#" : "、#") + std::to_string(row_seq);
      else
        ++proven;
    }
    if (!broken.empty()) {
      c.add(name, false, who + "之下，本任务的审计记录 " + broken + " 与其默克尔路径不符：记录在盖章后被改写");
      continue;
    }
    last_covered = std::max(last_covered, seq);
    c.add(name, true, who + "证明本任务的 " + std::to_string(proven) + " 条审计记录（至全链第 " + std::to_string(seq) + " 条）自那时未变");
  }
  int after = 0;
  for (const auto& row : rows) after += row.value("seq", std::int64_t{0}) > last_covered;
  if (after > 0)
    c.add(name, true, "本任务有 " + std::to_string(after) + " 条审计记录晚于最后一次时间戳，只由审计链与见证文件证明");
}

void check_audit(ZipReader& zip, const json& index, const std::set<std::string>& bundled_hashes, Checker& c) {
  auto rows_text = zip.read(index["audit"].value("rows", "audit/rows.json"));
  auto chain_text = zip.read(index["audit"].value("chain", "audit/chain.json"));
  if (!rows_text.ok() || !chain_text.ok()) {
    c.add("audit", false, "缺少审计记录或审计链");
    return;
  }
  const json rows = json::parse(*rows_text, nullptr, false), chain = json::parse(*chain_text, nullptr, false);
  if (!rows.is_array() || !chain.is_object() || !chain["links"].is_array()) {
    c.add("audit", false, "审计记录无法读取");
    return;
  }
  // Each of the case's rows hashes to what it says.
  std::map<std::int64_t, std::string> case_rows;
  int bad = 0;
  for (const auto& row : rows) {
    const std::int64_t seq = row.value("seq", std::int64_t{0});
    const json case_number = row.value("case", json(nullptr));
    const std::optional<std::string> number = case_number.is_string() ? std::optional<std::string>(case_number.get<std::string>()) : std::nullopt;
    const std::string recomputed = store::AuditLog::row_hash(seq, row.value("utc_us", std::int64_t{0}), text_of(row, "actor"),
                                                             text_of(row, "action"), number, text_of(row, "payload_text"),
                                                             text_of(row, "prev_hash"));
    const bool payload_agrees = json::parse(text_of(row, "payload_text"), nullptr, false) == row.value("payload", json());
    if (recomputed != text_of(row, "hash") || !payload_agrees) {
      c.add("audit/rows.json #" + std::to_string(seq), false, "审计记录 #" + std::to_string(seq) + "（" + text_of(row, "action") +
                                                                  "）的内容与其哈希不符：记录被修改");
      ++bad;
    }
    case_rows[seq] = text_of(row, "hash");
  }
  // The chain's links run unbroken from the genesis to the head, and every row of the case sits in it.
  std::string previous(store::kGenesisHash);
  std::int64_t expected_seq = 1;
  bool linked = true;
  std::string where;
  std::map<std::int64_t, std::string> link_hash;
  for (const auto& link : chain["links"]) {
    const std::int64_t seq = link.at(0).get<std::int64_t>();
    if (seq != expected_seq || link.at(1).get<std::string>() != previous) {
      linked = false;
      where = "#" + std::to_string(seq);
      break;
    }
    previous = link.at(2).get<std::string>();
    link_hash[seq] = previous;
    ++expected_seq;
  }
  c.add("audit/chain.json", linked, linked ? "审计链 " + std::to_string(link_hash.size()) + " 条链接连续，链头 " + previous.substr(0, 16) + "…"
                                           : "审计链在 " + where + " 处断开：有记录被删除或替换");
  int missing = 0;
  for (const auto& [seq, hash] : case_rows)
    if (link_hash.count(seq) == 0 || link_hash[seq] != hash) ++missing;
  if (missing) c.add("audit/rows.json", false, std::to_string(missing) + " 条本任务的审计记录与审计链不符");
  if (auto witness_text = zip.read(index["audit"].value("witness", "audit/witness.json")); witness_text.ok()) {
    const json witness = json::parse(*witness_text, nullptr, false);
    // The witness was read just before the chain: it names one of its links (the head then).
    const std::int64_t seq = witness.is_object() ? witness.value("seq", std::int64_t{-1}) : -1;
    const std::string hash = witness.is_object() ? text_of(witness, "hash") : "";
    const bool agrees = seq == 0 ? hash == store::kGenesisHash : link_hash.count(seq) && link_hash[seq] == hash;
    c.add("audit/witness.json", agrees, agrees ? "审计链与导出时的见证文件（#" + std::to_string(seq) + "）一致" : "审计链与导出时的见证文件不一致：链被截短或替换");
  }
  if (bad == 0 && !missing) c.add("audit/rows.json", true, std::to_string(case_rows.size()) + " 条本任务的审计记录哈希均正确，均在审计链中");
  // Every file the audit log says was stored as evidence of the case is in the bundle, unchanged.
  int absent = 0;
  std::set<std::int64_t> deleted;  // removed after the retention period (Art 47): no longer owed
  for (const auto& row : rows)
    if (text_of(row, "action") == "evidence.deleted") deleted.insert(row["payload"].value("evidence_id", std::int64_t{0}));
  for (const auto& row : rows)
    if (text_of(row, "action") == "evidence.added" && !deleted.count(row["payload"].value("evidence_id", std::int64_t{0}))) {
      const std::string sha = text_of(row["payload"], "sha256");
      if (!bundled_hashes.count(sha)) {
        ++absent;
        c.add(row["payload"].value("name", std::string("evidence")), false, "审计记录 #" + std::to_string(row.value("seq", 0)) +
                                                                          " 登记的证据文件（SHA-256 " + sha.substr(0, 16) + "…）不在证据包中");
      }
    }
  if (!absent) c.add("evidence", true, "审计记录登记的每件证据都在证据包中，哈希一致");
}

}  // namespace

json BundleReport::to_json() const {
  json list = json::array();
  for (const auto& check : checks) list.push_back({{"item", check.item}, {"ok", check.ok}, {"text", check.text}});
  return {{"ok", ok}, {"case", case_number}, {"exported", exported}, {"checks", list}, {"problems", problems}, {"trust", trust_source}};
}

namespace {

Result<BundleReport> verify_unguarded(const fs::path& file, const fs::path& trust_store) {
  NETSAMPLE_ASSIGN(ZipReader zip, ZipReader::open(file));
  Checker c;
  auto index_text = zip.read(kIndexFile);
  if (!index_text.ok()) return make_error(ErrorCode::invalid_input, file.string(), "不是 netsample 证据包：缺少 bundle.json");
  const json index = json::parse(*index_text, nullptr, false);
  if (!index.is_object() || text_of(index, "format") != kFormat || !index["files"].is_array())
    return make_error(ErrorCode::invalid_input, file.string(), "bundle.json 不是 " + std::string(kFormat) + " 格式的索引");
  c.report.case_number = text_of(index, "case");
  c.report.exported = text_of(index, "exported");

  // Every file of the index is there with its hash; nothing is there that the index does not list.
  std::set<std::string> listed, bundled_hashes;
  int intact = 0;
  for (const auto& f : index["files"]) {
    const std::string name = text_of(f, "name");
    listed.insert(name);
    if (!zip.contains(name)) {
      c.add(name, false, "文件缺失（索引中有，证据包中没有）");
      continue;
    }
    auto digest = zip.sha256(name);
    if (!digest.ok()) {
      c.add(name, false, digest.error().message);
      continue;
    }
    if (to_hex(*digest) != text_of(f, "sha256")) {
      c.add(name, false, "SHA-256 与索引不符：文件被改动");
      continue;
    }
    bundled_hashes.insert(to_hex(*digest));
    ++intact;
  }
  for (const auto& entry : zip.entries())
    if (entry.name != kIndexFile && !listed.count(entry.name) && entry.name.back() != '/') c.add(entry.name, false, "索引中没有这个文件：被加入");
  c.add("bundle.json", true, std::to_string(intact) + " / " + std::to_string(listed.size()) + " 个文件与索引的 SHA-256 一致");

  check_audit(zip, index, bundled_hashes, c);

  // The recordings, as the recorder's verifier sees them, with the tokens against the TSA certificates.
  ScratchDir scratch;
  fs::path trust = trust_store;
  if (trust.empty()) {
    if (index["trust"].is_string() && zip.contains(index["trust"].get<std::string>())) {
      trust = scratch.path / "trust.pem";
      NETSAMPLE_TRY(zip.extract(index["trust"].get<std::string>(), trust));
      c.report.trust_source = "证据包自带的时间戳服务机构证书（tsa/trust.pem）；如需以本单位信任的证书核验，请用 --trust";
    } else {
      c.report.trust_source = "未给出时间戳服务机构证书";
    }
  } else {
    c.report.trust_source = trust_store.string();
  }
  check_audit_stamps(zip, index, trust, c);
  for (const auto& r : index.value("recordings", json::array())) {
    const std::string id = text_of(r, "id"), prefix = text_of(r, "dir");
    const fs::path dir = scratch.path / id;
    for (const auto& entry : zip.entries())
      if (entry.name.rfind(prefix, 0) == 0 && entry.name.size() > prefix.size() && entry.name.back() != '/')
        NETSAMPLE_TRY(zip.extract(entry.name, dir / entry.name.substr(prefix.size())));
    auto checked = unboxing::verify_recording_dir(dir, trust);
    if (!checked.ok()) {
      c.add(prefix, false, checked.error().message);
    } else {
      std::string text = !checked->ok         ? ""
                         : checked->imported ? "导入视频校验通过：哈希、时间戳、连续性"
                                             : "录像校验通过：哈希链、清单、可信时间戳、连续性、网络校时";
      for (const auto& e : checked->errors) text += (text.empty() ? "" : "；") + e;
      c.add(prefix, checked->ok, text);
    }
  }
  c.report.ok = c.report.problems.empty();
  return c.report;
}

}  // namespace

Result<BundleReport> verify_bundle(const fs::path& file, const fs::path& trust_store) {
  try {
    return verify_unguarded(file, trust_store);
  } catch (const json::exception&) {  // a bundle whose JSON files were edited into another shape
    return make_error(ErrorCode::integrity, file.string(), "证据包中的索引或记录格式不对：文件被改动");
  }
}

}  // namespace netsample::bundle
