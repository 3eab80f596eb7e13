// The store module's tables: the audit log and its stamps and witness, the evidence rows, the store's settings.
// Its own migrations, numbered from 1 here; append only: a released one is never edited, a change is a new one
// (design/store.md, "Schema").
#include "netsample/store/schema.h"

namespace netsample::store {

const ModuleSchema& store_schema() {
  static const ModuleSchema schema = {"store", {
      {1, "1 evidence and the audit log", R"sql(
CREATE TABLE evidence (
  id            INTEGER PRIMARY KEY,
  case_id       INTEGER NOT NULL REFERENCES cases (id),
  sha256        TEXT NOT NULL,               -- name of the file in the content-addressed store
  size          INTEGER NOT NULL,
  kind          TEXT NOT NULL,               -- document, recording, still, manifest, token, ...
  name          TEXT NOT NULL,               -- original file name, for people
  added_utc_us  INTEGER NOT NULL
);
CREATE INDEX evidence_by_case ON evidence (case_id);

-- Append-only, hash-chained: hash = SHA-256 over (seq, utc_us, actor, action, case_number, payload,
-- prev_hash). The triggers stop accidental edits; a deliberate hand edit breaks the chain instead.
CREATE TABLE audit_log (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  utc_us       INTEGER NOT NULL,
  actor        TEXT NOT NULL,
  action       TEXT NOT NULL,
  case_number  TEXT,
  payload      TEXT NOT NULL,               -- canonical JSON (sorted keys)
  prev_hash    TEXT NOT NULL,
  hash         TEXT NOT NULL
);
CREATE INDEX audit_by_case ON audit_log (case_number);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
)sql"},
      {8, "2 where a piece of evidence was stored from", R"sql(
-- Where a file was stored from (absolute path): ties a recording directory's file to its stored copy, which
-- the service streams. NULL for items stored before.
ALTER TABLE evidence ADD COLUMN source TEXT;
CREATE INDEX evidence_by_source ON evidence (source);
)sql"},
      {12, "3 the audit chain's head stamped by time-stamping authorities: a rewrite of "
       "chain and witness is caught back to the last stamp", R"sql(
CREATE TABLE audit_stamps (
  id              INTEGER PRIMARY KEY,
  seq             INTEGER NOT NULL,        -- the head stamped: its last row
  head_hash       TEXT NOT NULL,           -- and that row's hash
  tsa_url         TEXT NOT NULL,
  token           BLOB NOT NULL,           -- the RFC 3161 TimeStampResp (DER) over audit_head_imprint(seq, head_hash)
  stamped_utc_us  INTEGER NOT NULL         -- the TSA's time
);
CREATE TRIGGER audit_stamps_no_update BEFORE UPDATE ON audit_stamps
  BEGIN SELECT RAISE(ABORT, 'audit_stamps is append-only'); END;
CREATE TRIGGER audit_stamps_no_delete BEFORE DELETE ON audit_stamps
  BEGIN SELECT RAISE(ABORT, 'audit_stamps is append-only'); END;
)sql"},
      {13, "4 evidence rows never change (a deletion is audited)", R"sql(
CREATE TRIGGER evidence_no_update BEFORE UPDATE ON evidence
  BEGIN SELECT RAISE(ABORT, 'evidence rows are never changed (a deletion is audited)'); END;
)sql"},
      {14, "5 a stamp of the audit head keeps its TSA's chain and revocation status: it "
       "verifies at its own time after the certificate expired", R"sql(
ALTER TABLE audit_stamps ADD COLUMN material TEXT;  -- JSON (core/long_term.h); NULL for stamps made before
)sql"},
      {15, "6 a stamp of the audit head covers the Merkle root of the rows up to it: a "
       "case's bundle proves its rows without the others", R"sql(
ALTER TABLE audit_stamps ADD COLUMN merkle_root TEXT;  -- RFC 9162 root of rows 1..seq; NULL for stamps made before
)sql"},
      {17, "7 the centre's own parts in its database: the audit witness (forward only) and "
       "where its evidence is", R"sql(
-- A station keeps both in its data directory (audit-head.json, storage.json); the centre's instances share only
-- PostgreSQL and the object store, so there they are rows.
CREATE TABLE audit_witness (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  seq   INTEGER NOT NULL,
  hash  TEXT NOT NULL
);
CREATE TRIGGER audit_witness_forward BEFORE UPDATE ON audit_witness WHEN NEW.seq < OLD.seq
  BEGIN SELECT RAISE(ABORT, 'the audit witness only moves forward'); END;
CREATE TRIGGER audit_witness_no_delete BEFORE DELETE ON audit_witness
  BEGIN SELECT RAISE(ABORT, 'the audit witness is never deleted'); END;
CREATE TABLE store_settings (
  name   TEXT PRIMARY KEY,   -- "evidence": the evidence location (as storage.json's)
  value  TEXT NOT NULL
);
)sql"},
  }};
  return schema;
}

}  // namespace netsample::store
