#include "netsample/workflow/roster.h"

#include <algorithm>
#include <set>

#include "netsample/core/json_fields.h"

namespace netsample::workflow {

bool Person::has_role(std::string_view role) const { return std::find(roles.begin(), roles.end(), role) != roles.end(); }

nlohmann::json Person::to_json() const {
  return {{"id", id}, {"name", name}, {"org", org}, {"roles", roles}, {"active", active}};
}

namespace {

Result<Person> parse_person(const nlohmann::json& value, const std::string& path) {
  NETSAMPLE_ASSIGN(JsonFields fields, JsonFields::of(value, path));
  Person person;
  NETSAMPLE_ASSIGN(person.id, fields.text("id"));
  NETSAMPLE_ASSIGN(person.name, fields.text("name"));
  NETSAMPLE_ASSIGN(person.org, fields.text("org"));
  NETSAMPLE_ASSIGN(person.active, fields.optional_boolean("active", true));
  NETSAMPLE_ASSIGN(const nlohmann::json* roles, fields.raw("roles"));
  const std::string roles_path = fields.path_of("roles");
  if (!roles->is_array() || roles->empty())
    return make_error(roles->is_array() ? ErrorCode::missing_field : ErrorCode::wrong_type, roles_path,
                      "须为非空数组，取值：sampler（抽样人员）、tester（检验人员）、organizer（组织部门）、district（区县局）、reviewer（审看人员）");
  for (const auto& role : *roles) {
    if (!role.is_string() || std::find(kRoles.begin(), kRoles.end(), role.get<std::string>()) == kRoles.end())
      return make_error(ErrorCode::invalid_input, roles_path,
                        "未知角色 " + role.dump() + "，取值：sampler、tester、organizer、district、reviewer");
    if (!person.has_role(role.get<std::string>())) person.roles.push_back(role.get<std::string>());
  }
  std::sort(person.roles.begin(), person.roles.end());
  NETSAMPLE_TRY(fields.reject_unknown_keys());
  return person;
}

Person person_from_row(const store::Statement& row) {
  Person person{row.text(0), row.text(1), row.text(2), {}, row.int64(4) != 0};
  // A hand-edited roles column must not crash a read; verify_records reports the edit.
  const auto roles = nlohmann::json::parse(row.text(3), nullptr, false);
  if (roles.is_array())
    for (const auto& role : roles)
      if (role.is_string()) person.roles.push_back(role.get<std::string>());
  return person;
}

constexpr const char* kSelectPeople = "SELECT id, name, org, roles, active FROM people";

}  // namespace

Result<std::vector<Person>> parse_people(const nlohmann::json& root) {
  const nlohmann::json* list = &root;
  std::string path = "people";
  if (root.is_object()) {
    NETSAMPLE_ASSIGN(JsonFields top, JsonFields::of(root, ""));
    NETSAMPLE_ASSIGN(list, top.raw("people"));
    NETSAMPLE_TRY(top.reject_unknown_keys());
  }
  if (!list->is_array()) return make_error(ErrorCode::wrong_type, path, "类型应为人员数组");
  if (list->empty()) return make_error(ErrorCode::missing_field, path, "名册为空");
  std::vector<Person> people;
  std::set<std::string> ids;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string entry_path = path + "[" + std::to_string(i) + "]";
    NETSAMPLE_ASSIGN(Person person, parse_person((*list)[i], entry_path));
    if (!ids.insert(person.id).second)
      return make_error(ErrorCode::duplicate, entry_path + ".id", "编号 " + person.id + " 在文件中重复");
    people.push_back(std::move(person));
  }
  return people;
}

Result<std::vector<Person>> Roster::list() {
  NETSAMPLE_ASSIGN(store::Statement stmt, store_->db().prepare(std::string(kSelectPeople) + " ORDER BY org, id"));
  std::vector<Person> people;
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, stmt.step());
    if (!row) return people;
    people.push_back(person_from_row(stmt));
  }
}

Result<std::optional<Person>> Roster::find(const std::string& id) {
  NETSAMPLE_ASSIGN(store::Statement stmt, store_->db().prepare(std::string(kSelectPeople) + " WHERE id = ?1"));
  stmt.bind(1, id);
  NETSAMPLE_ASSIGN(bool row, stmt.step());
  if (!row) return std::optional<Person>{};
  return std::optional<Person>(person_from_row(stmt));
}

Result<RosterChange> Roster::add(const std::vector<Person>& people, const std::string& actor) {
  RosterChange change;
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    change = {};
    const UtcTime now = store_->clock().now();
    for (const Person& person : people) {
      NETSAMPLE_ASSIGN(std::optional<Person> existing, find(person.id));
      if (existing && existing->to_json() == person.to_json()) {
        ++change.unchanged;
        continue;
      }
      NETSAMPLE_ASSIGN(store::Statement upsert,
                       store_->db().prepare("INSERT INTO people (id, name, org, roles, active, added_utc_us) "
                                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO UPDATE SET "
                                            "name = excluded.name, org = excluded.org, roles = excluded.roles, "
                                            "active = excluded.active"));
      upsert.bind(1, person.id).bind(2, person.name).bind(3, person.org).bind(4, nlohmann::json(person.roles).dump());
      upsert.bind(5, std::int64_t{person.active}).bind(6, to_utc_us(now));
      NETSAMPLE_TRY(upsert.run());
      nlohmann::json payload = {{"person", person.to_json()}};
      if (existing) payload["before"] = existing->to_json();
      NETSAMPLE_TRY(status_of(store_->audit().append({actor, existing ? "person.updated" : "person.added", std::nullopt, payload}, now)));
      ++(existing ? change.updated : change.added);
    }
    return {};
  }));
  return change;
}

}  // namespace netsample::workflow
