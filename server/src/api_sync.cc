// What stations send the centre (sync/sync.h, design/central.md): their audit chain and their evidence, with a
// station token (Access::station), never a person's sign-in.
//   GET  /api/sync/head                 the station's chain as the centre holds it: {station, seq, hash}
//   POST /api/sync/rows                 {"rows": [audit rows as `audit log --json` prints them]} → the new head
//   GET  /api/sync/blobs/{sha256}?size=N  {present, received}: whole, or the bytes of an upload cut off
//   PUT  /api/sync/blobs/{sha256}?size=N&offset=K   the bytes from K (an upload: streamed to disk)
//   GET  /api/sync/live/{key}           {lines, head, media_bytes, page_bytes}: a recording being made, as received
//   POST /api/sync/live/{key}           {"case", "dir", "lines"}\n + the bytes the journal lines name, one after another
//   POST /api/sync/live/{key}/stamps/{name}   a time stamp taken while recording (journal.K.tsr): the token's bytes
//   GET  /api/sync/cases                {"cases": {number: seq}}: the case documents held, each as read at seq
//   POST /api/sync/cases                {"case", "seq", "documents"}: a case's documents (bundle::case_documents)
#include "api.h"
#include "netsample/bundle/bundle.h"
#include "netsample/core/file_io.h"
#include "netsample/core/json_fields.h"
#include "netsample/sync/sync.h"
#include "uploads.h"

