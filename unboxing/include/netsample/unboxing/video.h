// The unboxing's video (Art 36: "记录拆封、确认的全过程"), made one of two ways and read the same way after:
// - recorded live from a camera through the recorder (the same continuity, trusted time, hash chain and
//   RFC 3161 seal as a purchase recording), steps marked from another terminal over its control channel
//   with the marker's own media time;
// - imported from the sampler's camera or phone: hashed before and after the copy (what is stored is byte
//   for byte what was brought), its own frame times and gaps read, stamped by every TSA given, described in a
//   read-only import.json that verify_import checks from the files alone; steps marked at a time in it.
// Either way the labels are read off the video and the waybill matched against the case's parcels: a code
// carrying the parcel's number marks the waybill step itself, another number is a problem the reviewer sees.
//
// Target netsample_unboxing_media (FFmpeg through the recorder, OpenCV through label capture); the import
// record's reader and writer (import_record.cc) and the live clients are in netsample_unboxing, no FFmpeg.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/recorder/seal.h"
#include "netsample/recorder/recorder.h"
#include "netsample/store/store.h"
#include "netsample/unboxing/session.h"
#include "netsample/workflow/lifecycle.h"

namespace netsample::unboxing {

class UnboxingVideo {
 public:
  using Say = std::function<void(const std::string&)>;  // a line for the sampler (Chinese)
  // REQUIRES: store, lifecycle and sessions outlive this object.
  UnboxingVideo(store::Store& store, workflow::Lifecycle& lifecycle, UnboxingSessions& sessions, Say say)
      : store_(&store), lifecycle_(&lifecycle), sessions_(&sessions), say_(std::move(say)) {}

  // Imports `original` into the session's directory (REQUIRES: session recording, imported). The session
  // ends recorded, or failed when the file is no video; every problem (gaps, edits, no creation time, no
  // token) is listed on it.
  Result<UnboxingView> import(const UnboxingView& session, const std::filesystem::path& original, const std::vector<std::string>& tsa_urls,
                              const std::string& actor);

  // Records the session live (REQUIRES: session recording, not imported) until `unbox finish` arrives,
  // `stop()` says so or the capture ends, calling `tick` every ~200 ms; then seals, verifies, reads the
  // labels and stores the recorder's files. `options.out_dir` and `case_number` are set here.
  Result<UnboxingView> record_live(const UnboxingView& session, recorder::RecorderOptions options, const std::filesystem::path& trust_store,
                                   const std::string& actor, std::function<void(const recorder::Notice&)> on_notice, const std::function<bool()>& stop,
                                   const std::function<void(const recorder::Progress&)>& tick);

  // Marks `step` of a recorded video at `at_s` seconds: its still cut from the video and stored as evidence.
  Result<UnboxStep> mark_at(const UnboxingView& session, const std::string& step, double at_s, const std::string& note, const std::string& actor);

 private:
  Status read_labels(const UnboxingView& session, const std::filesystem::path& video, const std::string& actor);
  Status store_file(const std::string& case_number, const std::filesystem::path& file, const std::string& kind, const std::string& actor);

  store::Store* store_;
  std::optional<std::pair<std::string, std::int64_t>> case_id_;  // the last case's id: store_file runs per file
  workflow::Lifecycle* lifecycle_;
  UnboxingSessions* sessions_;
  Say say_;
};

// An imported video's record beside it (import.json, read-only): its name, SHA-256 and size at import,
// what it says of itself, and the RFC 3161 tokens over that hash — so a reviewer can check the import from
// the files alone, as `netsample verify DIR` does for a live recording.
inline constexpr const char* kImportRecordFile = "import.json";

struct ImportCheck {
  bool ok = false;             // hash matches, at least one token and every token verifies, continuous
  bool hash_ok = false;
  int tokens_ok = 0;
  bool continuous = false;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;  // a token whose renewal is due (core/long_term.h)
  nlohmann::json to_json() const;
  std::string to_text() const;  // for a reviewer, in Chinese
};
// Writes the record (read-only) into `dir`; what verify_import reads back.
Status write_import_record(const std::filesystem::path& dir, const nlohmann::json& record);
// not_found when `dir` holds no import record.
Result<ImportCheck> verify_import(const std::filesystem::path& dir, const std::filesystem::path& trust_store);
// The tokens of the video imported into `dir`, each over the video's SHA-256 (for recorder::secure_tokens).
Result<std::vector<recorder::StampedToken>> import_tokens(const std::filesystem::path& dir);
// The tokens of whichever recording `dir` holds: an imported video's or the recorder's (recorder::recording_tokens).
Result<std::vector<recorder::StampedToken>> tokens_of_recording(const std::filesystem::path& dir);

// Whichever check a recording's directory needs, by one rule for `verify`, the service, the export and the
// bundle's verifier: an imported video (import.json) gets verify_import, a recording (the recorder's journal)
// recorder::verify_recording. not_found when the directory holds neither.
struct RecordingCheck {
  bool imported = false;  // an imported video, not a recording
  bool ok = false;
  std::vector<std::string> errors;
  nlohmann::json report;  // the check's own JSON
  std::string text;       // for a reviewer, in Chinese
};
Result<RecordingCheck> verify_recording_dir(const std::filesystem::path& dir, const std::filesystem::path& trust_store);

// `unbox mark` of a live recording from another terminal: marked by the running recorder as `actor`; the
// step as stored (UnboxStep::to_json()).
Result<nlohmann::json> mark_live_step(const UnboxingView& session, const std::string& step, const std::string& note, const std::string& actor);
// `unbox finish` of a live recording: the recorder asked to end, then the session awaited (up to `wait`)
// until it is no longer recording (the recording side stores it and reads the labels first).
Result<UnboxingView> finish_live(UnboxingSessions& sessions, const UnboxingView& session, std::chrono::seconds wait);

}  // namespace netsample::unboxing
