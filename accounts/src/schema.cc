// The accounts module's tables: who may sign in to the service: accounts, API tokens, browser sessions.
// Its own migrations, numbered from 1 here; append only: a released one is never edited, a change is a new one
// (design/store.md, "Schema").
#include "netsample/store/schema.h"

namespace netsample::store {

const ModuleSchema& accounts_schema() {
  static const ModuleSchema schema = {"accounts", {
      {8, "1 the service's sign-ins: accounts, API tokens and browser sessions", R"sql(
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
)sql"},
  }};
  return schema;
}

}  // namespace netsample::store
