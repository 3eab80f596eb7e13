// What a worker thread answered lately to the routes that only read (Route::snapshot), kept until the data
// could have changed. A reviewer's page and a bureau's system ask for the same case again and again; its view
// is ~20 queries and a JSON document, an answer from here is a map lookup.
//
// An answer is reused only while all of these still hold:
//   - the database is unchanged (store::Database::ChangeStamp: nothing committed by any connection, this
//     thread's, another thread's or another process's, since the answer was made);
//   - it is the same Beijing date (days left and "overdue" are counted by date);
//   - the same credential asks (the hash of its token or cookie: scope and available events are the caller's),
//     and that credential has not expired.
// A change anywhere empties nothing but makes every older answer stale: correctness does not depend on knowing
// which view a change touches. One cache per worker thread, like the Runtime (no lock).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "http.h"
#include "netsample/core/time.h"
#include "netsample/store/database.h"

namespace netsample::server {

struct CachedView {
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string login;  // who asked, for the access log

  Response response() const;
};

class ViewCache {
 public:
  // The request's key: the credential's hash and the method, path and query it asked for.
  static std::string key(const std::string& credential_sha256, const Request& request);

  // The stored answer for `key`, if it is still valid at `stamp`, `today` and `now`.
  const CachedView* find(const std::string& key, const store::Database::ChangeStamp& stamp, CivilDate today, UtcTime now) const;
  // Keeps a 200 answer made at `stamp` (read before the handler ran, so a change made meanwhile makes it stale).
  void keep(std::string key, const store::Database::ChangeStamp& stamp, CivilDate today, std::optional<UtcTime> credential_expires,
            const Response& response, const std::string& login);

 private:
  struct Entry {
    store::Database::ChangeStamp stamp;
    CivilDate today;
    std::optional<UtcTime> expires;
    CachedView view;
  };
  static constexpr std::size_t kMaxEntries = 512;  // a few MiB at most per worker thread
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace netsample::server
