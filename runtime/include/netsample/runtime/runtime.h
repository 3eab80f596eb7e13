// The application layer's one entry: a data directory opened once, with everything built on it — the
// store, the platforms, the holiday calendar and the period rule, the lifecycle, the registries and the
// session objects — for the command line, netsample-recorder and the service alike, so that each front end
// does exactly the same checks and writes the same audit rows. Front ends parse their input, call these
// objects and print or serve what they return; they hash, stamp, decide and loop nowhere else.
//
// Not thread-safe: one Runtime per thread of work (the store serializes writes, also across processes).
// The objects it hands out live as long as it does.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/core/time.h"
#include "netsample/listing/listing.h"
#include "netsample/notices/deliveries.h"
#include "netsample/notices/parties.h"
#include "netsample/purchase/session.h"
#include "netsample/recorder/seal.h"
#include "netsample/store/audit.h"
#include "netsample/store/store.h"
#include "netsample/unboxing/parcels.h"
#include "netsample/unboxing/session.h"
#include "netsample/workflow/calendar.h"
#include "netsample/workflow/cases.h"
#include "netsample/workflow/lifecycle.h"
#include "netsample/workflow/platforms.h"
#include "netsample/workflow/roster.h"

namespace netsample::runtime {

// What `audit verify` found: the hash chain against its witness, and every table of case facts against its audit
// rows (cases, people, case histories, evidence, purchase and unboxing sessions, parcels and their timelines, notice
// documents, deliveries and receipts, parties).
// One stamp of the chain's head, checked: its token against the trust store, and the row it names against the chain.
struct StampCheck {
  store::AuditStamp stamp;
  bool ok = false;
  std::string problem;  // for a person: the token, or the row it proves, that does not hold
};

struct AuditReport {
  store::ChainReport chain;
  workflow::RecordCheck records;  // problems of every table, one line each
  int parties_checked = 0;
  std::vector<StampCheck> stamps;
  std::string trust_source;        // the certificates the stamps were checked against
  std::int64_t unstamped_rows = 0;  // rows after the last stamp that holds
  std::optional<UtcTime> last_stamped;
  std::string stamp_renewal;  // when the newest stamp's certificates run out within kRenewalMargin: stamp again before
  bool stamps_intact() const;
  bool intact() const { return chain.intact && records.intact && stamps_intact(); }
  // "…从未盖时间戳" / "其后 N 条尚未盖时间戳"; empty when the head is stamped.
  std::string stamp_gap() const;
  nlohmann::json to_json() const;
};

// One TSA's answer to `audit stamp`.
struct StampOutcome {
  std::string tsa_url;
  bool ok = false;
  std::string error;
  store::AuditHead head;
  std::optional<UtcTime> stamped;
  std::string note;  // kept without its validation material (and why)
};

// Where TSA tokens are checked against. Whoever can write the data directory could add a CA there and forge stamps
// that a plain verify accepts, so the default is a system-level place: `given` (--trust), else kSystemTsaTrust
// when it exists, else the system's CA bundle. A file inside the data directory is used only when named, and said.
// Needs no opened database (`netsample verify` reads only files).
inline constexpr const char* kSystemTsaTrust = "/etc/netsample/tsa-trust.pem";
struct TsaTrust {
  std::filesystem::path file;
  std::string source;              // for a person: "--trust …", "/etc/netsample/tsa-trust.pem", "系统 CA 证书"
  std::vector<std::string> notes;  // what a reviewer must know: the file is inside the data directory; one there is ignored
  nlohmann::json to_json() const;
};
TsaTrust tsa_trust(const std::filesystem::path& data_dir, const std::string& given = {});

// What `evidence renew` did with one token of a case's recording.
struct RenewedToken {
  std::string case_number;
  std::filesystem::path recording;
  recorder::TokenRenewal token;
  bool due() const { return token.after && token.after->renewal_due; }
};
struct RenewReport {
  TsaTrust trust;
  std::vector<RenewedToken> tokens;
  int failures = 0;  // tokens whose material could not be kept or whose renewal failed
  int due = 0;       // still due afterwards (no TSA given, or it failed)
};
inline std::filesystem::path tsa_trust_store(const std::filesystem::path& data_dir, const std::string& given = {}) {
  return tsa_trust(data_dir, given).file;
}

class Runtime {
 public:
  // Opens (creating) the data directory: the store (migrated), platforms.json, the calendar and
  // settings.json ({"period_rule": "default" | "strict"}, Art 75; {"region": {"code", "name"}}, Art 34). Errors name the file and field.
  // `store_options`: where the evidence is (store::StoreOptions; by default what the data directory remembers).
  static Result<std::unique_ptr<Runtime>> open(const std::filesystem::path& data_dir, const store::StoreOptions& store_options = {});
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  const std::filesystem::path& data_dir() const { return data_dir_; }
  const Clock& clock() const { return clock_; }
  store::Store& store() { return *store_; }
  const workflow::PlatformRegistry& platforms() const { return platforms_; }
  const workflow::Calendar& calendar() const { return calendar_; }
  const workflow::LifecycleOptions& lifecycle_options() const { return lifecycle_options_; }

