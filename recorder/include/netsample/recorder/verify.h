// `netsample verify DIR`: everything a reviewing agency (or a seller's lawyer) would check about a
// recording, from the files alone: every fragment re-hashed and the chain recomputed, the manifest
// against the journal, every RFC 3161 token (signature, trust store, imprint), every frame's time read
// from the container (demuxed, not decoded) for continuity, the time-sync record, the markers' stills
// and the stamps taken while recording. A killed recording is reported as unsealed, its written
// fragments still verified.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/recorder/continuity.h"
#include "netsample/recorder/seal.h"

namespace netsample::recorder {

struct VerifyReport {
  bool ok = false;                  // every check below holds
  bool sealed = false;
  bool hash_chain_ok = false;       // journal, fragments and manifest agree
  bool timestamp_token_ok = false;  // at least one token, and every token verifies
  bool continuous = false;          // no gap in the frame times or in the recorder's own log
  bool time_synced = false;         // network time before the first frame, uncertainty <= 0.5 s, no clock jump
  std::vector<Gap> gaps;
  int fragments = 0;
  int page_records = 0;             // records of pages.warc.gz in the chain (the pages the browser received)
  std::int64_t frames = 0;          // journaled frames
  std::int64_t container_frames = 0;
  double duration_s = 0;
  std::string started;              // Beijing time of the first frame
  std::vector<std::string> errors;  // each names the fragment index or the file
  std::vector<std::string> warnings;
  nlohmann::json details;           // time, markers, stamps, seal
  nlohmann::json to_json() const;
  std::string to_text() const;      // for a reviewer, in Chinese
};

// `trust_store`: PEM certificates of the TSAs' CAs.
Result<VerifyReport> verify_recording(const std::filesystem::path& dir, const std::filesystem::path& trust_store);

}  // namespace netsample::recorder
