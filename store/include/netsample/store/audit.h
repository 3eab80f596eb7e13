// The audit log: every change to a case is one append-only row, and each row's hash covers the
// previous row's hash, so editing or deleting any row breaks the chain from that row on.
// Deleting rows at the end would leave a shorter chain that still links, so the head (last seq and
// hash) is also written to a witness after every commit (AuditWitness: a file beside a station's SQLite database, a
// forward-only row of the centre's PostgreSQL); verify compares. The witness may lag the database by the last
// commit after a crash, never lead it.
// Whoever controls the machine can rewrite the chain and the witness together; so the head is also stamped by
// RFC 3161 time-stamping authorities (audit_stamps, append-only): a rewrite is then caught back to the last stamp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/core/sha256.h"
#include "netsample/core/time.h"
#include "netsample/store/database.h"

namespace netsample::store {

inline constexpr std::string_view kGenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

struct AuditEntry {
  std::string actor;                       // who: a roster id, or "os:<login>" from the command line
  std::string action;                      // what: "case.created", "case.tester_assigned", ...
  std::optional<std::string> case_number;  // which case, when it concerns one
  nlohmann::json payload = nlohmann::json::object();  // the fields of the change
};

struct AuditRecord {
  std::int64_t seq = 0;
  UtcTime at;
  std::string actor;
  std::string action;
  std::optional<std::string> case_number;
  std::string payload;  // canonical JSON text, exactly as hashed
  std::string prev_hash;
  std::string hash;
};

// A row as JSON, with everything its hash covers (utc_us, payload as hashed), so that anyone can recompute it.
nlohmann::json to_json(const AuditRecord& record);

struct AuditHead {
  std::int64_t seq = 0;
  std::string hash{kGenesisHash};
};

// An RFC 3161 token over one head of the chain (`netsample audit stamp`, the service at an interval, every export).
struct AuditStamp {
  std::int64_t id = 0;
  AuditHead head;
  std::string tsa_url;
  std::string token_der;  // the TimeStampResp as received
  UtcTime stamped;        // the TSA's time
  std::string material;   // its ValidationMaterial as JSON (core/long_term.h), kept when stamped; empty for older stamps
  std::string merkle_root;  // of rows 1..seq, stamped with the head; empty for older stamps
};

// What a head is stamped as: SHA-256 over the JSON ["netsample-audit-head", seq, hash] (stamps without a Merkle
// root), or ["netsample-audit-head/2", seq, hash, merkle_root] (merkle_root: of rows 1..seq, audit_merkle_root).
Sha256Digest audit_head_imprint(const AuditHead& head, const std::string& merkle_root = {});

// The rows' hashes as an RFC 9162 Merkle tree (leaf: SHA-256(0x00 || hash as hex text), node: SHA-256(0x01 || l || r)),
// so that a case's bundle can prove its own rows sit under a stamped head without carrying any other case's rows.
std::string audit_merkle_root(const std::vector<std::string>& row_hashes);
// The audit path of row `index` (0-based) in the tree of `row_hashes`, as hex.
std::vector<std::string> audit_inclusion_proof(const std::vector<std::string>& row_hashes, size_t index);
// The root the path leads to from `row_hash` at `index` in a tree of `size` rows; empty when the path does not fit.
std::string audit_root_from_proof(const std::string& row_hash, size_t index, size_t size, const std::vector<std::string>& proof);

struct ChainReport {
  bool intact = true;
  std::int64_t rows = 0;
  AuditHead head;                      // the last row read
  std::optional<AuditHead> witness;    // what the witness file says
  std::int64_t first_bad_seq = 0;      // 0 when intact or when the problem is not one row
  std::string problem;                 // for a person: what is wrong and where
};

// Where the chain's head is written after every commit, apart from the rows it vouches for.
class AuditWitness {
 public:
  virtual ~AuditWitness() = default;
  // nullopt: never written (a data directory older than its witness, or one whose witness was removed).
  virtual Result<std::optional<AuditHead>> read() const = 0;
  // Writes `head` unless the witness already names that row or a later one: never backwards, safe across processes.
  virtual Status advance(const AuditHead& head) = 0;
  // For messages: where it is ("审计链见证文件 /data/audit-head.json").
  virtual std::string describe() const = 0;
};

// A station's: a JSON file {"hash", "seq"} in the data directory, outside the SQLite file (audit-head.json).
std::unique_ptr<AuditWitness> file_witness(std::filesystem::path file);
// The centre's: the one row of audit_witness, which a trigger lets only move forward and never be deleted. The
// service's database role owns no DDL rights (design/central.md); the stamps of the head are the defence beyond it.
std::unique_ptr<AuditWitness> database_witness(Database& db);

// The witness as exported in a bundle (audit/witness.json): {"hash", "seq"} and a newline.
std::string witness_json(const AuditHead& head);

class AuditLog {
 public:
  // REQUIRES: db outlives the log.
  AuditLog(Database& db, std::unique_ptr<AuditWitness> witness) : db_(&db), witness_(std::move(witness)) {}

