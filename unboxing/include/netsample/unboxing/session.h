// The unboxing of a case's parcel (Art 36): one video of the whole opening and checking — recorded live
// by the recorder from a camera, or a file imported from the sampler's camera or phone (hashed on import,
// its own times kept) — with the article's four things marked on it (courier packaging, waybill, sample
// packaging, sample labels), the codes read off the labels and the waybill matched against the case's
// parcel. It ends with a decision: accept the samples, or return them (退样) for one of Art 36's four
// reasons. Accepted samples are then sealed, inspection and backup samples separately (Art 37, 31), the
// backup with its storage place and keeper (Art 38); the seal moves the case to 「已封样」 and owes the
// operator the sampling document (Art 39).
//
// States: recording → recorded (the video is there) → accepted | returned; failed when the recording
// could not be made. One unboxing in progress per case; a later one starts a new video.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/core/time.h"
#include "netsample/store/store.h"
#include "netsample/workflow/lifecycle.h"

namespace netsample::unboxing {

struct UnboxStepSpec {
  std::string id;     // "waybill"
  std::string label;  // "快递单据"
};
// Art 36: "包括但不限于快递包装、快递单据、样品包装和样品标识等内容", in that order.
const std::vector<UnboxStepSpec>& unboxing_steps();
const UnboxStepSpec* find_unboxing_step(const std::string& id);

// Art 36 (一)–(四): why samples go back.
struct ReturnReason {
  std::string id;     // "quantity_short"
  std::string label;  // "数量不满足规定要求"
};
const std::vector<ReturnReason>& return_reasons();

struct UnboxStep {
  std::string step;
  std::int64_t video_ms = 0;      // where in the video
  std::int64_t frame = 0;
  std::optional<UtcTime> at;      // trusted time of that frame (live recordings); imports keep the file's own clock
  std::string still;              // relative to the recording directory
  std::string still_sha256;
  std::string how = "marked";     // "marked" by a person, or "label": a waybill code matching the parcel
  std::string note;
  std::string marked_by;
  nlohmann::json to_json() const;
};

enum class UnboxingState {
  recording,  // the video is being recorded or imported
  recorded,   // the video is there; steps may be marked, the decision taken
  failed,     // no video could be made (the problems say why); a new unboxing may start
  accepted,   // the samples were accepted (every Art 36 step marked); they may be sealed
  returned,   // the samples went back for one of Art 36's reasons
};
std::string_view to_string(UnboxingState state);  // as stored and in JSON: "recording", "recorded", ...

// What the sampler decides at the end of the unboxing (Art 36).
enum class Decision { accept, return_samples };

struct UnboxingView {
  std::int64_t id = 0;
  std::string case_number;
  int seq = 0;
  UnboxingState state = UnboxingState::recording;
  std::string source;
  bool imported = false;
  std::filesystem::path recording_dir;
  std::string video;  // relative to recording_dir
  std::string video_sha256;
  nlohmann::json video_info;                          // null until recorded
  nlohmann::json verify;                              // live recordings: the recorder's verify report
  nlohmann::json labels = nlohmann::json::array();    // LabelCode::to_json() each
  nlohmann::json waybill;                             // null until matched
  nlohmann::json problems = nlohmann::json::array();  // each {item, text, level}
  nlohmann::json decision;                            // null until decided
  nlohmann::json sealing;                             // null until sealed
  std::string started_by;
  UtcTime started;
  std::optional<UtcTime> finished;
  std::vector<UnboxStep> steps;  // in marking order; the last of each step counts
  const UnboxStep* last(const std::string& step) const;
  std::vector<std::string> missing_steps() const;
  nlohmann::json to_json() const;
};

// What became of the video, handed over by whoever recorded or imported it.
struct RecordedVideo {
  std::string video;              // relative to the recording directory
  std::string sha256;
  nlohmann::json info;            // duration, frames, times, gaps
  nlohmann::json verify;          // live: the recorder's verify report; null for imports
  nlohmann::json problems = nlohmann::json::array();
};

// The seals as the sampler writes them (seals.json), checked: Art 31/37 separate seals for the inspection
// and the backup samples, each with its number, the samplers who signed it, the date and a still of it;
// Art 38 the backup's storage place and keeper. Stills are paths (relative to `base`) checked to be images.
struct SealRecord {
  std::string number;
  std::vector<std::string> signed_by;
  std::filesystem::path still;
  int quantity = 0;
};
struct Sealing {
  SealRecord inspection, backup;
  std::string sealed_date;        // YYYY-MM-DD (Beijing)
  std::string backup_storage, backup_keeper;
  std::string batch, production_date;  // off the sample's labels, for the sampling document (Art 39)
  nlohmann::json to_json() const;
};
Result<Sealing> parse_sealing(const nlohmann::json& file, const std::filesystem::path& base);

class UnboxingSessions {
 public:
  // REQUIRES: store and lifecycle outlive this object.
  UnboxingSessions(store::Store& store, workflow::Lifecycle& lifecycle) : store_(&store), lifecycle_(&lifecycle) {}

