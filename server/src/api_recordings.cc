// Recordings of a case (the purchase's screen video, the unboxing's video): what they are, the video itself
// streamed from the evidence store, its steps as WebVTT chapters, the stills, a fresh verification, and the
// reviewers' findings and verdicts on them.
#include <openssl/crypto.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <memory>

#include "api.h"
#include "netsample/core/file_io.h"
#include "netsample/core/json_fields.h"
#include "netsample/purchase/session.h"
#include "netsample/core/sha256.h"
#include "netsample/recorder/journal.h"
#include "netsample/recorder/playback.h"
#include "netsample/recorder/seal.h"
#include "netsample/review/review.h"
#include "netsample/sync/sync.h"
#include "netsample/unboxing/video.h"
#include "netsample/warc/warc.h"
#include "netsample/workflow/lifecycle.h"

namespace netsample::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Chapter {
  std::int64_t start_ms = 0;
  std::string title;
  std::string step;   // the Art 35 / Art 36 step's name
  std::string still;  // its still, relative to the recording's directory ("" when none)
};

// One recording as the routes see it, whichever module made it: one of this installation's own cases, or, at the
// centre, one of a case a station sent, read from that station's documents (design/central.md) — reviewed the same way.
struct Recording {
  std::string id;    // purchase-<session> | unboxing-<session> (the station's session, for a station's case)
  std::string kind;  // purchase | unboxing
  std::string case_number;
  std::string base;  // its URL: /api/recordings/{id}, or /api/station-cases/{number}/recordings/{id}
  fs::path dir;      // this installation's own: the recording's folder
  std::string station;     // a station's: the station whose documents these are ("" for the own)
  json station_files;      // a station's: the recording's files in the documents, by their name in its folder
  json station_shown;      // a station's: the case as its documents show it (who may review it)
  json station_review;     // a station's: the findings and verdicts its own reviewers gave (review/review.json)
  std::string video;  // file name in dir: the evidence
  std::string playback;  // the frame-identical copy with an index in front, when stored (recorder/playback.h)
  bool finished = false;
  double duration_s = 0;
  json manifest;  // a purchase's, once sealed
  std::vector<Chapter> chapters;
  std::vector<std::string> stills;  // relative paths in dir
  std::vector<std::string> label_stills;  // an unboxing's codes read off the labels, each boxed on its frame
  json labels = json::array();             // an unboxing's codes (LabelCode::to_json)
  json view;                        // the session as its module shows it
};

std::string recording_id(const std::string& kind, std::int64_t session) { return kind + "-" + std::to_string(session); }

