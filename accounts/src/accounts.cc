#include "netsample/accounts/accounts.h"

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "netsample/core/sha256.h"
#include "netsample/notices/parties.h"
#include "netsample/workflow/roster.h"

namespace netsample::accounts {
namespace {

using nlohmann::json;

// OWASP Password Storage Cheat Sheet, Argon2id minimum: m = 19 MiB, t = 2, p = 1.
constexpr std::uint32_t kArgonMemoryKiB = 19 * 1024;
constexpr std::uint32_t kArgonPasses = 2;
constexpr std::uint32_t kArgonLanes = 1;
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;

// A first password people can type: no 0/O, 1/l/I; 16 characters from 55 carry about 92 bits.
constexpr std::string_view kPasswordAlphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

std::string random_password() {
  std::string out;
  while (out.size() < 16) {
    unsigned char byte = 0;
    if (RAND_bytes(&byte, 1) != 1) throw std::runtime_error("RAND_bytes failed");
    // Rejection sampling keeps every character equally likely.
    const unsigned limit = 256 - 256 % kPasswordAlphabet.size();
    if (byte < limit) out.push_back(kPasswordAlphabet[byte % kPasswordAlphabet.size()]);
  }
  return out;
}

Error unauthenticated() {
  return make_error(ErrorCode::unauthenticated, "credential", "登录名或密码不正确，或账号已停用");
}

constexpr const char* kSelectAccount =
    "SELECT id, person_id, party_id, admin, disabled, created_utc_us FROM accounts ";

Account account_from_row(const store::Statement& row) {
  Account a;
  a.id = row.int64(0);
  a.person_id = row.optional_text(1);
  a.party_id = row.optional_text(2);
  a.admin = row.int64(3) != 0;
  a.disabled = row.int64(4) != 0;
  a.created = from_utc_us(row.int64(5));
  return a;
}

// "party:jd" names a party's account; anything else a person's.
std::pair<std::optional<std::string>, std::optional<std::string>> split_login(const std::string& login) {
  if (login.starts_with("party:")) return {std::nullopt, login.substr(6)};
  return {login, std::nullopt};
}

}  // namespace

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) throw std::runtime_error("RAND_bytes failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  OPENSSL_cleanse(raw.data(), raw.size());
  return out;
}

std::string Account::login() const { return person_id ? *person_id : "party:" + party_id.value_or(""); }

json Account::to_json() const {
  return {{"login", login()},
          {"person", person_id ? json(*person_id) : json(nullptr)},
          {"party", party_id ? json(*party_id) : json(nullptr)},
          {"admin", admin},
          {"disabled", disabled},
          {"created", format_iso8601_beijing(created)}};
}

std::string hash_password(std::string_view password) {
  unsigned char salt[kSaltBytes];
  if (RAND_bytes(salt, sizeof salt) != 1) throw std::runtime_error("RAND_bytes failed");
  const size_t length = argon2_encodedlen(kArgonPasses, kArgonMemoryKiB, kArgonLanes, kSaltBytes, kHashBytes, Argon2_id);
  std::string encoded(length, '\0');
  const int rc = argon2id_hash_encoded(kArgonPasses, kArgonMemoryKiB, kArgonLanes, password.data(), password.size(), salt, sizeof salt,
                                       kHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) throw std::runtime_error(std::string("argon2id: ") + argon2_error_message(rc));
  encoded.resize(encoded.find('\0') == std::string::npos ? encoded.size() : encoded.find('\0'));
  return encoded;
}

bool password_matches(std::string_view encoded, std::string_view password) {
  const std::string text(encoded);  // argon2 wants a NUL-terminated string
  return argon2id_verify(text.c_str(), password.data(), password.size()) == ARGON2_OK;
}

