// The routes' shared vocabulary: who is calling, the call a handler gets, the route table, and the checks
// every route makes the same way (scope of a case, the JSON body).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http.h"
#include "netsample/accounts/accounts.h"
#include "netsample/sync/sync.h"
#include "netsample/runtime/runtime.h"
#include "netsample/workflow/roster.h"

namespace netsample::server {

struct Metrics;
struct ServerOptions;
class Jobs;
struct Job;

enum class Access {
  anyone,     // /healthz, the OpenAPI document, signing in
  signed_in,  // a token or a browser session; the route checks the role and scope itself
  admin,      // an administrator's account
  station,    // a station's sync token (netsample station add), on /api/sync/* only: never a person's sign-in
};
std::string_view to_string(Access access);

// Who is asking, after the credential was checked.
struct Caller {
  accounts::Account account;  // with the roster entry of a person's account (`account.person`, found active)
  bool by_session = false;                 // a browser session (needs the CSRF token to change anything)
  std::string session_cookie;              // its cookie, for signing out
  std::string csrf_token;
  std::optional<UtcTime> expires;          // when the token or session runs out (nullopt: a token until revoked)

  // The name in the audit log and the lifecycle's actor: the roster id, or "party:<id>".
  std::string actor() const { return account.login(); }
  bool admin() const { return account.admin; }
  bool has_role(std::string_view role) const { return account.person && account.person->has_role(role); }
};

// Failed sign-ins per login and per address in a sliding window (in memory: a restart forgets them, which
// only ever lets someone try again sooner).
class SignInLimiter {
 public:
  SignInLimiter(int attempts, std::chrono::seconds window) : attempts_(attempts), window_(window) {}
  // How long until the next attempt for this login from this address is allowed; zero: now.
  std::chrono::seconds wait(const std::string& login, const std::string& address);
  void failed(const std::string& login, const std::string& address);
  void succeeded(const std::string& login);

 private:
  void prune(std::vector<std::chrono::steady_clock::time_point>& times, std::chrono::steady_clock::time_point now) const;
  int attempts_;
  std::chrono::seconds window_;
  std::mutex mutex_;
  std::map<std::string, std::vector<std::chrono::steady_clock::time_point>> by_key_;
};

// Which evidence each caller read lately: a viewing is one audit row, however many range requests it takes.
class ReadLog {
 public:
  explicit ReadLog(std::chrono::seconds window) : window_(window) {}
  // True when `caller` did not read `sha256` within the window (and notes that they do now).
  bool first_read(const std::string& caller, const std::string& sha256);
  // The viewing's audit row could not be written: the next read tries again.
  void forget(const std::string& caller, const std::string& sha256);

 private:
  std::chrono::seconds window_;
  std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::chrono::steady_clock::time_point> last_;
};

// The second origin that replays the pages preserved during a purchase (replay.h): archived pages run their own
// scripts, so they are shown from an origin that holds no session and answers no API.
struct ReplayOrigin {
  std::uint16_t port = 0;       // of the replay listener; 0 when there is none
  std::uint16_t main_port = 0;  // of the API and web UI (whose pages may frame the replay)
  bool tls = false;
  std::string secret;           // signs the links to a recording's pages (random per start: links die with the process)
};

struct Call {
  Request& request;
  runtime::Runtime& runtime;
  const ServerOptions& options;
  const ReplayOrigin& replay;
  Metrics& metrics;
  SignInLimiter& limiter;
  ReadLog& reads;
  Jobs& jobs;
  std::optional<Caller> caller;  // set for Access::signed_in and Access::admin routes
  std::optional<sync::Station> station;  // set for Access::station routes