std::string text_in(const json& object, const char* key) {
  if (!object.is_object()) return {};
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

// The stored copy of one of the recording's files (`relative` to its folder): the evidence row of this
// installation's own, or the station's documents' entry (named by its SHA-256, the bytes in the evidence store).
Result<std::optional<store::EvidenceItem>> stored_item(Call& call, const Recording& r, const std::string& relative) {
  if (r.station.empty()) return call.runtime.store().find_evidence(r.case_number, r.dir / relative);
  const auto found = r.station_files.find(relative);
  if (found == r.station_files.end() || !found->is_object() || found->contains("text")) return std::optional<store::EvidenceItem>();
  store::EvidenceItem item;
  item.case_number = r.case_number;
  item.sha256 = text_in(*found, "sha256");
  const auto size = found->find("size");
  item.size = size != found->end() && size->is_number_unsigned() ? size->get<std::int64_t>() : 0;
  item.kind = text_in(*found, "kind");
  item.name = fs::path(relative).filename().string();
  return std::optional<store::EvidenceItem>(std::move(item));
}

Result<json> stored_json(Call& call, const Recording& r, const std::string& relative) {
  NETSAMPLE_ASSIGN(std::optional<store::EvidenceItem> item, stored_item(call, r, relative));
  if (!item) return json(nullptr);
  NETSAMPLE_ASSIGN(std::string text, call.runtime.store().evidence().read(item->sha256));
  json parsed = json::parse(text, nullptr, false);
  if (parsed.is_discarded()) return make_error(ErrorCode::integrity, relative, "存储的文件不是有效的 JSON");
  return parsed;
}

// What the player shows, from the session as its module shows it (r.view: SessionView / UnboxingView::to_json, the
// same JSON a station's documents carry as session.json) and the files stored with it.
Status fill_from_session(Call& call, Recording& r) {
  const json& s = r.view;
  const json steps = s.value("steps", json::array());
  if (r.kind == "purchase") {
    r.video = "recording.mp4";
    r.finished = text_in(s, "state") != "recording" && !text_in(s, "manifest_sha256").empty();
    if (r.finished) {
      NETSAMPLE_ASSIGN(r.manifest, stored_json(call, r, "manifest.json"));
      if (r.manifest.is_object()) {
        r.video = r.manifest.value("media", std::string("recording.mp4"));
        NETSAMPLE_ASSIGN(std::optional<store::EvidenceItem> copy, stored_item(call, r, recorder::kPlaybackFile));
        if (copy) r.playback = recorder::kPlaybackFile;
        r.duration_s = r.manifest.value("duration_s", 0.0);
        for (const auto& marker : r.manifest.value("markers", json::array()))
          r.chapters.push_back({marker.value("media_ms", std::int64_t{0}), marker.value("note", marker.value("step", std::string())),
                                marker.value("step", std::string()), marker.value("still", std::string())});
      }
    }
    for (const auto& step : steps) r.stills.push_back(text_in(step, "still"));
    return {};
  }
  r.video = text_in(s, "video");
  r.finished = text_in(s, "state") != "recording" && !text_in(s, "video_sha256").empty();
  const json info = s.value("video_info", json());
  if (info.is_object()) r.duration_s = info.value("duration_s", 0.0);
  r.labels = s.value("labels", json::array());
  for (const auto& label : r.labels)
    if (!text_in(label, "still").empty()) r.label_stills.push_back(label["still"]);
  for (const auto& step : steps) {
    const std::string name = text_in(step, "step");
    const auto* spec = unboxing::find_unboxing_step(name);
    const double at_s = step.contains("video_s") && step["video_s"].is_number() ? step["video_s"].get<double>() : 0.0;
    r.chapters.push_back({std::llround(at_s * 1000), spec ? spec->label : name, name, text_in(step, "still")});
    r.stills.push_back(text_in(step, "still"));
  }
  std::sort(r.chapters.begin(), r.chapters.end(), [](const Chapter& a, const Chapter& b) { return a.start_ms < b.start_ms; });
  return {};
}

Result<Recording> own_recording(Call& call, std::string kind, std::int64_t session, std::string case_number, fs::path dir, json view) {
  Recording r;
  r.id = recording_id(kind, session);
  r.kind = std::move(kind);
  r.case_number = std::move(case_number);
  r.base = "/api/recordings/" + r.id;
  r.dir = std::move(dir);
  r.view = std::move(view);
  NETSAMPLE_TRY(fill_from_session(call, r));
  return r;
}

Result<std::vector<Recording>> case_recordings(Call& call, const std::string& number) {
  std::vector<Recording> out;
  NETSAMPLE_ASSIGN(std::vector<purchase::SessionView> purchases, call.runtime.purchases().of_case(number));
  for (const auto& s : purchases) {
    NETSAMPLE_ASSIGN(Recording r, own_recording(call, "purchase", s.id, s.case_number, s.recording_dir, s.to_json()));
    out.push_back(std::move(r));
  }
  NETSAMPLE_ASSIGN(std::vector<unboxing::UnboxingView> unboxings, call.runtime.unboxings().of_case(number));
  for (const auto& u : unboxings) {
    NETSAMPLE_ASSIGN(Recording r, own_recording(call, "unboxing", u.id, u.case_number, u.recording_dir, u.to_json()));
    out.push_back(std::move(r));
  }
  return out;
}

// The case a station sent named in the path, if the caller may see it (else not_found, as for no such case).
Result<sync::StationCase> station_case_in_path(Call& call) {
  const std::string& number = call.param("number");
  NETSAMPLE_ASSIGN(std::optional<sync::StationCase> sent, visible_station_case(call, number));
  if (!sent) return make_error(ErrorCode::not_found, "number", "没有编号为 \"" + number + "\" 的工作站任务");
  return std::move(*sent);
}

// The recordings of a case a station sent, as its latest documents list them (bundle::case_documents).
Result<std::vector<Recording>> station_recordings(Call& call, const sync::StationCase& sent) {
  const std::string& number = sent.case_number;
  const json shown = station_case_json(sent);
  json station_review = json::object();
  for (const auto& file : sent.documents.value("files", json::array()))
    if (text_in(file, "name") == "review/review.json") station_review = json::parse(text_in(file, "text"), nullptr, false);
  std::vector<Recording> out;
  for (const auto& listed : sent.documents.value("recordings", json::array())) {
    Recording r;
    r.id = text_in(listed, "id");
    r.kind = text_in(listed, "kind");
    const std::string prefix = text_in(listed, "dir");
    // Every name in the documents is a plain relative path (bundle::check_documents), so what follows a prefix that
    // ends a folder is one too.
    if ((r.kind != "purchase" && r.kind != "unboxing") || !prefix.ends_with('/') || r.id.find('/') != std::string::npos) continue;
    r.case_number = number;
    r.base = "/api/station-cases/" + number + "/recordings/" + r.id;
    r.station = sent.station;
    r.station_shown = shown;
    r.station_review = station_review;
    r.station_files = json::object();
    for (const auto& file : sent.documents.value("files", json::array())) {
      const std::string name = text_in(file, "name");
      if (name.size() > prefix.size() && name.starts_with(prefix)) r.station_files[name.substr(prefix.size())] = file;
    }
    const auto session = r.station_files.find("session.json");
    if (session != r.station_files.end()) r.view = json::parse(text_in(*session, "text"), nullptr, false);
    if (!r.view.is_object()) r.view = json::object();
    NETSAMPLE_TRY(fill_from_session(call, r));
    out.push_back(std::move(r));
  }
  return out;
}

// The recording named in the path, if its case is in the caller's scope (else not_found, as for no such id). At the
// centre, /api/station-cases/{number}/recordings/{id} names one of a station's case.
Result<Recording> find_recording(Call& call) {
  const std::string& id = call.param("id");
  const Error unknown = make_error(ErrorCode::not_found, "id", "没有编号为 \"" + id + "\" 的录像");
  if (call.request.params.contains("number")) {
    NETSAMPLE_ASSIGN(sync::StationCase sent, station_case_in_path(call));
    NETSAMPLE_ASSIGN(std::vector<Recording> all, station_recordings(call, sent));
    for (auto& r : all)
      if (r.id == id) return std::move(r);
    return unknown;
  }
  const size_t dash = id.find('-');
  if (dash == std::string::npos) return unknown;
  const std::string kind = id.substr(0, dash);
  const std::optional<std::int64_t> parsed = positive_id(std::string_view(id).substr(dash + 1));
  if (!parsed) return unknown;
  const std::int64_t session = *parsed;
  if (kind == "purchase") {
    auto s = call.runtime.purchases().get(session);
    if (!s.ok()) return s.error().code == ErrorCode::not_found ? unknown : s.error();
    if (!require_case(call, s->case_number).ok()) return unknown;
    return own_recording(call, kind, session, s->case_number, s->recording_dir, s->to_json());
  }
  if (kind == "unboxing") {
    auto u = call.runtime.unboxings().get(session);
    if (!u.ok()) return u.error().code == ErrorCode::not_found ? unknown : u.error();
    if (!require_case(call, u->case_number).ok()) return unknown;
    return own_recording(call, kind, session, u->case_number, u->recording_dir, u->to_json());
  }
  return unknown;
}

json recording_summary(const Recording& r) {
  const std::string& base = r.base;
  json out = {{"id", r.id},
          {"kind", r.kind},
          {"case", r.case_number},
          {"finished", r.finished},
          {"duration_s", r.duration_s},
          {"steps", r.chapters.size()},
          {"url", base},
          {"video", r.finished ? json(base + "/video") : json(nullptr)},
          {"original", r.finished ? json(base + "/original") : json(nullptr)},
          {"playback_copy", !r.playback.empty()},
          {"chapters", base + "/chapters.vtt"}};
  if (!r.station.empty()) out["station"] = r.station;
  return out;
}

std::string vtt_time(std::int64_t ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%02lld:%02lld:%02lld.%03lld", static_cast<long long>(ms / 3'600'000), static_cast<long long>(ms / 60'000 % 60),
                static_cast<long long>(ms / 1000 % 60), static_cast<long long>(ms % 1000));
  return text;
}

