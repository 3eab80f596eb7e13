// Who may sign in to the service, and how a request proves it: accounts for people of the roster (who act
// with the roster's roles) and for parties (a platform or network supervision unit that reads only what was
// published to it, Art 62); passwords as Argon2id hashes, API tokens and browser sessions as SHA-256 hashes of
// random values that are shown once and never stored. Every account, token and session change is audited
// without its secret.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/core/time.h"
#include "netsample/store/store.h"
#include "netsample/workflow/roster.h"

namespace netsample::accounts {

struct Account {
  std::int64_t id = 0;
  std::optional<std::string> person_id;  // exactly one of person_id and party_id
  std::optional<std::string> party_id;
  bool admin = false;
  bool disabled = false;
  UtcTime created;
  // A person's roster entry, found active when a credential was checked (check_password, by_token, by_session).
  std::optional<workflow::Person> person;

  // The name it signs in with and acts as in the audit log: the roster id, or "party:<id>".
  std::string login() const;
  nlohmann::json to_json() const;
};

// A secret printed once: a first password or an API token.
struct Issued {
  Account account;
  std::string secret;
  std::optional<UtcTime> expires;
};

struct WebSession {
  std::string cookie;      // the cookie's value, handed to the browser once
  std::string csrf_token;  // sent back by the page in X-CSRF-Token on every change
  UtcTime expires;
};

struct SessionAccount {
  Account account;
  std::string csrf_token;
  UtcTime expires;
};

struct TokenAccount {
  Account account;
  std::optional<UtcTime> expires;  // nullopt: until revoked
};

// Argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane): memory-hard, about 30 ms here.
std::string hash_password(std::string_view password);
bool password_matches(std::string_view encoded, std::string_view password);

class Accounts {
 public:
  explicit Accounts(store::Store& store) : store_(&store) {}

  // A sign-in for an active person of the roster, or a registered party; returns a first password.
  Result<Issued> add_person(const std::string& person_id, bool admin, const std::string& actor);
  Result<Issued> add_party(const std::string& party_id, const std::string& actor);
  // A new password for an account (the old one stops working).
  Result<Issued> reset_password(const std::string& login, const std::string& actor);
  // An API token for `Authorization: Bearer`, valid `days` (nullopt: until revoked).
  Result<Issued> create_token(const std::string& login, std::optional<int> days, const std::string& actor);
  Status revoke_tokens(const std::string& login, const std::string& actor);
  Result<std::vector<Account>> list();
  Result<Account> find(const std::string& login);
  // The account if it may sign in now (not disabled; a person's active in the roster, whose entry it carries);
  // unauthenticated otherwise: for a credential issued earlier that names the login (a signed replay link).
  Result<Account> usable(const std::string& login);

  // unauthenticated for an unknown login, a wrong password or a disabled account (one message for all:
  // the answer does not tell which logins exist).
  Result<Account> check_password(const std::string& login, std::string_view password);
  Result<TokenAccount> by_token(std::string_view token);

  Result<WebSession> open_session(const Account& account, std::chrono::seconds lifetime);
  Result<SessionAccount> by_session(std::string_view cookie);
  Status close_session(std::string_view cookie, const std::string& actor);

 private:
  // unauthenticated unless the account may sign in now: not disabled and, for a person's, active in the roster
  // (whose entry it keeps).
  Status require_usable(Account& account);
  Result<Issued> add(const std::optional<std::string>& person_id, const std::optional<std::string>& party_id, bool admin,
                     const std::string& actor);
  store::Store* store_;
};

// A random secret of `bytes` bytes as lower-case hex (OpenSSL's RAND_bytes).
std::string random_hex(size_t bytes);

}  // namespace netsample::accounts