namespace netsample::server {
namespace {
using json = nlohmann::json;

sync::Receiver receiver(Call& call) { return sync::Receiver(call.runtime.store(), *call.station); }

// What the station sent does not hold (a row that does not link, bytes that are not their name): 422, the station's
// data and not the centre's failing (integrity would be 500 here, and a client retries those).
Response refused(const Error& error) {
  Response response = error_response(error);
  if (error.code == ErrorCode::integrity) response.status = 422;
  return response;
}

json head_json(const Call& call, const store::AuditHead& head) {
  return {{"station", call.station->id}, {"seq", head.seq}, {"hash", head.hash}};
}

Result<Response> sync_head(Call& call) {
  NETSAMPLE_ASSIGN(store::AuditHead head, receiver(call).head());
  return Response::json(200, head_json(call, head));
}

Result<store::AuditRecord> row_from_json(const json& row, size_t index) {
  const std::string at = "rows[" + std::to_string(index) + "]";
  if (!row.is_object()) return make_error(ErrorCode::wrong_type, at, "须为审计记录对象");
  store::AuditRecord r;
  try {
    r.seq = row.at("seq").get<std::int64_t>();
    r.at = from_utc_us(row.at("utc_us").get<std::int64_t>());
    r.actor = row.at("actor").get<std::string>();
    r.action = row.at("action").get<std::string>();
    if (!row.at("case").is_null()) r.case_number = row.at("case").get<std::string>();
    r.payload = row.at("payload_text").get<std::string>();
    r.prev_hash = row.at("prev_hash").get<std::string>();
    r.hash = row.at("hash").get<std::string>();
  } catch (const json::exception&) {
    return make_error(ErrorCode::invalid_input, at, "须有 seq、utc_us、actor、action、case、payload_text、prev_hash、hash（audit log --json 的格式）");
  }
  return r;
}

Result<Response> sync_rows(Call& call) {
  NETSAMPLE_ASSIGN(json body, json_body(call));
  if (!body.contains("rows") || !body["rows"].is_array()) return make_error(ErrorCode::missing_field, "rows", "须为审计记录的数组");
  if (body["rows"].size() > 1000) return make_error(ErrorCode::too_large, "rows", "每次至多 1000 条");
  std::vector<store::AuditRecord> rows;
  for (size_t i = 0; i < body["rows"].size(); ++i) {
    NETSAMPLE_ASSIGN(store::AuditRecord row, row_from_json(body["rows"][i], i));
    rows.push_back(std::move(row));
  }
  auto head = receiver(call).receive_rows(rows);
  if (!head.ok()) return refused(head.error());
  return Response::json(200, head_json(call, *head));
}

Result<std::uint64_t> query_size(const Call& call, const std::string& name) {
  const auto text = call.request.param_query(name);
  if (!text || text->empty() || text->size() > 19 || text->find_first_not_of("0123456789") != std::string::npos)
    return make_error(ErrorCode::invalid_input, name, "须为非负整数（字节数）");
  return std::stoull(*text);
}

Result<Response> blob_state(Call& call) {
  std::uint64_t size = 0;
  if (call.request.param_query("size")) {
    NETSAMPLE_ASSIGN(size, query_size(call, "size"));
  }
  NETSAMPLE_ASSIGN(sync::BlobState state, receiver(call).blob_state(call.param("sha256"), size));
  return Response::json(200, {{"present", state.present}, {"received", state.received}});
}

json live_json(const sync::LiveState& state) {
  return {{"lines", state.lines}, {"head", state.head}, {"media_bytes", state.media_bytes}, {"page_bytes", state.page_bytes}};
}

Result<Response> live_state(Call& call) {
  sync::Receiver live = receiver(call);
  NETSAMPLE_ASSIGN(sync::LiveState state, live.live_state(call.param("key")));
  NETSAMPLE_ASSIGN(std::vector<std::string> stamps, live.live_stamps(call.param("key")));
  json out = live_json(state);
  out["stamps"] = stamps;
  return Response::json(200, out);
}

// Journal lines of a recording being made: {"case", "dir", "lines": [line, ...]} on the first line of the body
// ("line": one line, as stations sent them before), then the bytes each line names, one after another. Each line is
// checked and kept in turn: the first that does not hold is refused naming it, those before it stay.
Result<Response> live_line(Call& call) {
  if (!call.request.upload) return make_error(ErrorCode::missing_field, "body", "请求体须为一行 JSON（case、dir、lines）和其后的字节");
  NETSAMPLE_ASSIGN(std::string body, read_file(call.request.upload->path()));
  const size_t newline = body.find('\n');
  const json head = newline == std::string::npos ? json() : json::parse(body.substr(0, newline), nullptr, false);
  std::vector<std::string> lines;
  if (head.is_object() && head.contains("lines") && head["lines"].is_array())
    for (const auto& line : head["lines"])
      if (line.is_string()) lines.push_back(line.get<std::string>());
  if (head.is_object() && head.contains("line") && head["line"].is_string()) lines.push_back(head["line"].get<std::string>());
  if (lines.empty() || !head.contains("case") || !head["case"].is_string())
    return make_error(ErrorCode::invalid_input, "body", "首行须为 JSON 对象 {case, dir, lines}，lines 为日志行");
  sync::Receiver live = receiver(call);
  sync::LiveState state;  // as the last line left it (there is at least one)
  size_t offset = newline + 1;
  for (const auto& line : lines) {
    // Each line names its own length; the receiver checks the bytes against it (and their SHA-256).
    const json parsed = json::parse(line, nullptr, false);
    const std::uint64_t size = parsed.is_object() ? parsed.value("size", std::uint64_t{0}) : 0;
    const size_t taken = static_cast<size_t>(std::min<std::uint64_t>(size, body.size() - offset));
    auto received = live.receive_live_line(call.param("key"), head["case"].get<std::string>(), head.value("dir", std::string()), line,
                                           body.substr(offset, taken));
    if (!received.ok()) return refused(received.error());
    state = *received;
    offset += taken;
  }
  if (offset != body.size())
    return refused(make_error(ErrorCode::integrity, "body", "日志行所记的字节之后还多出 " + std::to_string(body.size() - offset) + " 字节"));
  return Response::json(200, live_json(state));
}

// A time stamp the recorder took while recording, checked against the lines the centre holds and its trusted TSAs.
Result<Response> live_stamp(Call& call) {
  if (!call.request.upload) return make_error(ErrorCode::missing_field, "body", "请求体须为时间戳应答的字节");
  NETSAMPLE_ASSIGN(std::string token, read_file(call.request.upload->path()));
  auto stamp = receiver(call).receive_live_stamp(call.param("key"), call.param("name"), token, call.runtime.tsa_trust_store());
  if (!stamp.ok()) return refused(stamp.error());
  return Response::json(200, stamp->to_json());
}

Result<Response> blob_part(Call& call) {
  if (!call.request.upload) return make_error(ErrorCode::missing_field, "body", "请求体须为证据的字节");
  NETSAMPLE_ASSIGN(std::uint64_t size, query_size(call, "size"));
  NETSAMPLE_ASSIGN(std::uint64_t offset, query_size(call, "offset"));
  // Consumed at once, never kept as an upload: its bytes go into the partial blob (fsynced there) or, a blob sent
  // whole, into the evidence store; the upload's file goes with the request.
  auto state = receiver(call).receive_part(call.param("sha256"), size, offset, call.request.upload->path());
  if (!state.ok()) return refused(state.error());
  return Response::json(state->present ? 201 : 200, {{"present", state->present}, {"received", state->received}});
}

// The cases whose documents the centre holds from this station (their seq), and those it handed to another station:
// the station sends documents of neither again.
Result<Response> held_cases(Call& call) {
  sync::Receiver from = receiver(call);
  NETSAMPLE_ASSIGN(auto cases, from.cases());
  NETSAMPLE_ASSIGN(auto away, from.handed_away());
  json out = json::object(), handed = json::object();
  for (const auto& [number, seq] : cases) out[number] = seq;
  for (const auto& [number, holder] : away) handed[number] = holder;
  return Response::json(200, {{"cases", out}, {"handed_away", handed}});
}

// A case's documents may outgrow a JSON body's limit (a long history, many notices): taken as an upload.
Result<Response> receive_case(Call& call) {
  if (!call.request.upload) return make_error(ErrorCode::missing_field, "body", "请求体须为任务文书（JSON）");
  NETSAMPLE_ASSIGN(std::string text, read_file(call.request.upload->path()));
  const json body = json::parse(text, nullptr, false);
  if (!body.is_object()) return make_error(ErrorCode::invalid_input, "body", "须为 JSON 对象 {case, seq, documents}");
  if (!body.contains("case") || !body["case"].is_string()) return make_error(ErrorCode::missing_field, "case", "须为任务编号");
  if (!body.contains("seq") || !body["seq"].is_number_integer()) return make_error(ErrorCode::missing_field, "seq", "须为文书读取时本站审计链的条数");
  const json& documents = body.contains("documents") ? body["documents"] : json();
  NETSAMPLE_TRY(bundle::check_documents(documents));
  auto received = receiver(call).receive_case(body["case"].get<std::string>(), body["seq"].get<std::int64_t>(), documents);
  if (!received.ok()) return refused(received.error());
  return Response::json(200, {{"case", body["case"]}, {"seq", body["seq"]}});
}

}  // namespace

void add_sync_routes(std::vector<Route>& out) {
  out.push_back({"GET", "/api/sync/head", Access::station, sync_head});
  out.push_back({"POST", "/api/sync/rows", Access::station, sync_rows});
  Route state{"GET", "/api/sync/blobs/{sha256}", Access::station, blob_state};
  state.slow = true;  // may hash a recording the station sent line by line
  out.push_back(std::move(state));
  Route part{"PUT", "/api/sync/blobs/{sha256}", Access::station, blob_part};
  part.upload = true;
  part.slow = true;  // the last part hashes the whole blob
  out.push_back(std::move(part));
  out.push_back({"GET", "/api/sync/live/{key}", Access::station, live_state});
  Route live{"POST", "/api/sync/live/{key}", Access::station, live_line};
  live.upload = true;
  out.push_back(std::move(live));
  Route stamp{"POST", "/api/sync/live/{key}/stamps/{name}", Access::station, live_stamp};
  stamp.upload = true;
  out.push_back(std::move(stamp));
  out.push_back({"GET", "/api/sync/cases", Access::station, held_cases});
  Route documents{"POST", "/api/sync/cases", Access::station, receive_case};
  documents.upload = true;
  out.push_back(std::move(documents));
}

}  // namespace netsample::server