// One file of the recording (`relative` to its folder), shown in place from its stored copy.
Result<Response> serve_stored(Call& call, const Recording& r, const std::string& relative, const std::string& what) {
  NETSAMPLE_ASSIGN(std::optional<store::EvidenceItem> item, stored_item(call, r, relative));
  if (!item) return make_error(ErrorCode::not_found, "file", fs::path(relative).filename().string() + " 尚未存为证据（录像结束并封存后才能播放和下载）");
  json about = {{"recording", r.id}, {"what", what}};
  if (!r.station.empty()) about["station"] = r.station;
  return serve_evidence(call, *item, std::move(about), /*attachment=*/false);
}

// Whether the caller may give findings and verdicts on the recording: a reviewer the case names.
Result<bool> may_review(Call& call, const Recording& r) {
  const auto& person = call.who().account.person;
  if (!person) return false;
  if (!r.station.empty()) return workflow::assigned_in_case(r.station_shown, *person, "reviewer");
  return call.runtime.lifecycle().holds_role(r.case_number, person->id, workflow::CaseRole::reviewer);
}

Result<Response> list_recordings(Call& call) {
  const std::string& number = call.param("number");
  NETSAMPLE_TRY(require_case(call, number));
  NETSAMPLE_ASSIGN(std::vector<Recording> all, case_recordings(call, number));
  json items = json::array();
  for (const auto& r : all) items.push_back(recording_summary(r));
  return Response::json(200, {{"case", number}, {"items", items}});
}

