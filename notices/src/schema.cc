// The notices module's tables: parties, the deliveries of the outbox's notices with their receipts, the notices'
// documents.
// Its own migrations, numbered from 1 here; append only: a released one is never edited, a change is a new one
// (design/store.md, "Schema").
#include "netsample/store/schema.h"

namespace netsample::store {

const ModuleSchema& notices_schema() {
  static const ModuleSchema schema = {"notices", {
      {6, "1 parties and their channels; deliveries of the outbox's notices with receipts "
       "(Art 39, 50-54, 58, 62, 65, 74)", R"sql(
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
      {7, "2 the documents of the notices (PDF and JSON, stored as evidence)", R"sql(
CREATE TABLE notice_documents (
  notice_id       INTEGER PRIMARY KEY REFERENCES outbox (id),
  pdf             TEXT NOT NULL,            -- file name in <data>/notices/
  pdf_sha256      TEXT NOT NULL,
  json_sha256     TEXT NOT NULL,
  created_utc_us  INTEGER NOT NULL
);
)sql"},
      {11, "3 a delivery attempt is leased by one worker: two `notices deliver` never send "
       "the same attempt at once", R"sql(
ALTER TABLE notice_deliveries ADD COLUMN lease_holder TEXT;         -- host:pid:start of the worker sending it
ALTER TABLE notice_deliveries ADD COLUMN lease_until_utc_us INTEGER;  -- another worker may take it over after this
)sql"},
      {13, "4 finished deliveries and notice documents never change", R"sql(
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
  }};
  return schema;
}

}  // namespace netsample::store