Result<Issued> Accounts::add_person(const std::string& person_id, bool admin, const std::string& actor) {
  NETSAMPLE_ASSIGN(std::optional<workflow::Person> person, workflow::Roster(*store_).find(person_id));
  if (!person) return make_error(ErrorCode::not_found, "person", "名册中没有编号为 \"" + person_id + "\" 的人员（先用 roster add 加入名册）");
  if (!person->active) return make_error(ErrorCode::refused_by_rule, "person", person->name + "（" + person_id + "）已不在岗，不能开设账号");
  return add(person_id, std::nullopt, admin, actor);
}

Result<Issued> Accounts::add_party(const std::string& party_id, const std::string& actor) {
  auto party = notices::PartyRegistry(*store_).get(party_id);
  if (!party.ok()) return party.error();
  if (party->kind != "platform" && party->kind != "network_supervision")
    return make_error(ErrorCode::refused_by_rule, "party",
                      "只有电子商务平台和网络监管部门可以开设账号查看向其公开的信息（第62条）；" + party_id + " 是 " + party->kind, 62);
  return add(std::nullopt, party_id, false, actor);
}

Result<Issued> Accounts::add(const std::optional<std::string>& person_id, const std::optional<std::string>& party_id, bool admin,
                             const std::string& actor) {
  Issued issued;
  issued.secret = random_password();
  const std::string hash = hash_password(issued.secret);
  const std::string login = person_id ? *person_id : "party:" + *party_id;
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(store::Statement existing,
                     store_->db().prepare("SELECT 1 FROM accounts WHERE person_id IS NOT DISTINCT FROM ?1 AND party_id IS NOT DISTINCT FROM ?2"));
    existing.bind(1, person_id).bind(2, party_id);
    NETSAMPLE_ASSIGN(bool taken, existing.step());
    if (taken) return make_error(ErrorCode::duplicate, person_id ? "person" : "party", login + " 已有账号（忘记密码用 account reset-password）");
    NETSAMPLE_ASSIGN(store::Statement insert, store_->db().prepare("INSERT INTO accounts (person_id, party_id, admin, password_hash, "
                                                                   "created_utc_us) VALUES (?1, ?2, ?3, ?4, ?5)"));
    insert.bind(1, person_id).bind(2, party_id).bind(3, std::int64_t{admin}).bind(4, hash).bind(5, to_utc_us(store_->clock().now()));
    NETSAMPLE_TRY(insert.run());
    return status_of(store_->audit().append({actor, "account.created", std::nullopt, {{"login", login}, {"admin", admin}}},
                                            store_->clock().now()));
  }));
  NETSAMPLE_ASSIGN(issued.account, find(login));
  return issued;
}

Result<Issued> Accounts::reset_password(const std::string& login, const std::string& actor) {
  NETSAMPLE_ASSIGN(Account account, find(login));
  Issued issued{account, random_password(), std::nullopt};
  const std::string hash = hash_password(issued.secret);
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(store::Statement update, store_->db().prepare("UPDATE accounts SET password_hash = ?2 WHERE id = ?1"));
    NETSAMPLE_TRY(update.bind(1, account.id).bind(2, hash).run());
    // A new password ends every browser session of the account.
    NETSAMPLE_ASSIGN(store::Statement sessions, store_->db().prepare("DELETE FROM web_sessions WHERE account_id = ?1"));
    NETSAMPLE_TRY(sessions.bind(1, account.id).run());
    return status_of(store_->audit().append({actor, "account.password_reset", std::nullopt, {{"login", login}}}, store_->clock().now()));
  }));
  return issued;
}