// At the centre, the recordings of a case a station sent, and whether the caller reviews them.
Result<Response> list_station_recordings(Call& call) {
  NETSAMPLE_ASSIGN(sync::StationCase sent, station_case_in_path(call));
  NETSAMPLE_ASSIGN(std::vector<Recording> all, station_recordings(call, sent));
  json items = json::array();
  for (const auto& r : all) items.push_back(recording_summary(r));
  const auto& person = call.who().account.person;
  const bool reviewer = person && workflow::assigned_in_case(station_case_json(sent), *person, "reviewer");
  return Response::json(200, {{"case", sent.case_number}, {"station", sent.station}, {"may_review", reviewer}, {"items", items}});
}

Result<Response> show_recording(Call& call) {
  NETSAMPLE_ASSIGN(Recording r, find_recording(call));
  json out = recording_summary(r);
  out["session"] = r.view;
  json chapters = json::array();
  for (const auto& c : r.chapters)
    chapters.push_back({{"start_ms", c.start_ms}, {"title", c.title}, {"step", c.step},
                        {"still", c.still.empty() ? json(nullptr) : json(r.base + "/stills/" + fs::path(c.still).filename().string())}});
  out["markers"] = chapters;
  json stills = json::array();
  for (const auto& still : r.stills)
    stills.push_back({{"path", still}, {"url", r.base + "/stills/" + fs::path(still).filename().string()}});
  out["stills"] = stills;
  // The codes read off the labels and the waybill (Art 36), each with its frame and the code boxed on it.
  json labels = json::array();
  for (const auto& label : r.labels) {
    if (!label.is_object()) continue;
    json item = {{"format", label.value("format", "")}, {"text", label.value("text", "")}, {"time_s", label.value("time_s", 0.0)},
                 {"sightings", label.value("sightings", 0)}, {"box", label.value("box", json::object())}};
    const std::string still = label.value("still", std::string());
    item["still"] = still.empty() ? json(nullptr) : json(r.base + "/stills/" + fs::path(still).filename().string());
    labels.push_back(item);
  }
  out["labels"] = labels;
  if (r.kind == "purchase" && r.finished) {
    out["manifest"] = r.manifest;
  }
  if (r.kind == "purchase") {
    // The Art 35 steps' names and their fields' names, for showing what each step recorded and where it came from.
    json specs = json::array();
    for (const auto& spec : purchase::purchase_steps()) {
      json fields = json::object();
      for (const auto& f : spec.fields) fields[f.name] = f.label;
      specs.push_back({{"step", spec.id}, {"label", spec.label}, {"fields", fields}});
    }
    out["step_specs"] = specs;
  }
  // The files the recorder wrote, each with its stored copy's hash (what a verifier compares).
  json files = json::array();
  if (r.station.empty()) {
    for (const auto& f : recorder::recording_files(r.dir)) {
      NETSAMPLE_ASSIGN(std::optional<store::EvidenceItem> item, call.runtime.store().find_evidence(r.case_number, f.path));
      files.push_back({{"name", fs::relative(f.path, r.dir).string()}, {"kind", recorder::to_string(f.kind)},
                       {"sha256", item ? json(item->sha256) : json(nullptr)}, {"size", item ? json(item->size) : json(nullptr)}});
    }
  } else {
    for (const auto& [name, f] : r.station_files.items())
      if (!f.contains("text")) files.push_back({{"name", name}, {"kind", text_in(f, "kind")}, {"sha256", text_in(f, "sha256")}, {"size", f.value("size", json())}});
  }
  out["files"] = files;
  // The findings and verdicts on this recording: at the centre, on a station's case, those given here and those
  // the station's own reviewers gave (its documents' review/review.json, marked "station_review").
  review::Reviews reviews(call.runtime.store(), call.runtime.lifecycle());
  json mine = {{"findings", json::array()}, {"verdicts", json::array()}};
  auto take = [&](const json& all, bool from_station) {
    for (const char* list : {"findings", "verdicts"})
      for (json item : all.value(list, json::array()))
        if (item.is_object() && item.value("recording", "") == r.id) {
          if (from_station) item["station_review"] = true;
          mine[list].push_back(std::move(item));
        }
  };
  if (r.station.empty()) {
    NETSAMPLE_ASSIGN(json all, reviews.case_json(r.case_number));
    take(all, false);
  } else {
    take(r.station_review, true);
    NETSAMPLE_ASSIGN(json at_centre, reviews.station_case_json(r.case_number));
    take(at_centre, false);
  }
  out["review"] = mine;
  NETSAMPLE_ASSIGN(out["may_review"], may_review(call, r));
  return Response::json(200, out);
}