  workflow::Lifecycle& lifecycle() { return *lifecycle_; }
  workflow::CaseRegistry& cases() { return *cases_; }
  workflow::Roster& roster() { return *roster_; }
  purchase::PurchaseSessions& purchases() { return *purchases_; }
  unboxing::UnboxingSessions& unboxings() { return *unboxings_; }
  notices::PartyRegistry& parties() { return *parties_; }
  // Pages checked before a sample is bought (capture, fields, the Art 22/24/25/34 checks; settings.json's region).
  listing::PageChecks& pages() { return *pages_; }

  // Parcel tracking with <data>/tracking.json (read on first use; an error names the file).
  Result<unboxing::ParcelTracker*> tracker();
  // Notice deliveries: e-mail only when <data>/notices.json configures an SMTP server.
  Result<std::unique_ptr<notices::Deliveries>> deliveries(notices::DeliveryPolicy policy = {});

  // Re-reads <data>/platforms.json (after it was written, as the demo does).
  Status reload_platforms();

  // Imports years of the State Council's holiday notices (a calendar.json text; each year checked by
  // Calendar::check_notice) into <data>/calendar.json, audits each year ("calendar.year_added", by `actor`), and
  // recomputes the open deadlines (Art 75). Returns the deadlines whose last day changed.
  Result<std::vector<workflow::DeadlineView>> add_calendar(std::string_view json_text, const std::string& source, const std::string& actor);
  // Re-reads <data>/calendar.json when another process changed it since it was read (the service, after
  // `netsample calendar add`); true when it did.
  Result<bool> refresh_calendar();
  // The trust store for TSA tokens (runtime::tsa_trust of this data directory): `given`, else the one configured
  // with set_tsa_trust (serve --trust), else the system-level default.
  std::filesystem::path tsa_trust_store(const std::string& given = {}) const;
  TsaTrust tsa_trust(const std::string& given = {}) const;
  void set_tsa_trust(std::string file) { tsa_trust_given_ = std::move(file); }

  // The chain and every audited table, and each stamp of the chain's head against the TSA trust store; an Error
  // only when a check could not run.
  Result<AuditReport> verify_audit();
  // Stamps the chain's current head by each TSA (RFC 3161; the HTTP client retries a TSA that does not answer),
  // keeping each token (audit_stamps) and an audit row "audit.head_stamped". One outcome per TSA; a failure is
  // named, never fatal to the others.
  Result<std::vector<StampOutcome>> stamp_audit_head(const std::vector<std::string>& tsa_urls, const std::string& actor);
  // Long-term validation of the recordings' tokens (core/long_term.h, Art 47), of one case or all: keeps each
  // token's material where it has none, stamps again what is due (`force`: everything) with the first of `tsa_urls`
  // that answers, and keeps every changed evidence record as the case's evidence (audited, by `actor`).
  Result<RenewReport> renew_evidence(const std::optional<std::string>& case_number, const std::vector<std::string>& tsa_urls, bool force,
                                     const std::string& actor);

 private:
  Runtime() = default;
  std::filesystem::path data_dir_;
  std::string tsa_trust_given_;
  SystemClock clock_;
  std::unique_ptr<store::Store> store_;
  workflow::PlatformRegistry platforms_;
  workflow::Calendar calendar_;
  std::string calendar_file_state_;  // size and modification time of <data>/calendar.json when read
  workflow::LifecycleOptions lifecycle_options_;
  std::unique_ptr<workflow::Lifecycle> lifecycle_;
  std::unique_ptr<workflow::CaseRegistry> cases_;
  std::unique_ptr<workflow::Roster> roster_;
  std::unique_ptr<purchase::PurchaseSessions> purchases_;
  std::unique_ptr<unboxing::UnboxingSessions> unboxings_;
  std::unique_ptr<notices::PartyRegistry> parties_;
  std::unique_ptr<listing::PageChecks> pages_;
  std::unique_ptr<unboxing::TrackingConfig> tracking_config_;
  std::unique_ptr<unboxing::ParcelTracker> tracker_;
};

}  // namespace netsample::runtime
