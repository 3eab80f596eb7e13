// The sync module's tables: the centre's side of the stations: tokens, their chains, blobs, cases and recordings
// as received.
// Its own migrations, numbered from 1 here; append only: a released one is never edited, a change is a new one
// (design/store.md, "Schema").
#include "netsample/store/schema.h"

namespace netsample::store {

const ModuleSchema& sync_schema() {
  static const ModuleSchema schema = {"sync", {
      {18, "1 stations that sync to the centre: their tokens, their audit chains as "
       "received, the blobs they sent", R"sql(
CREATE TABLE stations (
  id              TEXT PRIMARY KEY,            -- chosen by the centre's administrator: "yubei-01"
  name            TEXT NOT NULL,
  token_sha256    TEXT NOT NULL UNIQUE,        -- the token itself is shown once and never kept
  added_utc_us    INTEGER NOT NULL,
  revoked_utc_us  INTEGER
);
CREATE TRIGGER stations_fixed BEFORE UPDATE OF id, token_sha256, added_utc_us ON stations
  BEGIN SELECT RAISE(ABORT, 'a station''s id, token and registration never change'); END;
CREATE TRIGGER stations_no_delete BEFORE DELETE ON stations
  BEGIN SELECT RAISE(ABORT, 'stations are never deleted'); END;
-- Each station's audit chain as that station wrote it, row for row (hashes checked on receipt: sync/src/centre.cc).
CREATE TABLE station_audit (
  station_id       TEXT NOT NULL REFERENCES stations(id),
  seq              INTEGER NOT NULL,
  utc_us           INTEGER NOT NULL,
  actor            TEXT NOT NULL,
  action           TEXT NOT NULL,
  case_number      TEXT,
  payload          TEXT NOT NULL,
  prev_hash        TEXT NOT NULL,
  hash             TEXT NOT NULL,
  received_utc_us  INTEGER NOT NULL,
  PRIMARY KEY (station_id, seq)
);
CREATE INDEX station_audit_case ON station_audit(case_number);
CREATE TRIGGER station_audit_no_update BEFORE UPDATE ON station_audit
  BEGIN SELECT RAISE(ABORT, 'station_audit is append-only'); END;
CREATE TRIGGER station_audit_no_delete BEFORE DELETE ON station_audit
  BEGIN SELECT RAISE(ABORT, 'station_audit is append-only'); END;
CREATE TABLE station_blobs (
  station_id       TEXT NOT NULL REFERENCES stations(id),
  sha256           TEXT NOT NULL,
  size             INTEGER NOT NULL,
  received_utc_us  INTEGER NOT NULL,
  PRIMARY KEY (station_id, sha256)
);
CREATE TRIGGER station_blobs_no_update BEFORE UPDATE ON station_blobs
  BEGIN SELECT RAISE(ABORT, 'station_blobs is append-only'); END;
CREATE TRIGGER station_blobs_no_delete BEFORE DELETE ON station_blobs
  BEGIN SELECT RAISE(ABORT, 'station_blobs is append-only'); END;
)sql"},
      {19, "2 the cases stations send: their documents as read at a seq of the station's "
       "chain, and which station each case belongs to", R"sql(
-- bundle::case_documents as a station made them, every version kept; the centre exports a station's case from the
-- latest, with that station's chain (design/central.md).
CREATE TABLE station_cases (
  station_id        TEXT NOT NULL REFERENCES stations(id),
  case_number       TEXT NOT NULL,
  seq               INTEGER NOT NULL,          -- the station's chain as far as it reached when the documents were read
  documents         TEXT NOT NULL,
  documents_sha256  TEXT NOT NULL,
  received_utc_us   INTEGER NOT NULL,
  PRIMARY KEY (station_id, case_number, seq)
);
CREATE INDEX station_cases_case ON station_cases(case_number, received_utc_us);
CREATE TRIGGER station_cases_no_update BEFORE UPDATE ON station_cases
  BEGIN SELECT RAISE(ABORT, 'station_cases is append-only'); END;
CREATE TRIGGER station_cases_no_delete BEFORE DELETE ON station_cases
  BEGIN SELECT RAISE(ABORT, 'station_cases is append-only'); END;
-- Which station a case belongs to: the first that sent a row about it (turn 1), then each station it was handed
-- over to (the highest turn counts). Rows about a case from any other station are refused.
CREATE TABLE station_case_owners (
  case_number   TEXT NOT NULL,
  turn          INTEGER NOT NULL,
  station_id    TEXT NOT NULL REFERENCES stations(id),
  since_utc_us  INTEGER NOT NULL,
  by_actor      TEXT NOT NULL,
  PRIMARY KEY (case_number, turn)
);
CREATE TRIGGER station_case_owners_no_update BEFORE UPDATE ON station_case_owners
  BEGIN SELECT RAISE(ABORT, 'station_case_owners is append-only'); END;
CREATE TRIGGER station_case_owners_no_delete BEFORE DELETE ON station_case_owners
  BEGIN SELECT RAISE(ABORT, 'station_case_owners is append-only'); END;
)sql"},
      {20, "3 the parts of a blob a station is sending wait in the database, so that any of "
       "the centre's instances takes the next", R"sql(
-- Transient: assembled, hashed and stored when the last part arrives, then removed (sync/src/centre.cc).
CREATE TABLE station_parts (
  station_id       TEXT NOT NULL REFERENCES stations(id),
  sha256           TEXT NOT NULL,
  offset_bytes     INTEGER NOT NULL,
  part             BLOB NOT NULL,
  received_utc_us  INTEGER NOT NULL,
  PRIMARY KEY (station_id, sha256, offset_bytes)
);
)sql"},
      {21, "4 recordings a station sends line by line while it makes them: each journal "
       "line checked as it arrives", R"sql(
-- One row per recording (the station's key: a hash of its folder's path there); what has arrived and been checked.
CREATE TABLE station_live (
  station_id         TEXT NOT NULL REFERENCES stations(id),
  recording          TEXT NOT NULL,
  case_number        TEXT NOT NULL,
  dir_name           TEXT NOT NULL,
  lines              INTEGER NOT NULL,
  head               TEXT NOT NULL,          -- the chain value of the last line received
  media_bytes        INTEGER NOT NULL,
  page_bytes         INTEGER NOT NULL,
  recorded_until_us  INTEGER,                -- trusted time of the last fragment's last frame
  started_utc_us     INTEGER NOT NULL,
  updated_utc_us     INTEGER NOT NULL,
  media_sha256       TEXT,                   -- once its video became a blob at the centre
  PRIMARY KEY (station_id, recording)
);
-- The lines with their bytes, until the finished files become blobs (sync/src/centre.cc).
CREATE TABLE station_live_lines (
  station_id       TEXT NOT NULL REFERENCES stations(id),
  recording        TEXT NOT NULL,
  line_index       INTEGER NOT NULL,
  kind             TEXT NOT NULL CHECK (kind IN ('fragment', 'page')),
  line             TEXT NOT NULL,
  bytes            BLOB NOT NULL,
  received_utc_us  INTEGER NOT NULL,
  PRIMARY KEY (station_id, recording, line_index)
);
)sql"},
      {0, "5 the time stamps a station's recording takes while it is made (journal.K.tsr), checked as they arrive", R"sql(
-- Each over the recording's first `lines` journal lines as the centre received them (sync/src/centre.cc): a stamp of
-- other lines is refused; one the centre cannot verify against its trusted TSAs is kept with the reason. A line's
-- text stays in station_live_lines once its bytes went into the finished blob: the stamps are checked against it.
CREATE TABLE station_live_stamps (
  station_id       TEXT NOT NULL REFERENCES stations(id),
  recording        TEXT NOT NULL,
  name             TEXT NOT NULL,            -- journal.K[.n].tsr
  lines            INTEGER NOT NULL,
  token            BLOB NOT NULL,            -- the TimeStampResp (DER) as the station holds it
  stamped_utc_us   INTEGER NOT NULL,         -- the TSA's time
  verified         INTEGER NOT NULL CHECK (verified IN (0, 1)),
  problem          TEXT,                     -- why not verified here
  received_utc_us  INTEGER NOT NULL,
  PRIMARY KEY (station_id, recording, name)
);
CREATE TRIGGER station_live_stamps_no_update BEFORE UPDATE ON station_live_stamps
  BEGIN SELECT RAISE(ABORT, 'station_live_stamps is append-only'); END;
CREATE TRIGGER station_live_stamps_no_delete BEFORE DELETE ON station_live_stamps
  BEGIN SELECT RAISE(ABORT, 'station_live_stamps is append-only'); END;
)sql"},
  }};
  return schema;
}

}  // namespace netsample::store
