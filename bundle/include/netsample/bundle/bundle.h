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

namespace netsample::bundle {

inline constexpr const char* kIndexFile = "bundle.json";
inline constexpr const char* kFormat = "netsample-bundle/1";

struct ExportResult {
  std::filesystem::path file;
  std::uint64_t size = 0;
  std::string sha256;  // of the whole ZIP, for the receipt
  int files = 0;
};

// Writes the bundle of `case_number` to `out` (through a temporary file beside it) and records the export in the
// audit log with the index's hash. `progress` gets (bytes written so far, total) while the archive is written.
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
