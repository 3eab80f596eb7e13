// The evidence bundle of a case (证据包): one ZIP file a receiving agency can check on its own machine, with no
// database and no network. It holds the recordings as the recorder left them (media, journal, manifest, TSA
// tokens, stills), the TSA certificates, the case's other evidence (documents, seal photos, notices' PDFs),
// the tracking timeline, the notices with their receipts, the reviewers' findings, the case's audit rows with the
// chain's links from the first row to the head, a README in Chinese and the evidence report PDF (证据保全报告).
// bundle.json lists every file with its SHA-256; verify_bundle checks each of them, the recordings, the tokens,
// the audit rows and their links, and names each thing that does not hold.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/runtime/runtime.h"
#include "netsample/store/audit.h"
#include "netsample/sync/sync.h"

namespace netsample::bundle {

inline constexpr const char* kIndexFile = "bundle.json";
inline constexpr const char* kFormat = "netsample-bundle/1";

struct ExportResult {
  std::filesystem::path file;
  std::uint64_t size = 0;
  std::string sha256;  // of the whole ZIP, for the receipt
  int files = 0;
};

// A case as its bundle shows it, apart from the audit chain: the documents made from its records (case.json with
// its events and deadlines, tracking, notices, reviews, each recording's session and its check, the report's rows),
// inline, and every piece of evidence by SHA-256. A station sends these to the centre (sync/), which exports the
// case's bundle from them, the blobs and that station's chain: one bundle, wherever it is made.
inline constexpr const char* kDocumentsFormat = "netsample-case-documents/1";
Result<nlohmann::json> case_documents(runtime::Runtime& runtime, const std::string& case_number);
// What a station's sync sends of its cases beyond rows and blobs, read through `runtime` (which must outlive the
// sync): each changed case's documents (case_documents) and the purchases being recorded now, whose journal lines go
// as they are written. `netsample sync` and a station's service both fill their options with it.
void add_station_sources(runtime::Runtime& runtime, sync::SyncOptions& options);

// Documents from elsewhere (a station's) are fit to make a bundle from: the format, every file's name inside the
// bundle's own folders and not one the bundle writes itself, each file either inline text or a SHA-256.
Status check_documents(const nlohmann::json& documents);

// The audit part of a bundle: a chain from its first row (the case's rows among them), its witness read before the
// chain, and the stamps of its head. `station`: empty for this installation's own chain.
struct AuditMaterial {
  store::AuditHead witness;
  std::vector<store::AuditRecord> chain;
  std::vector<store::AuditStamp> stamps;
  std::string station;
};
// The stamps of a chain as a station sends them with its documents, and back.
nlohmann::json stamps_json(const std::vector<store::AuditStamp>& stamps);
Result<std::vector<store::AuditStamp>> stamps_from_json(const nlohmann::json& list);

// Writes the bundle of `case_number` to `out` (through a temporary file beside it) and records the export in the
// audit log with the index's hash. `progress` gets (bytes written so far, total) while the archive is written.
// A case this installation does not hold itself but a station sent (at the centre) is exported from the documents
// the station sent and that station's chain as the centre received it.
Result<ExportResult> export_case(runtime::Runtime& runtime, const std::string& case_number, const std::filesystem::path& out,
                                 const std::string& actor, const std::function<void(double)>& progress = {});

struct BundleCheck {
  std::string item;  // the file or the part of the bundle checked
  bool ok = false;
  std::string text;  // what was found, in Chinese
};

struct BundleReport {
  bool ok = false;  // every check holds
  std::string case_number;
  std::string exported;  // Beijing time, as the bundle says
  std::vector<BundleCheck> checks;
  std::vector<std::string> problems;  // one line per check that failed, naming the file
  std::string trust_source;           // which TSA certificates the tokens were checked against
  nlohmann::json to_json() const;
};

// Checks a bundle from the file alone. `trust_store`: PEM certificates of the TSAs the receiver trusts; empty: the
// bundle's own tsa/ certificates (said in the report, since a forger could ship their own). Error only when the
// file is not a readable ZIP.
Result<BundleReport> verify_bundle(const std::filesystem::path& zip, const std::filesystem::path& trust_store = {});

}  // namespace netsample::bundle
