#include "view_cache.h"

namespace netsample::server {

Response CachedView::response() const {
  Response r = Response::bytes(status, body, content_type);
  r.headers = headers;
  return r;
}

std::string ViewCache::key(const std::string& credential_sha256, const Request& request) {
  // The query map is ordered, so "?a=1&b=2" and "?b=2&a=1" share an answer.
  std::string out = credential_sha256 + ' ' + request.method + ' ' + request.path;
  for (const auto& [name, value] : request.query) {
    out += '\n';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

const CachedView* ViewCache::find(const std::string& key, const store::Database::ChangeStamp& stamp, CivilDate today, UtcTime now) const {
  const auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  const Entry& entry = it->second;
  if (!(entry.stamp == stamp) || entry.today != today) return nullptr;
  if (entry.expires && *entry.expires <= now) return nullptr;
  return &entry.view;
}

void ViewCache::keep(std::string key, const store::Database::ChangeStamp& stamp, CivilDate today, std::optional<UtcTime> credential_expires,
                     const Response& response, const std::string& login) {
  if (response.status != 200 || response.file) return;
  if (entries_.size() >= kMaxEntries && !entries_.contains(key)) {
    // Stale answers go first; if all are current, start over (simple, and bounded).
    std::erase_if(entries_, [&](const auto& entry) { return !(entry.second.stamp == stamp) || entry.second.today != today; });
    if (entries_.size() >= kMaxEntries) entries_.clear();
  }
  entries_[std::move(key)] = Entry{stamp, today, credential_expires, CachedView{response.status, response.content_type, response.body, response.headers, login}};
}

}  // namespace netsample::server