// What a player plays: the playback copy when there is one (every browser seeks in it; the verifier proves its
// frames are the recording's), else the recording itself.
Result<Response> video(Call& call) {
  NETSAMPLE_ASSIGN(Recording r, find_recording(call));
  if (!r.finished) return make_error(ErrorCode::refused_by_rule, "id", "录像尚未结束封存，不能播放", 35);
  return serve_stored(call, r, r.playback.empty() ? r.video : r.playback, "video");
}

// The sealed evidence itself, byte for byte (the fragmented MP4 the manifest and its tokens cover).
Result<Response> original(Call& call) {
  NETSAMPLE_ASSIGN(Recording r, find_recording(call));
  if (!r.finished) return make_error(ErrorCode::refused_by_rule, "id", "录像尚未结束封存，不能下载", 35);
  return serve_stored(call, r, r.video, "video");
}

Result<Response> chapters(Call& call) {
  NETSAMPLE_ASSIGN(Recording r, find_recording(call));
  std::string vtt = "WEBVTT\n\n";
  const auto end_ms = static_cast<std::int64_t>(std::llround(r.duration_s * 1000));
  for (size_t i = 0; i < r.chapters.size(); ++i) {
    const std::int64_t start = r.chapters[i].start_ms;
    std::int64_t stop = i + 1 < r.chapters.size() ? r.chapters[i + 1].start_ms : std::max(end_ms, start + 1000);
    if (stop <= start) stop = start + 1;
    vtt += std::to_string(i + 1) + "\n" + vtt_time(start) + " --> " + vtt_time(stop) + "\n" + r.chapters[i].title + "\n\n";
  }
  return Response::bytes(200, vtt, "text/vtt; charset=utf-8");
}

Result<Response> still(Call& call) {
  NETSAMPLE_ASSIGN(Recording r, find_recording(call));
  const std::string& name = call.param("name");
  // Only a still the recording lists: the name picks one of them, it is never joined to a path as given.
  for (const auto* list : {&r.stills, &r.label_stills})
    for (const auto& relative : *list)
      if (fs::path(relative).filename().string() == name) return serve_stored(call, r, relative, "still");
  return make_error(ErrorCode::not_found, "name", "本录像没有名为 \"" + name + "\" 的静帧");
}

