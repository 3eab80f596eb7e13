// The schema as numbered migrations. Append only: a released migration is never edited, a change is
// a new one. design/schema.md explains the tables.
#pragma once

#include <vector>

namespace netsample::store {

struct Migration {
  const char* name;
  const char* sql;
};

const std::vector<Migration>& migrations();

}  // namespace netsample::store
