// The roster: samplers, lab testers, organizers and reviewers of each organizer (or entrusted agency).
// Samplers for a case are drawn at random from it (Art 20); testers are checked against the samplers
// (Art 16). People are never deleted (past cases name them); they are marked inactive.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/store/store.h"

namespace netsample::workflow {

// sampler 抽样人员, tester 检验人员, organizer 组织监督抽查部门, district 负责结果处理的区县局, reviewer 审看人员
inline const std::vector<std::string> kRoles = {"sampler", "tester", "organizer", "district", "reviewer"};

struct Person {
  std::string id;                  // organizer-chosen, unique, e.g. "S-001"
  std::string name;
  std::string org;                 // whose roster: the organizer code a case names
  std::vector<std::string> roles;  // from kRoles
  bool active = true;

  bool has_role(std::string_view role) const;
  nlohmann::json to_json() const;
};

// Reads {"people": [...]} or a bare array of people. Errors name the entry ("people[2].roles").
Result<std::vector<Person>> parse_people(const nlohmann::json& root);

struct RosterChange {
  int added = 0;
  int updated = 0;
  int unchanged = 0;
};

class Roster {
 public:
  explicit Roster(store::Store& store) : store_(&store) {}

  // Adds new people and updates changed ones, all or nothing, each change in the audit log.
  Result<RosterChange> add(const std::vector<Person>& people, const std::string& actor);
  Result<std::vector<Person>> list();
  Result<std::optional<Person>> find(const std::string& id);

 private:
  store::Store* store_;
};

}  // namespace netsample::workflow