// A station's recording as the folder the recorder left (its files linked to their stored copies, or checked copies
// from object storage), for the recorder's own verify; removed with everything in it when this dies.
class StationRecordingFolder {
 public:
  static Result<std::unique_ptr<StationRecordingFolder>> make(Call& call, const Recording& r) {
    auto folder = std::unique_ptr<StationRecordingFolder>(new StationRecordingFolder);
    folder->path_ = call.runtime.data_dir() / "exports" / ("verify-" + accounts::random_hex(8));
    const fs::path copies = folder->path_.string() + ".blobs";
    folder->copies_ = copies;
    std::error_code ec;
    fs::create_directories(copies, ec);
    if (ec) return io_error(copies, "无法建立校验用的文件夹");
    for (const auto& [relative, entry] : r.station_files.items()) {
      if (entry.contains("text")) continue;  // made from the records (session.json), not the recorder's
      NETSAMPLE_ASSIGN(store::BlobFile file, store::blob_file(call.runtime.store().evidence(), text_in(entry, "sha256"), copies));
      const fs::path link = folder->path_ / relative;
      fs::create_directories(link.parent_path(), ec);
      fs::create_symlink(fs::absolute(file.path()), link, ec);
      if (ec) return io_error(link, "无法建立校验用的文件");
      folder->blobs_.push_back(std::move(file));
    }
    return folder;
  }
  ~StationRecordingFolder() {
    blobs_.clear();
    std::error_code ec;
    fs::remove_all(path_, ec);
    fs::remove_all(copies_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  StationRecordingFolder() = default;
  fs::path path_, copies_;
  std::deque<store::BlobFile> blobs_;
};

Result<Response> reverify(Call& call) {
  NETSAMPLE_ASSIGN(Recording r, find_recording(call));
  if (!r.finished) return make_error(ErrorCode::refused_by_rule, "id", "录像尚未结束封存，不能校验", 35);
  const runtime::TsaTrust trust = call.runtime.tsa_trust();
  std::unique_ptr<StationRecordingFolder> folder;
  if (!r.station.empty()) {
    NETSAMPLE_ASSIGN(folder, StationRecordingFolder::make(call, r));
  }
  NETSAMPLE_ASSIGN(unboxing::RecordingCheck check, unboxing::verify_recording_dir(folder ? folder->path() : r.dir, trust.file));
  // Which certificates the stamp was checked against, and whether they sit where anyone with the data could change them.
  return Response::json(200, {{"recording", r.id}, {"ok", check.ok}, {"report", check.report}, {"text", check.text}, {"trust", trust.to_json()}});
}

Result<Response> add_finding(Call& call) {
  NETSAMPLE_ASSIGN(Recording r, find_recording(call));
  NETSAMPLE_TRY(require_person(call));
  NETSAMPLE_ASSIGN(json body, json_body(call));
  NETSAMPLE_ASSIGN(review::FindingRequest request, review::parse_finding(body, r.id));
  const auto end_ms = static_cast<std::int64_t>(std::ceil(r.duration_s * 1000));
  if (r.duration_s > 0 && request.media_ms > end_ms)
    return make_error(ErrorCode::invalid_input, "media_ms", "超出录像长度（" + std::to_string(end_ms) + " 毫秒）");
  review::Reviews reviews(call.runtime.store(), call.runtime.lifecycle());
  const workflow::Person& reviewer = *call.who().account.person;
  NETSAMPLE_ASSIGN(review::Finding finding, r.station.empty() ? reviews.add_finding(r.case_number, request, reviewer.id)
                                                              : reviews.add_finding({r.station, r.case_number, r.station_shown}, request, reviewer));
  return Response::json(201, finding.to_json());
}

Result<Response> set_verdict(Call& call) {
  NETSAMPLE_ASSIGN(Recording r, find_recording(call));
  NETSAMPLE_TRY(require_person(call));
  if (!r.finished) return make_error(ErrorCode::refused_by_rule, "id", "录像尚未结束封存，不能给出审看结论");
  NETSAMPLE_ASSIGN(json body, json_body(call));
  NETSAMPLE_ASSIGN(review::VerdictRequest request, review::parse_verdict(body, r.id));
  review::Reviews reviews(call.runtime.store(), call.runtime.lifecycle());
  const workflow::Person& reviewer = *call.who().account.person;
  NETSAMPLE_ASSIGN(review::VerdictRecord record, r.station.empty() ? reviews.set_verdict(r.case_number, request, reviewer.id)
                                                                   : reviews.set_verdict({r.station, r.case_number, r.station_shown}, request, reviewer));
  return Response::json(201, record.to_json());
}

Result<Response> case_reviews(Call& call) {
  const std::string& number = call.param("number");
  NETSAMPLE_TRY(require_case(call, number));
  review::Reviews reviews(call.runtime.store(), call.runtime.lifecycle());
  NETSAMPLE_ASSIGN(json out, reviews.case_json(number));
  out["case"] = number;
  return Response::json(200, out);
}


// An organizer of the case accepts what the environment check found that could fake a page, with a reason (Art 35):
// audited, and a purchase incomplete for that alone becomes complete (purchase accept-environment on the command line).
Result<Response> accept_environment(Call& call) {
  NETSAMPLE_ASSIGN(Recording r, find_recording(call));
  NETSAMPLE_TRY(require_person(call));
  if (r.kind != "purchase") return make_error(ErrorCode::invalid_input, "id", "只有网购录像有取证环境检查");
  NETSAMPLE_ASSIGN(json body, json_body(call));
  NETSAMPLE_ASSIGN(JsonFields fields, JsonFields::of(body, ""));
  NETSAMPLE_ASSIGN(std::string reason, fields.text("reason"));
  NETSAMPLE_TRY(fields.reject_unknown_keys());
  const auto session = positive_id(std::string_view(r.id).substr(std::string_view("purchase-").size()));
  if (!session) return make_error(ErrorCode::not_found, "id", "没有编号为 \"" + r.id + "\" 的录像");
  NETSAMPLE_ASSIGN(purchase::SessionView accepted, call.runtime.purchases().accept_environment(*session, reason, call.who().actor()));
  return Response::json(200, accepted.to_json());
}

// --- the pages a purchase's browser received (pages.warc.gz), replayed beside the video (design/web.md) ---

// A link to one recording's pages for the replay origin, which holds no session: the recording, the reader (for
// the audit log, and to check their scope again on each read) and an expiry, signed with the service's secret.
constexpr std::chrono::hours kReplayLinkLifetime{4};

std::string hex_of(std::string_view text) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : text) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::optional<std::string> text_of_hex(std::string_view hex) {
  if (hex.size() % 2) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    int value = 0;
    for (char c : hex.substr(i, 2)) {
      const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (digit < 0) return std::nullopt;
      value = value * 16 + digit;
    }
    out += static_cast<char>(value);
  }
  return out;
}

std::string replay_link_token(const Call& call, const std::string& recording, const std::string& login, std::int64_t expires_s) {
  const std::string body = recording + "." + std::to_string(expires_s) + "." + hex_of(login);
  return body + "." + hmac_sha256_hex(body, call.replay.secret);
}

