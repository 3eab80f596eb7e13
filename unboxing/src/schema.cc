// The unboxing module's tables: parcels with their tracking timelines, unboxing sessions (Art 36-38) and their
// steps.
// Its own migrations, numbered from 1 here; append only: a released one is never edited, a change is a new one
// (design/store.md, "Schema").
#include "netsample/store/schema.h"

namespace netsample::store {

const ModuleSchema& unboxing_schema() {
  static const ModuleSchema schema = {"unboxing", {
      {4, "1 parcels and their tracking timelines (Art 32, 36)", R"sql(
CREATE TABLE parcels (
  id                  INTEGER PRIMARY KEY,
  case_id             INTEGER NOT NULL REFERENCES cases (id),
  courier             TEXT NOT NULL,           -- Kuaidi100 code: shunfeng, zhongtong, ems, ...
  number              TEXT NOT NULL,
  phone               TEXT,                    -- last 4 digits, when the courier demands them
  status              TEXT NOT NULL DEFAULT 'pending',
  final               INTEGER NOT NULL DEFAULT 0 CHECK (final IN (0, 1)),  -- delivered or gone back: no more polling
  alert               TEXT,                    -- what the reviewer must see now (problem, returning, failing queries)
  failures            INTEGER NOT NULL DEFAULT 0,  -- consecutive failed queries
  last_error          TEXT,
  last_polled_utc_us  INTEGER,
  next_poll_utc_us    INTEGER NOT NULL,
  added_utc_us        INTEGER NOT NULL,
  UNIQUE (courier, number)
);
CREATE INDEX parcels_due ON parcels (final, next_poll_utc_us);

CREATE TABLE parcel_events (
  id           INTEGER PRIMARY KEY,
  parcel_id    INTEGER NOT NULL REFERENCES parcels (id),
  utc_us       INTEGER NOT NULL,               -- the courier's time (Beijing on the wire)
  context      TEXT NOT NULL,
  location     TEXT NOT NULL,
  seen_utc_us  INTEGER NOT NULL,               -- when we first read it
  UNIQUE (parcel_id, utc_us, context)          -- a timeline read again is not stored twice
);
)sql"},
      {5, "2 unboxing sessions (Art 36) with their steps, decision and sealing (Art 37, 38)", R"sql(
CREATE TABLE unboxing_sessions (
  id               INTEGER PRIMARY KEY,
  case_id          INTEGER NOT NULL REFERENCES cases (id),
  seq              INTEGER NOT NULL,
  state            TEXT NOT NULL CHECK (state IN ('recording', 'recorded', 'failed', 'accepted', 'returned')),
  source           TEXT NOT NULL,            -- as given: v4l2:/dev/video0, file:/path/unboxing.mp4
  imported         INTEGER NOT NULL CHECK (imported IN (0, 1)),
  recording_dir    TEXT NOT NULL UNIQUE,
  video            TEXT,                     -- path of the video inside recording_dir
  video_sha256     TEXT,
  video_info       TEXT,                     -- JSON: duration, frames, the file's own times, gaps
  verify           TEXT,                     -- JSON: the recorder's verify report (live recordings)
  labels           TEXT,                     -- JSON: codes read (label capture)
  waybill          TEXT,                     -- JSON: the waybill against the case's parcels
  problems         TEXT,                     -- JSON array: what the reviewer must see
  decision         TEXT,                     -- JSON: accept or return (Art 36), by whom, when
  sealing          TEXT,                     -- JSON: the seals (Art 37, 38)
  started_by       TEXT NOT NULL,
  started_utc_us   INTEGER NOT NULL,
  finished_utc_us  INTEGER
);
-- One unboxing in progress per case.
CREATE UNIQUE INDEX unboxing_one_open ON unboxing_sessions (case_id) WHERE state IN ('recording', 'recorded');

CREATE TABLE unboxing_steps (
  id            INTEGER PRIMARY KEY,
  session_id    INTEGER NOT NULL REFERENCES unboxing_sessions (id),
  step          TEXT NOT NULL,              -- courier_packaging, waybill, sample_packaging, sample_labels
  video_ms      INTEGER NOT NULL,           -- where in the video
  frame         INTEGER NOT NULL,
  utc_us        INTEGER,                    -- trusted time of the frame (live recordings)
  still         TEXT NOT NULL,              -- path inside the recording directory
  still_sha256  TEXT NOT NULL,
  how           TEXT NOT NULL CHECK (how IN ('marked', 'label')),  -- by a person, or by a matching waybill code
  note          TEXT NOT NULL,
  marked_by     TEXT NOT NULL
);
CREATE INDEX unboxing_steps_by_session ON unboxing_steps (session_id, id);
)sql"},
      {8, "3 a case's unboxing sessions and parcels found by its id", R"sql(
CREATE INDEX unboxing_sessions_by_case ON unboxing_sessions (case_id, seq);
CREATE INDEX parcels_by_case ON parcels (case_id, id);
)sql"},
      {13, "4 parcels and their timelines append-only", R"sql(
CREATE TRIGGER parcel_events_no_update BEFORE UPDATE ON parcel_events
  BEGIN SELECT RAISE(ABORT, 'parcel_events is append-only'); END;
CREATE TRIGGER parcel_events_no_delete BEFORE DELETE ON parcel_events
  BEGIN SELECT RAISE(ABORT, 'parcel_events is append-only'); END;
CREATE TRIGGER parcels_fixed BEFORE UPDATE OF case_id, courier, number, added_utc_us ON parcels
  BEGIN SELECT RAISE(ABORT, 'a parcel''s case, courier and number never change'); END;
CREATE TRIGGER parcels_no_delete BEFORE DELETE ON parcels
  BEGIN SELECT RAISE(ABORT, 'parcels are never deleted'); END;
)sql"},
  }};
  return schema;
}

}  // namespace netsample::store