Result<Issued> Accounts::create_token(const std::string& login, std::optional<int> days, const std::string& actor) {
  if (days && (*days < 1 || *days > 3660)) return make_error(ErrorCode::invalid_input, "expires", "有效天数须在 1 到 3660 之间");
  NETSAMPLE_ASSIGN(Account account, find(login));
  if (account.disabled) return make_error(ErrorCode::refused_by_rule, "person", login + " 的账号已停用");
  Issued issued{account, "nst_" + random_hex(32), std::nullopt};
  const UtcTime now = store_->clock().now();
  if (days) issued.expires = now + std::chrono::days{*days};
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(store::Statement insert, store_->db().prepare("INSERT INTO api_tokens (account_id, token_sha256, created_utc_us, "
                                                                   "expires_utc_us) VALUES (?1, ?2, ?3, ?4) RETURNING id"));
    insert.bind(1, account.id).bind(2, sha256_hex(issued.secret)).bind(3, to_utc_us(now));
    if (issued.expires) insert.bind(4, to_utc_us(*issued.expires)); else insert.bind_null(4);
    NETSAMPLE_ASSIGN(const std::int64_t token_id, insert.insert_id());
    json payload = {{"login", login}, {"token", token_id}};
    payload["expires"] = issued.expires ? json(format_iso8601_beijing(*issued.expires)) : json(nullptr);
    return status_of(store_->audit().append({actor, "account.token_created", std::nullopt, std::move(payload)}, now));
  }));
  return issued;
}

Status Accounts::revoke_tokens(const std::string& login, const std::string& actor) {
  NETSAMPLE_ASSIGN(Account account, find(login));
  return store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(store::Statement update, store_->db().prepare("UPDATE api_tokens SET revoked_utc_us = ?2 WHERE account_id = ?1 "
                                                                   "AND revoked_utc_us IS NULL"));
    NETSAMPLE_TRY(update.bind(1, account.id).bind(2, to_utc_us(store_->clock().now())).run());
    return status_of(store_->audit().append({actor, "account.tokens_revoked", std::nullopt, {{"login", login}}}, store_->clock().now()));
  });
}

Result<std::vector<Account>> Accounts::list() {
  NETSAMPLE_ASSIGN(store::Statement stmt, store_->db().prepare(std::string(kSelectAccount) + "ORDER BY id"));
  std::vector<Account> out;
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, stmt.step());
    if (!row) return out;
    out.push_back(account_from_row(stmt));
  }
}

Result<Account> Accounts::find(const std::string& login) {
  const auto [person, party] = split_login(login);
  NETSAMPLE_ASSIGN(store::Statement stmt, store_->db().prepare(std::string(kSelectAccount) + "WHERE person_id IS NOT DISTINCT FROM ?1 AND party_id IS NOT DISTINCT FROM ?2"));
  stmt.bind(1, person).bind(2, party);
  NETSAMPLE_ASSIGN(bool found, stmt.step());
  if (!found) return make_error(ErrorCode::not_found, person ? "person" : "party", login + " 没有账号（用 account add 开设）");
  return account_from_row(stmt);
}

Result<Account> Accounts::check_password(const std::string& login, std::string_view password) {
  const auto [person, party] = split_login(login);
  NETSAMPLE_ASSIGN(store::Statement stmt, store_->db().prepare("SELECT id, person_id, party_id, admin, disabled, created_utc_us, "
                                                               "password_hash FROM accounts WHERE person_id IS NOT DISTINCT FROM ?1 AND party_id IS NOT DISTINCT FROM ?2"));
  stmt.bind(1, person).bind(2, party);
  NETSAMPLE_ASSIGN(bool found, stmt.step());
  // An unknown login still costs one hash, so timing does not tell which logins exist.
  static const std::string kDummy = hash_password("netsample-no-such-account");
  const std::string encoded = found && !stmt.is_null(6) ? stmt.text(6) : kDummy;
  const bool matches = password_matches(encoded, password);
  if (!found || !matches) return unauthenticated();
  Account account = account_from_row(stmt);
  NETSAMPLE_TRY(require_usable(account));
  return account;
}

Result<Account> Accounts::usable(const std::string& login) {
  auto account = find(login);
  if (!account.ok()) return unauthenticated();
  NETSAMPLE_TRY(require_usable(*account));
  return std::move(account).value();
}

