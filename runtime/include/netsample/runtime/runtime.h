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

// What `audit verify` found: the hash chain against its witness, and every table that keeps an audited
// copy (cases, people, purchase and unboxing sessions, parties) against its last audit row.
struct AuditReport {
  store::ChainReport chain;
  workflow::RecordCheck records;  // problems of every table, one line each
  int parties_checked = 0;
  bool intact() const { return chain.intact && records.intact; }
  nlohmann::json to_json() const;
};

// The trust store for TSA tokens: `given`, else <data>/tsa-trust.pem, else the system's CA bundle. Needs no
// opened database (`netsample verify` reads only files).
std::filesystem::path tsa_trust_store(const std::filesystem::path& data_dir, const std::string& given = {});

class Runtime {
 public:
  // Opens (creating) the data directory: the store (migrated), platforms.json, the calendar and
  // settings.json ({"period_rule": "default" | "strict"}, Art 75; {"region": {"code", "name"}}, Art 34). Errors name the file and field.
  static Result<std::unique_ptr<Runtime>> open(const std::filesystem::path& data_dir);
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
  // The trust store for TSA tokens (runtime::tsa_trust_store of this data directory).
  std::filesystem::path tsa_trust_store(const std::string& given = {}) const;

  // The chain and every audited table; an Error only when a check could not run.
  Result<AuditReport> verify_audit();

 private:
  Runtime() = default;
  std::filesystem::path data_dir_;
  SystemClock clock_;
  std::unique_ptr<store::Store> store_;
  workflow::PlatformRegistry platforms_;
  workflow::Calendar calendar_;
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