struct ReplayLink {
  std::string recording, login;
};

Result<ReplayLink> check_replay_token(const Call& call, const std::string& token, UtcTime now) {
  const Error refused = make_error(ErrorCode::unauthenticated, "link", "网页回放的链接无效或已过期：请在录像页面重新打开");
  const size_t last = token.rfind('.');
  if (call.replay.secret.empty() || last == std::string::npos) return refused;
  const std::string body = token.substr(0, last);
  const std::string mac = hmac_sha256_hex(body, call.replay.secret);
  const std::string_view given = std::string_view(token).substr(last + 1);
  if (given.size() != mac.size() || CRYPTO_memcmp(mac.data(), given.data(), mac.size()) != 0) return refused;
  const size_t first = body.find('.'), second = body.find('.', first == std::string::npos ? 0 : first + 1);
  if (first == std::string::npos || second == std::string::npos) return refused;
  const auto expires = positive_id(std::string_view(body).substr(first + 1, second - first - 1));
  const auto login = text_of_hex(std::string_view(body).substr(second + 1));
  if (!expires || !login || *expires * 1'000'000 < to_utc_us(now)) return refused;
  return ReplayLink{body.substr(0, first), *login};
}

// The navigations of the tab on screen, each with where it is in the video: the navigation metadata records
// the capture wrote (webcapture/), their trusted time against the recording's start.
Result<json> page_navigations(const fs::path& warc_file, std::int64_t started_utc_us) {
  NETSAMPLE_ASSIGN(std::vector<warc::IndexEntry> records, warc::index_records(warc_file));
  json out = json::array();
  for (const auto& r : records) {
    if (r.type != "metadata" || r.metadata.empty()) continue;
    const json meta = json::parse(r.metadata, nullptr, false);
    // Sealed evidence, but read as any stored file is: a field of another type is skipped, never an exception.
    const auto text_at = [&meta](const char* key) {
      const auto it = meta.find(key);
      return it != meta.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    if (!meta.is_object() || text_at("event") != "navigation") continue;
    const std::string url = text_at("url");
    if (!url.starts_with("http://") && !url.starts_with("https://")) continue;  // about:blank and the like
    const std::string trusted = text_at("trusted_time");
    auto at = parse_iso8601(trusted.empty() ? r.date : trusted, "trusted_time");
    if (!at.ok()) continue;
    const std::int64_t utc_us = to_utc_us(*at);
    // ReplayWeb.page picks the capture nearest this 14-digit UTC time (the record's own WARC-Date).
    std::string ts;
    for (char c : r.date.substr(0, 19))
      if (std::isdigit(static_cast<unsigned char>(c))) ts += c;
    out.push_back({{"url", url},
                   {"frame", meta.contains("frame") && meta["frame"].is_number_integer() ? meta["frame"].get<std::int64_t>() : 0},
                   {"media_ms", std::max<std::int64_t>(0, (utc_us - started_utc_us) / 1000)},
                   {"time", format_iso8601_beijing(*at)},
                   {"ts", ts},
                   {"tab", text_at("tab")}});
  }
  return out;
}

Result<Response> recording_pages(Call& call) {
  NETSAMPLE_ASSIGN(Recording r, find_recording(call));
  if (r.kind != "purchase") return Response::json(200, {{"recording", r.id}, {"kept", false}, {"why", "拆封录像不含网页（网页只在网购录像时保存）"}});
  if (!r.finished) return make_error(ErrorCode::refused_by_rule, "id", "录像尚未结束封存，网页尚不能回放", 35);
  const json& manifest = r.manifest;
  NETSAMPLE_ASSIGN(std::optional<store::EvidenceItem> item, stored_item(call, r, recorder::kPagesFile));
  json out = {{"recording", r.id}, {"kept", item.has_value()}};
  if (!item) {
    out["why"] = "这次网购没有保存网页（录像时使用了 --own-browser 或 --no-page-capture）";
    return Response::json(200, out);
  }
  out["file"] = {{"name", item->name}, {"sha256", item->sha256}, {"size", item->size},
                 {"records", manifest.is_object() && manifest.contains("pages") && manifest["pages"].is_object() &&
                                     manifest["pages"].contains("records") && manifest["pages"]["records"].is_number_integer()
                                 ? manifest["pages"]["records"].get<std::int64_t>()
                                 : 0}};
  const std::int64_t started = manifest.is_object() && manifest.contains("started_utc_us") && manifest["started_utc_us"].is_number_integer()
                                   ? manifest["started_utc_us"].get<std::int64_t>()
                                   : 0;
  NETSAMPLE_ASSIGN(store::BlobFile warc, store::blob_file(call.runtime.store().evidence(), item->sha256, fs::temp_directory_path()));
  NETSAMPLE_ASSIGN(out["navigations"], page_navigations(warc.path(), started));
  if (call.replay.port) {
    const UtcTime now = call.runtime.clock().now();
    const std::int64_t expires = to_utc_us(now) / 1'000'000 + std::chrono::duration_cast<std::chrono::seconds>(kReplayLinkLifetime).count();
    const std::string origin = replay_origin(call);
    // A station's recording is named with its case (in hex: the token's parts are separated by dots).
    const std::string named = r.station.empty() ? r.id : "station-" + hex_of(r.case_number) + "-" + r.id;
    const std::string source = origin + "/source/" + replay_link_token(call, named, call.who().actor(), expires) + "/" + recorder::kPagesFile;
    out["replay"] = {{"origin", origin}, {"page", origin + "/replay/"}, {"source", source}, {"collection", r.id},
                     {"expires", format_iso8601_beijing(from_utc_us(expires * 1'000'000))}};
  } else {
    out["replay"] = nullptr;
  }
  return Response::json(200, out);
}

// The replay origin's read of a recording's pages.warc.gz: the link's reader, still allowed to see the case, reads
// it as they would through the API (the read is audited under their name).
Result<Response> replay_source(Call& call) {
  NETSAMPLE_ASSIGN(ReplayLink link, check_replay_token(call, call.param("token"), call.runtime.clock().now()));
  accounts::Accounts accounts(call.runtime.store());
  NETSAMPLE_ASSIGN(accounts::Account account, accounts.usable(link.login));
  call.caller = Caller{std::move(account), false, "", "", std::nullopt};
  call.request.params["id"] = link.recording;
  if (link.recording.starts_with("station-")) {  // station-<case number in hex>-<recording>
    const size_t dash = link.recording.find('-', 8);
    const auto number = dash == std::string::npos ? std::nullopt : text_of_hex(std::string_view(link.recording).substr(8, dash - 8));
    if (!number) return make_error(ErrorCode::unauthenticated, "link", "网页回放的链接无效");
    call.request.params["number"] = *number;
    call.request.params["id"] = link.recording.substr(dash + 1);
  }
  NETSAMPLE_ASSIGN(Recording r, find_recording(call));
  NETSAMPLE_ASSIGN(std::optional<store::EvidenceItem> item, stored_item(call, r, recorder::kPagesFile));
  if (!item) return make_error(ErrorCode::not_found, "file", "这次网购没有保存网页");
  NETSAMPLE_ASSIGN(Response response, serve_evidence(call, *item, {{"recording", r.id}, {"what", "pages"}}, /*attachment=*/false));
  // Read by ReplayWeb.page's service worker on this origin; never cached by anyone else.
  response.set_header("Cache-Control", "private, no-store");
  response.content_type = "application/warc";
  return response;
}

}  // namespace

