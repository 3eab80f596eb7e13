// The centre's view of its stations (design/central.md): the cases they sent (exported with GET
// /api/cases/{number}/export) and the recordings arriving while they are made, for everyone who may see those cases
// by the rule the centre's own cases follow (a reviewer of the case, its organizer, ...); the stations themselves
// and every case, for its administrators.
//   GET /api/stations                              {stations, cases, live}
//   GET /api/stations/{station}/live/{key}/video   a recording as far as it arrived (fragmented MP4)
#include <filesystem>
#include <set>

#include "api.h"
#include "netsample/accounts/accounts.h"
#include "netsample/core/file_io.h"
#include "netsample/sync/sync.h"
#include "netsample/workflow/lifecycle.h"

namespace netsample::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Result<Response> stations(Call& call) {
  store::Store& store = call.runtime.store();
  json out = {{"stations", json::array()}, {"cases", json::array()}, {"live", json::array()}};
  if (call.who().admin()) {
    NETSAMPLE_ASSIGN(std::vector<sync::Station> all, sync::Stations(store).list());
    for (const auto& s : all) {
      NETSAMPLE_ASSIGN(store::AuditHead head, sync::Receiver(store, s).head());
      json item = s.to_json();
      item["head"] = {{"seq", head.seq}, {"hash", head.hash}};
      out["stations"].push_back(item);
    }
  }
  sync::StationCases cases(store);
  NETSAMPLE_ASSIGN(std::vector<sync::StationCase> sent, cases.list());
  std::set<std::string> visible;
  for (const auto& c : sent) {
    if (!may_see_station_case(call.who(), station_case_json(c))) continue;
    visible.insert(c.case_number);
    NETSAMPLE_ASSIGN(std::optional<std::string> owner, cases.owner(c.case_number));
    // What a list shows of a case: the rows the report opens with (task, shop, state), not the whole documents.
    json summary = json::object();
    for (const auto& row : c.documents.value("report", json::object()).value("head", json::array()))
      if (row.is_array() && row.size() == 2 && row[0].is_string()) summary[row[0].get<std::string>()] = row[1];
    out["cases"].push_back({{"case", c.case_number}, {"station", c.station}, {"owner", owner ? json(*owner) : json(nullptr)}, {"seq", c.seq},
                            {"received", format_iso8601_beijing(c.received)}, {"summary", summary}});
  }
  NETSAMPLE_ASSIGN(std::vector<sync::LiveRecording> live, cases.live());
  for (const auto& r : live)
    if (call.who().admin() || visible.contains(r.case_number)) out["live"].push_back(r.to_json());
  return Response::json(200, out);
}

// The recording as far as it arrived: written out from its lines for this request (an unlinked file, nothing left
// behind), or, once whole, the blob it became. Watching it is a read of evidence, in the audit log.
Result<Response> live_video(Call& call) {
  sync::StationCases cases(call.runtime.store());
  NETSAMPLE_ASSIGN(std::optional<sync::LiveRecording> recording, cases.live_recording(call.param("station"), call.param("key")));
  const Error unknown = make_error(ErrorCode::not_found, "key", "没有这段录像");
  if (!recording) return unknown;
  // Outside the viewer's cases a recording is as unknown as one that does not exist. An administrator watches any,
  // also before its case's documents arrived.
  if (!call.who().admin()) {
    NETSAMPLE_ASSIGN(bool may_see, may_see_station_case(call, recording->case_number));
    if (!may_see) return unknown;
  }
  json what = {{"station", recording->station}, {"live_recording", recording->key}, {"lines", recording->state.lines}};
  auto watched = [&](Response response, const std::string& sha256) -> Result<Response> {
    // A player reads a video in many range requests: audit_read records the first of a viewing.
    if ((response.status == 200 || response.status == 206) && call.request.method != "HEAD") {
      what["sha256"] = sha256;
      NETSAMPLE_TRY(audit_read(call, recording->case_number, what));
    }
    return response;
  };
  if (!recording->media_sha256.empty()) {
    NETSAMPLE_ASSIGN(Response response, blob_response(call.request, call.runtime.store().evidence(), recording->media_sha256,
                                                      recording->state.media_bytes, "video/mp4"));
    return watched(std::move(response), recording->media_sha256);
  }
  // Written out once per state (a player asks in many ranges): named by the lines it holds, its chain head the ETag;
  // the copies of earlier states go when a newer one is made.
  const fs::path dir = call.runtime.data_dir() / "exports";
  const std::string prefix = "live-" + recording->key + "-";
  const fs::path file = dir / (prefix + std::to_string(recording->state.lines) + ".mp4");
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    fs::create_directories(dir, ec);
    const fs::path part = file.string() + "." + accounts::random_hex(8) + ".part";
    Status written = cases.write_live_video(*recording, part);
    if (written.ok()) fs::rename(part, file, ec);
    if (!written.ok() || ec) {
      fs::remove(part, ec);
      return written.ok() ? io_error(file, "无法写入") : written.error();
    }
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind(prefix, 0) == 0 && name.size() > 4 && name.compare(name.size() - 4, 4, ".mp4") == 0 && entry.path() != file) fs::remove(entry.path(), ec);
    }
  }
  NETSAMPLE_ASSIGN(Response response, file_response(call.request, file.string(), recording->state.media_bytes, recording->state.head, "video/mp4"));
  return watched(std::move(response), recording->state.head);
}

}  // namespace

bool may_see_station_case(const Caller& caller, const json& shown) {
  if (caller.admin()) return true;
  return caller.account.person && workflow::in_case_scope(shown, *caller.account.person);
}

json station_case_json(const sync::StationCase& sent) {
  for (const auto& file : sent.documents.value("files", json::array()))
    if (file.is_object() && file.value("name", "") == "case/case.json" && file.contains("text") && file["text"].is_string()) {
      json shown = json::parse(file["text"].get<std::string>(), nullptr, false);
      return shown.is_object() ? shown : json::object();
    }
  return json::object();
}

Result<std::optional<sync::StationCase>> visible_station_case(Call& call, const std::string& number) {
  // A party sees what was published to it, nothing of a station's: not even worth reading the documents.
  if (!call.who().admin() && !call.who().account.person) return std::optional<sync::StationCase>();
  NETSAMPLE_ASSIGN(std::optional<sync::StationCase> sent, sync::StationCases(call.runtime.store()).latest(number));
  if (!sent || !may_see_station_case(call.who(), station_case_json(*sent))) return std::optional<sync::StationCase>();
  return sent;
}

Result<bool> may_see_station_case(Call& call, const std::string& number) {
  NETSAMPLE_ASSIGN(std::optional<sync::StationCase> sent, visible_station_case(call, number));
  return sent.has_value();
}

void add_station_routes(std::vector<Route>& out) {
  out.push_back({"GET", "/api/stations", Access::signed_in, stations});
  Route video{"GET", "/api/stations/{station}/live/{key}/video", Access::signed_in, live_video};
  video.slow = true;  // writes the recording out from its fragments
  out.push_back(std::move(video));
}

}  // namespace netsample::server