  const Caller& who() const { return *caller; }
  const std::string& param(const std::string& name) const { return request.params.at(name); }
};

using Handler = std::function<Result<Response>(Call&)>;

struct Route {
  std::string method;
  std::string pattern;
  Access access = Access::signed_in;
  Handler handler;
  // Reads only (no audit row, no change): runs in one read transaction — one snapshot of the data for all its
  // queries, and one lock instead of one per query. Never set on a route that writes: a write in a read
  // transaction fails when another process wrote meanwhile.
  bool snapshot = false;
  // The body is a file of any type (?name= names it), streamed to disk up to ServerOptions::max_upload_bytes
  // after the credential was checked, and handed to the handler as Request::upload.
  bool upload = false;
  // May take seconds (a hash, a verification, an export, a wait): runs on the slow-work threads with its
  // connection suspended, so that it never holds a worker that other connections need (slow_work.h).
  bool slow = false;
  // The path carries a credential (a signed replay link): the access log shows the route's pattern instead.
  bool secret_path = false;
};

// The whole table, in the order the files add them.
const std::vector<Route>& routes();
void add_session_routes(std::vector<Route>& out);    // sign in/out, who am I, healthz, metrics, OpenAPI
void add_case_routes(std::vector<Route>& out);       // cases, events, lifecycle, deadlines, roster, audit
void add_recording_routes(std::vector<Route>& out);  // recordings, video, chapters, stills, review
void add_process_routes(std::vector<Route>& out);    // tracking, notices, evidence, published notices
void add_sample_routes(std::vector<Route>& out);     // uploads, evidence added, purchase, unboxing, seal, parties, jobs
void add_sync_routes(std::vector<Route>& out);       // what stations send the centre: their chain and evidence
void add_station_routes(std::vector<Route>& out);  // the centre's stations, their cases and recordings in progress (admin)
void add_plan_routes(std::vector<Route>& out);       // case creation from a form or a spreadsheet plan
void add_capture_routes(std::vector<Route>& out);    // pages captured as evidence, what they read and checked
void add_web_routes(std::vector<Route>& out);        // the web UI's files (web/)
// The replay origin's table (a listener of its own): ReplayWeb.page's files and the pages of a recording.
const std::vector<Route>& replay_routes();
void add_replay_web_routes(std::vector<Route>& out);        // ReplayWeb.page's page, ui.js and its service worker
void add_recording_replay_routes(std::vector<Route>& out);  // a recording's pages.warc.gz for a signed link

// A matched route with its parameters, or nullptr (also filling `allowed` with the methods the path has).
const Route* match_route(const std::string& method, const std::string& path, std::map<std::string, std::string>& params,
                         std::vector<std::string>& allowed);
const Route* match_replay_route(const std::string& method, const std::string& path, std::map<std::string, std::string>& params,
                                std::vector<std::string>& allowed);

// The origins as the browser sees them: the host it asked for (Host header) with each listener's port.
std::string main_origin(const Call& call);
std::string replay_origin(const Call& call);

// --- checks every route makes the same way ---

// The case, if the caller may see it (an administrator sees every case); outside the scope it is not_found
// with the same words as a case that does not exist (existence is not leaked).
Status require_case(Call& call, const std::string& number);
// Whether a station sent the case (the centre holds its documents, not rows) and the caller may see it: an
// administrator any, a person of the centre's roster by workflow::in_case_scope on the case as the documents show it,
// a party none.
Result<bool> may_see_station_case(Call& call, const std::string& number);
// The same on the case as its documents show it (station_case_json), already read.
bool may_see_station_case(const Caller& caller, const nlohmann::json& shown);
// The same, with the case's latest documents: nullopt when no station sent it or the caller may not see it.
Result<std::optional<sync::StationCase>> visible_station_case(Call& call, const std::string& number);
// The case as a station's documents show it (case/case.json: CaseView::to_json); an empty object if they lack it.
nlohmann::json station_case_json(const sync::StationCase& sent);
// A person of the roster (not a party's account); others get not_found for the route's object.
Status require_person(const Call& call);
// The body as a JSON object; errors name the field "body".
Result<nlohmann::json> json_body(const Call& call);
// The caller holds `role` in the case (Lifecycle::holds_role, as the command line); refused_by_rule naming it.
Status require_role(Call& call, const std::string& number, workflow::CaseRole role, const std::string& doing);
// Writes "evidence.read" to the audit log: who read what of which case. `what` carries "sha256"; a repeat
// read of the same file by the same caller within ReadLog's window is the same viewing and writes nothing.
Status audit_read(Call& call, const std::optional<std::string>& case_number, nlohmann::json what);

// 202 with the queued job, its Location the job's state (GET /api/jobs/{id}).
Response job_accepted(const Job& job);

// Where uploads wait to be used (uploads.h).
std::filesystem::path uploads_dir(const Call& call);
// Whether the caller may open a case for the record's organizing unit (Art 4, 5): an organizer of that unit, or
// an administrator for any.
Status may_create_case(const Call& call, const workflow::CaseRecord& record);

int query_int(const Call& call, const std::string& name, int fallback, int min, int max, Status& status);

// A path segment that is a positive decimal id ("12"), or nullopt.
std::optional<std::int64_t> positive_id(std::string_view text);

// Sends a stored piece of evidence (file_response: Range, ETag, 304) and, when bytes go out, writes the read to
// the audit log with `what` (what was read: its route's words) and the file's name and hash added. `attachment`:
// offered as a download under its name, else shown in place (a video, a still).
Result<Response> serve_evidence(Call& call, const store::EvidenceItem& item, nlohmann::json what, bool attachment);

}  // namespace netsample::server
