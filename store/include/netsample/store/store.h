// The data directory as one object: the SQL database (a station's SQLite file netsample.db, or the centre's
// PostgreSQL), the evidence blobs (evidence/, or S3-compatible object storage: store/blobs.h), the audit log and its
// witness (audit-head.json, or a row of the centre's database), and the retention rule. Every change goes through
// write(), so a change and its audit rows commit together or not at all.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "netsample/core/error.h"
#include "netsample/core/time.h"
#include "netsample/store/audit.h"
#include "netsample/store/blobs.h"
#include "netsample/store/database.h"

namespace netsample::store {

// Art 47: inspection records and reports are kept 6 years.
inline constexpr int kRetentionYears = 6;

// The first instant at which something stored at `stored` may be deleted (Beijing calendar years).
UtcTime retention_ends(UtcTime stored);
// refused_by_rule citing Art 47 while `now` is before retention_ends(stored); `what` names the item.
Status check_retention(UtcTime stored, UtcTime now, const std::string& what);

struct EvidenceItem {
  std::int64_t id = 0;
  std::string case_number;
  std::string sha256;
  std::int64_t size = 0;
  std::string kind;
  std::string name;
  UtcTime added;
  std::optional<std::string> source;  // the absolute path it was stored from (items stored since schema 8)
};

// Where a data directory keeps its parts (`--db`, $NETSAMPLE_DATABASE; `--evidence`, $NETSAMPLE_EVIDENCE).
struct StoreOptions {
  // "": the SQLite file <data>/netsample.db (a station's). "postgresql://…": the centre's PostgreSQL (no password in
  // it: PGPASSWORD or ~/.pgpass); the audit witness and the evidence location are then rows there, not files.
  std::string database;
  // "": as the data directory says (storage.json), else the local folder <data>/evidence.
  // "s3://BUCKET[/PREFIX]?endpoint=…": S3-compatible object storage (store/s3.h), keys from the environment or a file.
  std::string evidence;
};

// Prepares an evidence location before first use: for S3, creates the bucket with Object Lock and a default
// retention of COMPLIANCE for kRetentionYears (Art 47); an existing bucket is left as it is. Nothing for the local folder.
Status init_evidence_store(const std::string& evidence, const Clock& clock);

class Store {
 public:
  // Opens (creating if needed) the data directory. Its evidence location is remembered (without keys) in
  // <data>/storage.json, or on PostgreSQL in store_settings: later opens use it when none is given, and refuse another
  // one once evidence is stored, so that no evidence row is ever read against the wrong store.
  // REQUIRES: clock outlives the Store.
  static Result<std::unique_ptr<Store>> open(const std::filesystem::path& data_dir, const Clock& clock,
                                             const StoreOptions& options = {});

  Database& db() { return db_; }
  BlobStore& evidence() { return *evidence_; }
  AuditLog& audit() { return audit_; }
  const Clock& clock() const { return *clock_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }

  // Runs body in one transaction; body records its audit rows with audit().append(..., clock().now()).
  // After the commit the audit head is published to the witness file. Writes nest: a write inside another
  // commits with it or not at all (so a lifecycle event and a module's own rows can go together).
  Status write(const std::function<Status()>& body);

  // Stores a file as evidence of a case (by its internal id) and records it in the audit log.
  Result<EvidenceItem> add_evidence(std::int64_t case_id, const std::string& case_number,
                                    const std::filesystem::path& file, const std::string& kind, const std::string& actor);
  Result<std::vector<EvidenceItem>> list_evidence(const std::optional<std::string>& case_number);
  // The stored copy of a file of the case: by the path it was stored from, or (items stored before schema 8)
  // by its name and size. nullopt when the file was never stored.
  Result<std::optional<EvidenceItem>> find_evidence(const std::string& case_number, const std::filesystem::path& source);
  Result<std::optional<EvidenceItem>> evidence_item(std::int64_t evidence_id);
  // Refused while younger than the retention period (Art 47). The file goes once no item refers to it.
  Status delete_evidence(std::int64_t evidence_id, const std::string& actor);
  // Every evidence row against its evidence.added / evidence.deleted audit rows (compare_rows_with_audit).
  Result<std::vector<std::string>> verify_evidence_records();

 private:
  Store(Database db, std::unique_ptr<BlobStore> evidence, const std::filesystem::path& data_dir, const Clock& clock);

  Database db_;
  std::unique_ptr<BlobStore> evidence_;
  AuditLog audit_;
  std::filesystem::path data_dir_;
  const Clock* clock_;
};

}  // namespace netsample::store
