// The purchase module's tables: purchase sessions (Art 35) and the steps marked on their recordings.
// Its own migrations, numbered from 1 here; append only: a released one is never edited, a change is a new one
// (design/store.md, "Schema").
#include "netsample/store/schema.h"

namespace netsample::store {

const ModuleSchema& purchase_schema() {
  static const ModuleSchema schema = {"purchase", {
      {3, "1 purchase sessions (Art 35): one recording each, the steps marked on it", R"sql(
CREATE TABLE purchase_sessions (
  id               INTEGER PRIMARY KEY,
  case_id          INTEGER NOT NULL REFERENCES cases (id),
  seq              INTEGER NOT NULL,         -- 1, 2, ... within the case (a new purchase is a new session)
  state            TEXT NOT NULL CHECK (state IN ('recording', 'complete', 'incomplete')),
  recording_dir    TEXT NOT NULL UNIQUE,     -- one recording, never shared (Art 35: continuous, uninterrupted)
  started_by       TEXT NOT NULL,
  started_utc_us   INTEGER NOT NULL,
  finished_utc_us  INTEGER,
  environment      TEXT,                     -- JSON: the clean-environment check
  problems         TEXT,                     -- JSON array: what keeps it from being complete
  verify           TEXT,                     -- JSON: the recording's verify report at finish
  manifest_sha256  TEXT,
  UNIQUE (case_id, seq)
);
-- Never two recordings of one case at once, whatever the processes do.
CREATE UNIQUE INDEX purchase_sessions_one_recording ON purchase_sessions (case_id) WHERE state = 'recording';

CREATE TABLE purchase_steps (
  id             INTEGER PRIMARY KEY,
  session_id     INTEGER NOT NULL REFERENCES purchase_sessions (id),
  step           TEXT NOT NULL,              -- time_check, search, licence, product_page, order, payment, chat
  fields         TEXT NOT NULL,              -- canonical JSON, checked against the step's fields
  marker_index   INTEGER NOT NULL,           -- the recording's marker
  frame          INTEGER NOT NULL,
  utc_us         INTEGER NOT NULL,           -- trusted time of the marked frame
  still          TEXT NOT NULL,              -- path inside the recording directory
  still_sha256   TEXT NOT NULL,
  marked_by      TEXT NOT NULL
);
CREATE INDEX purchase_steps_by_session ON purchase_steps (session_id, id);
)sql"},
      {8, "2 a case's purchase sessions found by its id", R"sql(
CREATE INDEX purchase_sessions_by_case ON purchase_sessions (case_id, seq);
)sql"},
      {9, "3 a purchase step's page (what the page on screen said, what the sampler "
       "corrected) and the organizer's acceptance of the capture environment (Art 35)", R"sql(
ALTER TABLE purchase_steps ADD COLUMN page TEXT;  -- JSON, NULL when the page was not read (the sampler's own browser)
-- The organizer's acceptance of environment findings that could fake a page: {by, reason, at, findings}.
ALTER TABLE purchase_sessions ADD COLUMN environment_acceptance TEXT;
)sql"},
  }};
  return schema;
}

}  // namespace netsample::store
