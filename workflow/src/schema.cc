// The workflow module's tables: the roster, the cases and their people, events, deadlines and the notices they
// owe (outbox).
// Its own migrations, numbered from 1 here; append only: a released one is never edited, a change is a new one
// (design/store.md, "Schema").
#include "netsample/store/schema.h"

namespace netsample::store {

const ModuleSchema& workflow_schema() {
  static const ModuleSchema schema = {"workflow", {
      {1, "1 people, cases and who works on each", R"sql(
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
)sql"},
      {2, "2 lifecycle: events, deadlines, notices owed (outbox), Art 22 exception", R"sql(
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
      {8, "3 a case's district bureau (Art 63) and its reviewers; a case's rows found by "
       "its id", R"sql(
ALTER TABLE cases ADD COLUMN district TEXT;   -- the district bureau that handles the result (Art 63), an org code
-- A case's rows by its id: the service reads one case at a time among thousands (these tables had none).
CREATE INDEX deadlines_by_case ON deadlines (case_id, id);
CREATE INDEX outbox_by_case ON outbox (case_id, id);

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
)sql"},
      {10, "4 a deadline past the loaded calendar is a range: due is its earliest last day, "
       "due_latest its latest (Art 75)", R"sql(
-- NULL when the notices fix the day; set (possibly equal to due) while the deadline is provisional.
ALTER TABLE deadlines ADD COLUMN due_latest TEXT;
)sql"},
      {13, "5 a case's history append-only (Art 47)", R"sql(
-- `audit verify` compares each of these with the audit log and names a hand edit; the triggers stop the careless one.
CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
  BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;
-- A case's history goes only with the case itself (kept six years, Art 47): then the case row is already gone.
CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events WHEN EXISTS (SELECT 1 FROM cases WHERE id = OLD.case_id)
  BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;
)sql"},
  }};
  return schema;
}

}  // namespace netsample::store
