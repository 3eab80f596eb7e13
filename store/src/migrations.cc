#include "migrations.h"

namespace netsample::store {

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all = {
      {"1 people, cases, assignments, evidence, audit log", R"sql(
CREATE TABLE people (
  id            TEXT PRIMARY KEY,            -- roster id chosen by the organizer, e.g. "S-001"
  name          TEXT NOT NULL,
  org           TEXT NOT NULL,               -- organizer (or entrusted agency) the person works for
  roles         TEXT NOT NULL,               -- JSON array: sampler, tester, organizer, reviewer
  active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  added_utc_us  INTEGER NOT NULL
);

CREATE TABLE cases (
  id               INTEGER PRIMARY KEY,
  number           TEXT NOT NULL UNIQUE,     -- organizer-defined case number
  organizer        TEXT NOT NULL,
  level            TEXT NOT NULL CHECK (level IN ('city', 'district')),      -- Art 5
  plan_kind        TEXT NOT NULL CHECK (plan_kind IN ('routine', 'special')), -- Art 4
  product_name     TEXT NOT NULL,
  trademark        TEXT NOT NULL,
  model            TEXT NOT NULL,
  category         TEXT NOT NULL,
  standard         TEXT NOT NULL,
  platform         TEXT NOT NULL,
  shop_name        TEXT NOT NULL,
  shop_url         TEXT,
  listing_url      TEXT,
  operator_name    TEXT NOT NULL,
  operator_address TEXT NOT NULL,
  producer_name    TEXT NOT NULL,
  producer_address TEXT NOT NULL,
  inspection_qty   INTEGER NOT NULL CHECK (inspection_qty > 0),
  backup_qty       INTEGER NOT NULL CHECK (backup_qty > 0),
  onsite_testing   INTEGER NOT NULL DEFAULT 0 CHECK (onsite_testing IN (0, 1)),  -- Art 16 exception
  state            TEXT NOT NULL,
  created_utc_us   INTEGER NOT NULL,
  updated_utc_us   INTEGER NOT NULL,
  CHECK (shop_url IS NOT NULL OR listing_url IS NOT NULL)
);
CREATE INDEX cases_by_product ON cases (producer_name, trademark, model);

CREATE TABLE case_people (
  case_id         INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  person_id       TEXT NOT NULL REFERENCES people (id),
  role            TEXT NOT NULL CHECK (role IN ('sampler', 'tester')),
  assigned_utc_us INTEGER NOT NULL,
  PRIMARY KEY (case_id, person_id, role)
);

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
      {"2 lifecycle: events, deadlines, notices owed (outbox), Art 22 exception", R"sql(
ALTER TABLE cases ADD COLUMN art22_exception TEXT CHECK (art22_exception IN ('follow_up', 'emergency'));

-- Every accepted lifecycle event, in order (the audit log holds the same with its hash chain).
CREATE TABLE case_events (
  id          INTEGER PRIMARY KEY,
  case_id     INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  event       TEXT NOT NULL,
  from_state  TEXT NOT NULL,
  to_state    TEXT NOT NULL,
  actor       TEXT NOT NULL,
  fields      TEXT NOT NULL,               -- canonical JSON
  articles    TEXT NOT NULL,               -- "54, 55"
  utc_us      INTEGER NOT NULL
);
CREATE INDEX case_events_by_case ON case_events (case_id, id);

-- Legal periods, computed from the calendar when the triggering event is recorded (Art 75).
CREATE TABLE deadlines (
  id              INTEGER PRIMARY KEY,
  case_id         INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  kind            TEXT NOT NULL,           -- objection, retest_procedures, rectification, ...
  article         INTEGER NOT NULL,
  from_date       TEXT NOT NULL,           -- Beijing date of the triggering day (not counted)
  amount          INTEGER NOT NULL,
  unit            TEXT NOT NULL CHECK (unit IN ('days', 'months', 'years')),
  rule            TEXT NOT NULL,           -- default | strict | calendar (months/years: no moving)
  earliest        TEXT,                    -- start of a window (Art 68: after 60 days)
  due             TEXT,                    -- Beijing date, last day; NULL while the calendar cannot tell
  problem         TEXT,                    -- why due is NULL (a year the calendar does not cover, Art 75)
  status          TEXT NOT NULL CHECK (status IN ('open', 'closed')),
  created_utc_us  INTEGER NOT NULL,
  closed_utc_us   INTEGER
);
CREATE INDEX deadlines_open ON deadlines (status, due);

-- Written notices the lifecycle owes; delivery is the notices module's work.
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  case_id         INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  kind            TEXT NOT NULL,
  article         INTEGER NOT NULL,
  recipients      TEXT NOT NULL,           -- JSON array of recipient roles
  payload         TEXT NOT NULL,           -- canonical JSON
  state           TEXT NOT NULL DEFAULT 'pending',
  created_utc_us  INTEGER NOT NULL
);
CREATE INDEX outbox_by_state ON outbox (state, id);
)sql"},
      {"3 purchase sessions (Art 35): one recording each, the steps marked on it", R"sql(
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
      {"4 parcels and their tracking timelines (Art 32, 36)", R"sql(
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
      {"5 unboxing sessions (Art 36) with their steps, decision and sealing (Art 37, 38)", R"sql(
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
      {"6 parties and their channels; deliveries of the outbox's notices with receipts (Art 39, 50-54, 58, 62, 65, 74)", R"sql(
CREATE TABLE parties (
  id              TEXT PRIMARY KEY,         -- chosen by the bureau: "jd", "cq-netsup", "op-qingquan"
  kind            TEXT NOT NULL CHECK (kind IN ('platform', 'network_supervision', 'operator', 'producer', 'bureau')),
  name            TEXT NOT NULL,            -- operators and producers are matched to cases by this name
  platform        TEXT,                     -- platforms and their supervision units: the platform code
  region          TEXT,                     -- bureaus: the region they cover, as addresses begin ("广东省")
  webhook_url     TEXT,
  webhook_secret  TEXT,
  email           TEXT,
  postal_address  TEXT,
  updated_utc_us  INTEGER NOT NULL
);

CREATE TABLE notice_deliveries (
  id                   INTEGER PRIMARY KEY,
  notice_id            INTEGER NOT NULL REFERENCES outbox (id),
  role                 TEXT NOT NULL,       -- the recipient role the notice names: operator, platform, ...
  party_id             TEXT NOT NULL REFERENCES parties (id),
  channel              TEXT NOT NULL CHECK (channel IN ('webhook', 'email', 'post')),
  idempotency_key      TEXT NOT NULL UNIQUE,  -- the same on every attempt: the receiver's way to see a repeat
  state                TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'retrying', 'delivered', 'dead', 'posted', 'received', 'returned')),
  attempts             INTEGER NOT NULL DEFAULT 0,
  next_attempt_utc_us  INTEGER NOT NULL,
  last_error           TEXT,
  receipt              TEXT,                -- JSON: status, time, response digest (or post number, received date)
  created_utc_us       INTEGER NOT NULL,
  updated_utc_us       INTEGER NOT NULL,
  UNIQUE (notice_id, party_id, channel)
);
CREATE INDEX notice_deliveries_due ON notice_deliveries (state, next_attempt_utc_us);
)sql"},
      {"7 the documents of the notices (PDF and JSON, stored as evidence)", R"sql(
CREATE TABLE notice_documents (
  notice_id       INTEGER PRIMARY KEY REFERENCES outbox (id),
  pdf             TEXT NOT NULL,            -- file name in <data>/notices/
  pdf_sha256      TEXT NOT NULL,
  json_sha256     TEXT NOT NULL,
  created_utc_us  INTEGER NOT NULL
);
)sql"},
      {"8 the service: a case's district bureau (Art 63) and reviewers; accounts, API tokens and browser sessions; "
       "review findings and verdicts", R"sql(
ALTER TABLE cases ADD COLUMN district TEXT;   -- the district bureau that handles the result (Art 63), an org code
-- Where a file was stored from (absolute path): ties a recording directory's file to its stored copy, which
-- the service streams. NULL for items stored before.
ALTER TABLE evidence ADD COLUMN source TEXT;
CREATE INDEX evidence_by_source ON evidence (source);
-- A case's rows by its id: the service reads one case at a time among thousands (these tables had none).
CREATE INDEX deadlines_by_case ON deadlines (case_id, id);
CREATE INDEX outbox_by_case ON outbox (case_id, id);
CREATE INDEX purchase_sessions_by_case ON purchase_sessions (case_id, seq);
CREATE INDEX unboxing_sessions_by_case ON unboxing_sessions (case_id, seq);
CREATE INDEX parcels_by_case ON parcels (case_id, id);

-- Reviewers join samplers and testers as people of a case (SQLite cannot change a CHECK in place).
CREATE TABLE case_people_v8 (
  case_id         INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  person_id       TEXT NOT NULL REFERENCES people (id),
  role            TEXT NOT NULL CHECK (role IN ('sampler', 'tester', 'reviewer')),
  assigned_utc_us INTEGER NOT NULL,
  PRIMARY KEY (case_id, person_id, role)
);
INSERT INTO case_people_v8 SELECT case_id, person_id, role, assigned_utc_us FROM case_people;
DROP TABLE case_people;
ALTER TABLE case_people_v8 RENAME TO case_people;
CREATE INDEX case_people_by_person ON case_people (person_id, role);

-- Who may sign in: a person of the roster (with the roster's roles) or a party (a platform, a network
-- supervision unit) that sees only what was published to it (Art 62).
CREATE TABLE accounts (
  id                INTEGER PRIMARY KEY,
  person_id         TEXT UNIQUE REFERENCES people (id),
  party_id          TEXT UNIQUE REFERENCES parties (id),
  admin             INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
  password_hash     TEXT,                      -- Argon2id, encoded with its parameters and salt
  disabled          INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created_utc_us    INTEGER NOT NULL,
  CHECK ((person_id IS NULL) <> (party_id IS NULL))
);
CREATE TABLE api_tokens (
  id              INTEGER PRIMARY KEY,
  account_id      INTEGER NOT NULL REFERENCES accounts (id),
  token_sha256    TEXT NOT NULL UNIQUE,        -- the token itself is shown once and never stored
  created_utc_us  INTEGER NOT NULL,
  expires_utc_us  INTEGER,                     -- NULL: until revoked
  revoked_utc_us  INTEGER
);
CREATE TABLE web_sessions (
  id_sha256       TEXT PRIMARY KEY,            -- of the cookie's value
  account_id      INTEGER NOT NULL REFERENCES accounts (id),
  csrf_token      TEXT NOT NULL,
  created_utc_us  INTEGER NOT NULL,
  expires_utc_us  INTEGER NOT NULL
);

-- A reviewer's findings on a recording at a media time, and a verdict per recording (the latest counts;
-- earlier ones stay). Reviewers change no evidence.
CREATE TABLE review_findings (
  id          INTEGER PRIMARY KEY,
  case_id     INTEGER NOT NULL REFERENCES cases (id),
  recording   TEXT NOT NULL,                   -- purchase-<session id> | unboxing-<session id>
  media_ms    INTEGER NOT NULL CHECK (media_ms >= 0),
  severity    TEXT NOT NULL CHECK (severity IN ('info', 'minor', 'major')),
  note        TEXT NOT NULL,
  reviewer    TEXT NOT NULL REFERENCES people (id),
  utc_us      INTEGER NOT NULL
);
CREATE INDEX review_findings_by_case ON review_findings (case_id, id);
CREATE TABLE review_verdicts (
  id          INTEGER PRIMARY KEY,
  case_id     INTEGER NOT NULL REFERENCES cases (id),
  recording   TEXT NOT NULL,
  verdict     TEXT NOT NULL CHECK (verdict IN ('no_doubts', 'doubts', 'rejected')),
  reasons     TEXT NOT NULL,                   -- JSON array of strings
  reviewer    TEXT NOT NULL REFERENCES people (id),
  utc_us      INTEGER NOT NULL
);
CREATE INDEX review_verdicts_by_case ON review_verdicts (case_id, id);
)sql"},
      {"9 a purchase step's page (what the page on screen said, what the sampler corrected) and the organizer's acceptance of "
       "the capture environment (Art 35)", R"sql(
ALTER TABLE purchase_steps ADD COLUMN page TEXT;  -- JSON, NULL when the page was not read (the sampler's own browser)
-- The organizer's acceptance of environment findings that could fake a page: {by, reason, at, findings}.
ALTER TABLE purchase_sessions ADD COLUMN environment_acceptance TEXT;
)sql"},
      {"10 a deadline past the loaded calendar is a range: due is its earliest last day, due_latest its latest (Art 75)", R"sql(
-- NULL when the notices fix the day; set (possibly equal to due) while the deadline is provisional.
ALTER TABLE deadlines ADD COLUMN due_latest TEXT;
)sql"},
      {"11 a delivery attempt is leased by one worker: two `notices deliver` never send the same attempt at once", R"sql(
ALTER TABLE notice_deliveries ADD COLUMN lease_holder TEXT;         -- host:pid:start of the worker sending it
ALTER TABLE notice_deliveries ADD COLUMN lease_until_utc_us INTEGER;  -- another worker may take it over after this
)sql"},
      {"12 the audit chain's head stamped by time-stamping authorities: a rewrite of chain and witness is caught back to the last stamp", R"sql(
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
      {"13 the case facts append-only where they are facts: history, evidence, timelines, finished deliveries, notice documents", R"sql(
-- `audit verify` compares each of these with the audit log and names a hand edit; the triggers stop the careless one.
CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
  BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;
-- A case's history goes only with the case itself (kept six years, Art 47): then the case row is already gone.
CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events WHEN EXISTS (SELECT 1 FROM cases WHERE id = OLD.case_id)
  BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;
CREATE TRIGGER evidence_no_update BEFORE UPDATE ON evidence
  BEGIN SELECT RAISE(ABORT, 'evidence rows are never changed (a deletion is audited)'); END;
CREATE TRIGGER parcel_events_no_update BEFORE UPDATE ON parcel_events
  BEGIN SELECT RAISE(ABORT, 'parcel_events is append-only'); END;
CREATE TRIGGER parcel_events_no_delete BEFORE DELETE ON parcel_events
  BEGIN SELECT RAISE(ABORT, 'parcel_events is append-only'); END;
CREATE TRIGGER parcels_fixed BEFORE UPDATE OF case_id, courier, number, added_utc_us ON parcels
  BEGIN SELECT RAISE(ABORT, 'a parcel''s case, courier and number never change'); END;
CREATE TRIGGER parcels_no_delete BEFORE DELETE ON parcels
  BEGIN SELECT RAISE(ABORT, 'parcels are never deleted'); END;
-- A delivery is the worker's until it ends: delivered, received, returned or dead is final.
CREATE TRIGGER notice_deliveries_final BEFORE UPDATE ON notice_deliveries
  WHEN OLD.state IN ('delivered', 'received', 'returned', 'dead')
  BEGIN SELECT RAISE(ABORT, 'a finished delivery never changes'); END;
CREATE TRIGGER notice_deliveries_no_delete BEFORE DELETE ON notice_deliveries
  BEGIN SELECT RAISE(ABORT, 'notice_deliveries are never deleted'); END;
CREATE TRIGGER notice_documents_no_update BEFORE UPDATE ON notice_documents
  BEGIN SELECT RAISE(ABORT, 'notice_documents is append-only'); END;
CREATE TRIGGER notice_documents_no_delete BEFORE DELETE ON notice_documents
  BEGIN SELECT RAISE(ABORT, 'notice_documents is append-only'); END;
)sql"},
      {"14 a stamp of the audit head keeps its TSA's chain and revocation status: it verifies at its own time after the certificate expired", R"sql(
ALTER TABLE audit_stamps ADD COLUMN material TEXT;  -- JSON (core/long_term.h); NULL for stamps made before
)sql"},
      {"15 a stamp of the audit head covers the Merkle root of the rows up to it: a case's bundle proves its rows without the others", R"sql(
ALTER TABLE audit_stamps ADD COLUMN merkle_root TEXT;  -- RFC 9162 root of rows 1..seq; NULL for stamps made before
)sql"},
      {"16 reviewers' findings and verdicts append-only (a new verdict is a new row; the latest counts)", R"sql(
CREATE TRIGGER review_findings_no_update BEFORE UPDATE ON review_findings
  BEGIN SELECT RAISE(ABORT, 'review_findings is append-only'); END;
CREATE TRIGGER review_findings_no_delete BEFORE DELETE ON review_findings WHEN EXISTS (SELECT 1 FROM cases WHERE id = OLD.case_id)
  BEGIN SELECT RAISE(ABORT, 'review_findings is append-only'); END;
CREATE TRIGGER review_verdicts_no_update BEFORE UPDATE ON review_verdicts
  BEGIN SELECT RAISE(ABORT, 'review_verdicts is append-only'); END;
CREATE TRIGGER review_verdicts_no_delete BEFORE DELETE ON review_verdicts WHEN EXISTS (SELECT 1 FROM cases WHERE id = OLD.case_id)
  BEGIN SELECT RAISE(ABORT, 'review_verdicts is append-only'); END;
)sql"},
      {"17 the centre's own parts in its database: the audit witness (forward only) and where its evidence is", R"sql(
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
      {"18 stations that sync to the centre: their tokens, their audit chains as received, the blobs they sent", R"sql(
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
      {"19 the cases stations send: their documents as read at a seq of the station's chain, and which station each case belongs to", R"sql(
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
      {"20 the parts of a blob a station is sending wait in the database, so that any of the centre's instances takes the next", R"sql(
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
      {"21 recordings a station sends line by line while it makes them: each journal line checked as it arrives", R"sql(
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
  };
  return all;
}

}  // namespace netsample::store