  // Opens an unboxing of the case: refused unless the case is 「已收样待确认」 (its parcel delivered) and the
  // actor is a drawn sampler of it (Art 20, 36). A session still recording whose recorder is gone
  // (`recorder_running` says no) is closed as failed first; one still recording is a refusal.
  Result<UnboxingView> begin(const std::string& case_number, const std::string& source, bool imported, const std::string& actor,
                             const std::function<bool(const std::filesystem::path&)>& recorder_running);
  // The video is there: recording → recorded (or failed when `video.video` is empty).
  Result<UnboxingView> set_recorded(std::int64_t session_id, const RecordedVideo& video, const std::string& actor);
  // The codes read and the waybill match; a waybill showing another number becomes a problem the reviewer sees.
  Status set_labels(std::int64_t session_id, const nlohmann::json& labels, const nlohmann::json& waybill, const std::string& actor);
  // Records a step marked on the video (session recording or recorded, not yet decided).
  Result<UnboxStep> add_step(std::int64_t session_id, UnboxStep step, const std::string& actor);
  // accept (every Art 36 step marked, the video recorded) or return with a reason id of return_reasons()
  // (applies the case's return_sample event). Refused after a decision.
  Result<UnboxingView> decide(std::int64_t session_id, Decision decision, const std::string& reason, const std::string& note,
                              const std::string& actor);
  // Seals the accepted samples in one write: the photo of each seal stored as evidence ("seal_photo"), the
  // case's "seal" event applied (→ 「已封样」, the Art 39 notice owed) and the seals kept with the session,
  // naming their photos' evidence. Refused, with nothing stored, unless the unboxing was accepted and every
  // signer is a drawn sampler (Art 31, 37).
  Result<UnboxingView> seal(const std::string& case_number, const Sealing& sealing, const std::string& actor);

  // Every stored step, video hash, decision and sealing matches its audit row, so a row edited, added or
  // deleted in the database by hand is named. One line per problem; empty when all match.
  Result<std::vector<std::string>> verify_records();

  Result<UnboxingView> get(std::int64_t session_id);
  Result<std::vector<UnboxingView>> of_case(const std::string& case_number);
  // The unboxings the recorder is recording now (not imported videos): a station's sync sends their journal lines
  // to the centre as they are written (design/central.md).
  Result<std::vector<UnboxingView>> recording();
  // The case's newest session, or not_found naming how to start one.
  Result<UnboxingView> latest(const std::string& case_number);

 private:
  Result<std::vector<UnboxingView>> query(const std::string& where, const std::string& key);
  Status require_sampler(const std::string& case_number, const std::string& actor, const std::string& doing);

  store::Store* store_;
  workflow::Lifecycle* lifecycle_;
};

inline constexpr const char* kUnboxingState = "received";  // 已收样待确认

}  // namespace netsample::unboxing