  // Writes the genesis witness for an empty log (first open of a new data directory).
  Status initialise_witness();
  // What the witness says now; nullopt when there is none.
  Result<std::optional<AuditHead>> read_witness() const { return witness_->read(); }

  // REQUIRES: inside Database::transaction, so the row commits or rolls back with the change itself.
  Result<AuditRecord> append(const AuditEntry& entry, UtcTime at);

  // After a commit: advances the witness to the database's tail (never backwards; safe across processes).
  Status publish_head();

  // Recomputes every hash and link, then compares the tail with the witness.
  Result<ChainReport> verify();

  Result<std::vector<AuditRecord>> records(const std::optional<std::string>& case_number = std::nullopt);
  // The case's last row of `action`; nullopt when it has none.
  Result<std::optional<AuditRecord>> last_of(const std::string& case_number, const std::string& action);

  // The last row committed.
  Result<AuditHead> head() { return tail(); }
  // The hashes of rows 1..seq, in order.
  Result<std::vector<std::string>> hashes_until(std::int64_t seq);
  // The hash row `seq` has now; nullopt when there is no such row.
  Result<std::optional<std::string>> hash_at(std::int64_t seq);
  // REQUIRES: inside Database::transaction. Keeps a token over `head` (append-only).
  Status record_stamp(const AuditStamp& stamp);
  Result<std::vector<AuditStamp>> stamps();

  // The hash of one row: SHA-256 over a JSON array of its fields (unambiguous framing).
  static std::string row_hash(std::int64_t seq, std::int64_t utc_us, const std::string& actor, const std::string& action,
                              const std::optional<std::string>& case_number, const std::string& payload,
                              const std::string& prev_hash);

 private:
  Result<AuditHead> tail();

  Database* db_;
  std::unique_ptr<AuditWitness> witness_;
};

// Rows kept in the database against the payloads the audit log recorded when they were written, in order:
// one line per row missing, added or changed, each named "<who>：步骤「<name>」…". For the modules whose rows
// are not in a case's snapshot (purchase and unboxing steps).
std::vector<std::string> compare_with_audit(const std::string& who, const std::vector<nlohmann::json>& stored,
                                            const std::vector<nlohmann::json>& audited, const std::string& name_key);

// What the audit log says one row of a table holds now: the fields written by the last row that changed it
// (row null: deleted by that row).
struct AuditedRow {
  std::int64_t seq = 0;
  nlohmann::json row;
};
// Rows kept in the database, keyed by how a person names them ("证据 #12"), against what the audit log says they
// hold: one line per row inserted by hand, deleted, or changed (naming the first field that differs, both values).
std::vector<std::string> compare_rows_with_audit(const std::map<std::string, nlohmann::json>& stored,
                                                 const std::map<std::string, AuditedRow>& audited);

}  // namespace netsample::store