void add_recording_replay_routes(std::vector<Route>& out) {
  out.push_back({.method = "GET", .pattern = "/source/{token}/pages.warc.gz", .access = Access::anyone, .handler = replay_source, .secret_path = true});
}

void add_recording_routes(std::vector<Route>& out) {
  out.push_back({"GET", "/api/cases/{number}/recordings", Access::signed_in, list_recordings});
  out.push_back({"GET", "/api/cases/{number}/reviews", Access::signed_in, case_reviews});
  out.push_back({"POST", "/api/recordings/{id}/environment-acceptance", Access::signed_in, accept_environment});
  // The same player and review for this installation's recordings and, at the centre, for those of a case a station
  // sent (its environment is accepted on the station, which holds the case).
  out.push_back({"GET", "/api/station-cases/{number}/recordings", Access::signed_in, list_station_recordings});
  for (const std::string base : {"/api/recordings/{id}", "/api/station-cases/{number}/recordings/{id}"}) {
    out.push_back({"GET", base, Access::signed_in, show_recording});
    out.push_back({"GET", base + "/video", Access::signed_in, video});
    out.push_back({"GET", base + "/original", Access::signed_in, original});
    out.push_back({"GET", base + "/chapters.vtt", Access::signed_in, chapters});
    out.push_back({"GET", base + "/stills/{name}", Access::signed_in, still});
    out.push_back({"GET", base + "/pages", Access::signed_in, recording_pages});
    out.push_back({.method = "POST", .pattern = base + "/verify", .access = Access::signed_in, .handler = reverify, .slow = true});
    out.push_back({"POST", base + "/findings", Access::signed_in, add_finding});
    out.push_back({"POST", base + "/verdict", Access::signed_in, set_verdict});
  }
}

}  // namespace netsample::server
