// A screen recording that a seller's lawyer cannot attack (Art 35: one continuous video of the whole
// purchase, beginning with a network time check). Capture (libavdevice) → trusted time (SNTP) → overlay
// (time, case, frame) → H.264 → fragmented MP4, every fragment hashed into the journal as it is written;
// gaps, markers and watchdog events logged as they happen; at the end a manifest stamped by a TSA.
//
// Files in the output directory (design/recorder.md):
//   recording.mp4        the video; each ~1 s fragment is on disk (fdatasync'd) before it is journaled
//   recording.journal    one hash-chained line per fragment (journal.h)
//   recording.events     JSON lines as they happen: start, time samples, gaps, markers, watchdog, stamps
//   stills/NNN-STEP.png  the overlaid frame at each marker
//   journal.K.tsr        RFC 3161 token over the first K journal lines (every --tsa-interval)
//   pages.warc.gz        the pages the browser received while recording (written by whoever drives the browser,
//                        each record journaled through journal_page as it arrives)
//   manifest.json, manifest.tsr   the seal (seal.h)
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/core/sntp.h"
#include "netsample/core/tsa.h"
#include "netsample/recorder/continuity.h"
#include "netsample/recorder/journal.h"
#include "netsample/recorder/source.h"
#include "netsample/recorder/watchdog.h"

namespace netsample::recorder {

struct RecorderOptions {
  SourceSpec source;
  std::optional<Region> region;
  std::filesystem::path out_dir;  // must not exist, or be empty
  std::string case_number;        // shown in the overlay and the manifest
  int fps = 15;
  std::vector<NtpServer> ntp_servers;  // default: ntp.ntsc.ac.cn (the national time service)
  std::chrono::seconds ntp_interval{60};
  std::vector<std::string> tsa_urls;
  std::chrono::seconds tsa_interval{300};  // chain-head stamps while recording
  std::optional<std::chrono::milliseconds> duration;
  std::chrono::milliseconds fragment_every{1000};
  Watchdog::Options watchdog;
  std::string preset = "veryfast";
  int crf = 23;
};

// Checks the options a person typed; errors name the option.
Status validate(const RecorderOptions& options);

struct Progress {
  std::int64_t elapsed_ms = 0;
  std::int64_t frames = 0;
  std::int64_t dropped = 0;
  std::uint64_t bytes = 0;
  int gaps = 0;
  bool time_verified = false;
  std::int64_t offset_us = 0;       // trusted time minus this machine's clock
  std::int64_t uncertainty_us = 0;  // half the reference sample's round trip
};

enum class NoticeLevel { info, warning, error };
struct Notice {
  NoticeLevel level = NoticeLevel::info;
  std::string text;  // Chinese, for the terminal
};

// Where the recording is now: the last frame written (-1 before the first) and the trusted time.
struct Position {
  std::int64_t frame = -1;
  std::int64_t utc_us = 0;
  bool time_verified = false;
};

struct RecordingOutcome {
  std::filesystem::path dir;
  std::int64_t frames = 0;
  std::int64_t dropped = 0;
  int gaps = 0;
  bool time_verified = false;
  bool gave_up = false;           // the watchdog ended the recording: exit non-zero
  std::string stop_reason;        // requested, duration, source_ended, disk_full, watchdog
  std::string manifest_sha256;
  int tokens = 0;                 // TSA tokens on the manifest
  std::vector<std::string> tsa_failures;
  std::string playback_failure;   // why playback.mp4 could not be written ("" when it was)
};

class Recorder {
 public:
  // Opens the source, asks the NTP servers, writes the init segment and starts recording.
  static Result<std::unique_ptr<Recorder>> start(RecorderOptions options, std::function<void(const Notice&)> on_notice);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Asks the recording to end (async-signal-safe: only sets a flag).
  void request_stop();
  // True once capture has ended on its own (duration, source ended, disk full, watchdog).
  bool capture_ended() const;
  Progress progress() const;
  // A marker at the next frame written: step id ([a-z0-9_]{1,32}), a note, and a PNG still of that frame.
  // Blocks until the still is on disk.
  Result<Marker> mark(const std::string& step, const std::string& note);
  // Text shown on the second line of the stamp strip above the screen from the next frame on, one line of it at a
  // time for two seconds each, once (a new text replaces it; empty hides it). For what must be seen in the video
  // itself (the clean-environment check, the time check), without covering the screen. Logged.
  void show_caption(const std::string& text);
  // manifest["attachments"][key]: what whoever records adds (the purchase session's environment check and
  // steps), sealed and stamped with the rest. Logged as it is attached.
  Status attach(const std::string& key, nlohmann::json value);
  // The captured picture's width and height (the region's, or the whole screen's).
  std::pair<int, int> picture_size() const;
  // What a record kept with the video is stamped with: the frame on screen and the trusted time, now.
  Position position() const;
  // A record of pages.warc.gz into the journal (journal.h), chained between the video's fragments as it
  // arrives; the record must already be on disk (fdatasync'd). Thread-safe. Refused once the recording ended.
  Result<PageRecord> journal_page(const PageInput& page);
  // What a sampler's console shows beside the progress: the last stamp of the chain while recording, the
  // watchdog's and the disk's last events (null when none): {"last_stamp", "watchdog", "disk"}.
  nlohmann::json health() const;
  // The time samples so far (the recorder's NTP answers), oldest first.
  std::vector<TimeSample> time_samples() const;
  // Stops (if not yet), writes the last fragment, the manifest, and stamps it with every TSA.
  Result<RecordingOutcome> finish();

 private:
  struct State;
  explicit Recorder(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace netsample::recorder
