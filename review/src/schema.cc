// The review module's tables: reviewers' findings and verdicts on recordings.
// Its own migrations, numbered from 1 here; append only: a released one is never edited, a change is a new one
// (design/store.md, "Schema").
#include "netsample/store/schema.h"

namespace netsample::store {

const ModuleSchema& review_schema() {
  static const ModuleSchema schema = {"review", {
      {8, "1 reviewers' findings and verdicts", R"sql(
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
      {16, "2 reviewers' findings and verdicts append-only (a new verdict is a new row; the "
       "latest counts)", R"sql(
CREATE TRIGGER review_findings_no_update BEFORE UPDATE ON review_findings
  BEGIN SELECT RAISE(ABORT, 'review_findings is append-only'); END;
CREATE TRIGGER review_findings_no_delete BEFORE DELETE ON review_findings WHEN EXISTS (SELECT 1 FROM cases WHERE id = OLD.case_id)
  BEGIN SELECT RAISE(ABORT, 'review_findings is append-only'); END;
CREATE TRIGGER review_verdicts_no_update BEFORE UPDATE ON review_verdicts
  BEGIN SELECT RAISE(ABORT, 'review_verdicts is append-only'); END;
CREATE TRIGGER review_verdicts_no_delete BEFORE DELETE ON review_verdicts WHEN EXISTS (SELECT 1 FROM cases WHERE id = OLD.case_id)
  BEGIN SELECT RAISE(ABORT, 'review_verdicts is append-only'); END;
)sql"},
      {0, "3 findings and verdicts on the cases stations sent, given at the centre (append-only)", R"sql(
-- A station's case is its documents at the centre, not a row of cases: its reviews there name it by number and
-- the station whose documents were reviewed. Nothing deletes them: the documents they are about stay.
CREATE TABLE review_station_findings (
  id           INTEGER PRIMARY KEY,
  station      TEXT NOT NULL,
  case_number  TEXT NOT NULL,
  recording    TEXT NOT NULL,                  -- purchase-<session id> | unboxing-<session id> on the station
  media_ms     INTEGER NOT NULL CHECK (media_ms >= 0),
  severity     TEXT NOT NULL CHECK (severity IN ('info', 'minor', 'major')),
  note         TEXT NOT NULL,
  reviewer     TEXT NOT NULL REFERENCES people (id),
  utc_us       INTEGER NOT NULL
);
CREATE INDEX review_station_findings_by_case ON review_station_findings (case_number, id);
CREATE TABLE review_station_verdicts (
  id           INTEGER PRIMARY KEY,
  station      TEXT NOT NULL,
  case_number  TEXT NOT NULL,
  recording    TEXT NOT NULL,
  verdict      TEXT NOT NULL CHECK (verdict IN ('no_doubts', 'doubts', 'rejected')),
  reasons      TEXT NOT NULL,                  -- JSON array of strings
  reviewer     TEXT NOT NULL REFERENCES people (id),
  utc_us       INTEGER NOT NULL
);
CREATE INDEX review_station_verdicts_by_case ON review_station_verdicts (case_number, id);
CREATE TRIGGER review_station_findings_no_update BEFORE UPDATE ON review_station_findings
  BEGIN SELECT RAISE(ABORT, 'review_station_findings is append-only'); END;
CREATE TRIGGER review_station_findings_no_delete BEFORE DELETE ON review_station_findings
  BEGIN SELECT RAISE(ABORT, 'review_station_findings is append-only'); END;
CREATE TRIGGER review_station_verdicts_no_update BEFORE UPDATE ON review_station_verdicts
  BEGIN SELECT RAISE(ABORT, 'review_station_verdicts is append-only'); END;
CREATE TRIGGER review_station_verdicts_no_delete BEFORE DELETE ON review_station_verdicts
  BEGIN SELECT RAISE(ABORT, 'review_station_verdicts is append-only'); END;
)sql"},
  }};
  return schema;
}

}  // namespace netsample::store
