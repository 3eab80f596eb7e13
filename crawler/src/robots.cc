#include <algorithm>
#include <cctype>
#include <sstream>

#include "netsample/crawler/crawler.h"

namespace netsample::crawler {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// RFC 9309 section 2.2.3: '*' matches any run of characters, a final '$' anchors the end.
bool pattern_matches(const std::string& pattern, const std::string& path) {
  const bool anchored = !pattern.empty() && pattern.back() == '$';
  const std::string p = anchored ? pattern.substr(0, pattern.size() - 1) : pattern;
  // Dynamic programming over the pattern's pieces between stars.
  std::vector<std::string> pieces;
  size_t start = 0;
  for (size_t star; (star = p.find('*', start)) != std::string::npos; start = star + 1) pieces.push_back(p.substr(start, star - start));
  pieces.push_back(p.substr(start));
  if (!path.starts_with(pieces.front())) return false;
  size_t at = pieces.front().size();
  if (pieces.size() == 1) return !anchored || at == path.size();
  for (size_t i = 1; i + 1 < pieces.size(); ++i) {
    const size_t found = path.find(pieces[i], at);
    if (found == std::string::npos) return false;
    at = found + pieces[i].size();
  }
  const std::string& last = pieces.back();
  if (anchored) return path.size() >= at + last.size() && path.compare(path.size() - last.size(), last.size(), last) == 0;
  return path.find(last, at) != std::string::npos;
}

struct Group {
  std::vector<std::string> agents;
  std::vector<std::pair<bool, std::string>> rules;  // allow?, pattern
};

}  // namespace

bool robots_allows(const std::string& robots, const std::string& agent, const std::string& path) {
  std::vector<Group> groups;
  bool in_agents = false;
  std::istringstream lines(robots);
  for (std::string line; std::getline(lines, line);) {
    if (const size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = lower(trim(line.substr(0, colon)));
    const std::string value = trim(line.substr(colon + 1));
    if (key == "user-agent") {
      if (!in_agents) groups.push_back({});
      groups.back().agents.push_back(lower(value));
      in_agents = true;
    } else if (key == "allow" || key == "disallow") {
      in_agents = false;
      if (groups.empty() || value.empty()) continue;  // an empty Disallow allows everything
      groups.back().rules.push_back({key == "allow", value});
    } else {
      in_agents = false;  // sitemap and the like end a user-agent run too
    }
  }
  // The product token: the user agent up to its first '/' or space, as RFC 9309 matches it.
  std::string token = lower(agent.substr(0, agent.find_first_of("/ ")));
  std::vector<const Group*> chosen;
  for (const auto& g : groups)
    if (std::find(g.agents.begin(), g.agents.end(), token) != g.agents.end()) chosen.push_back(&g);
  if (chosen.empty())
    for (const auto& g : groups)
      if (std::find(g.agents.begin(), g.agents.end(), "*") != g.agents.end()) chosen.push_back(&g);
  size_t best = 0;
  bool allowed = true, matched = false;
  for (const Group* g : chosen)
    for (const auto& [allow, pattern] : g->rules) {
      if (!pattern_matches(pattern, path)) continue;
      if (!matched || pattern.size() > best || (pattern.size() == best && allow)) {
        best = pattern.size();
        allowed = allow;
        matched = true;
      }
    }
  return allowed;
}

}  // namespace netsample::crawler