Status Accounts::require_usable(Account& account) {
  if (account.disabled) return unauthenticated();
  if (!account.person_id) return {};
  NETSAMPLE_ASSIGN(account.person, workflow::Roster(*store_).find(*account.person_id));
  if (!account.person || !account.person->active) return unauthenticated();  // a person who left the roster signs in no more
  return {};
}

Result<TokenAccount> Accounts::by_token(std::string_view token) {
  if (!token.starts_with("nst_")) return unauthenticated();
  NETSAMPLE_ASSIGN(store::Statement stmt,
                   store_->db().prepare("SELECT a.id, a.person_id, a.party_id, a.admin, a.disabled, a.created_utc_us, t.expires_utc_us, "
                                        "t.revoked_utc_us FROM api_tokens t JOIN accounts a ON a.id = t.account_id WHERE t.token_sha256 = ?1"));
  stmt.bind(1, sha256_hex(token));
  NETSAMPLE_ASSIGN(bool found, stmt.step());
  if (!found) return unauthenticated();
  TokenAccount out{account_from_row(stmt), std::nullopt};
  if (!stmt.is_null(6)) out.expires = from_utc_us(stmt.int64(6));
  const bool revoked = !stmt.is_null(7);
  if (revoked || (out.expires && *out.expires <= store_->clock().now())) return unauthenticated();
  NETSAMPLE_TRY(require_usable(out.account));
  return out;
}

Result<WebSession> Accounts::open_session(const Account& account, std::chrono::seconds lifetime) {
  WebSession session{random_hex(32), random_hex(32), store_->clock().now() + lifetime};
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    // Expired sessions go whenever a new one opens: the table stays as small as the people signed in.
    NETSAMPLE_ASSIGN(store::Statement sweep, store_->db().prepare("DELETE FROM web_sessions WHERE expires_utc_us <= ?1"));
    NETSAMPLE_TRY(sweep.bind(1, to_utc_us(store_->clock().now())).run());
    NETSAMPLE_ASSIGN(store::Statement insert, store_->db().prepare("INSERT INTO web_sessions (id_sha256, account_id, csrf_token, "
                                                                   "created_utc_us, expires_utc_us) VALUES (?1, ?2, ?3, ?4, ?5)"));
    insert.bind(1, sha256_hex(session.cookie)).bind(2, account.id).bind(3, session.csrf_token);
    insert.bind(4, to_utc_us(store_->clock().now())).bind(5, to_utc_us(session.expires));
    NETSAMPLE_TRY(insert.run());
    return status_of(store_->audit().append({account.login(), "account.signed_in", std::nullopt, {{"login", account.login()}}},
                                            store_->clock().now()));
  }));
  return session;
}

Result<SessionAccount> Accounts::by_session(std::string_view cookie) {
  NETSAMPLE_ASSIGN(store::Statement stmt,
                   store_->db().prepare("SELECT a.id, a.person_id, a.party_id, a.admin, a.disabled, a.created_utc_us, s.csrf_token, "
                                        "s.expires_utc_us FROM web_sessions s JOIN accounts a ON a.id = s.account_id WHERE s.id_sha256 = ?1"));
  stmt.bind(1, sha256_hex(cookie));
  NETSAMPLE_ASSIGN(bool found, stmt.step());
  if (!found) return unauthenticated();
  SessionAccount out{account_from_row(stmt), stmt.text(6), from_utc_us(stmt.int64(7))};
  if (out.expires <= store_->clock().now()) return unauthenticated();
  NETSAMPLE_TRY(require_usable(out.account));
  return out;
}

Status Accounts::close_session(std::string_view cookie, const std::string& actor) {
  return store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(store::Statement remove, store_->db().prepare("DELETE FROM web_sessions WHERE id_sha256 = ?1"));
    NETSAMPLE_TRY(remove.bind(1, sha256_hex(cookie)).run());
    return status_of(store_->audit().append({actor, "account.signed_out", std::nullopt, {{"login", actor}}}, store_->clock().now()));
  });
}

}  // namespace netsample::accounts
