// Each module's tables as that module's own migrations (design/store.md, "Schema"). A module numbers its
// migrations from 1 in its own schema.cc; the database keeps each module's version (`schema_modules`), so a module
// adds a migration without renumbering anyone else's.
//
// Until the split the schema was one numbered list (versions 1-21, SQLite's user_version, PostgreSQL's
// netsample_schema); a migration made then names the version it was part of, so that a database made before the
// split knows which of each module's migrations it already has, and a new database applies them in the same order.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace netsample::store {

struct SchemaMigration {
  int before_split;  // the single list's version this was part of (1-21); 0 for a migration made after the split
  const char* name;
  const char* sql;  // SQLite's DDL; the PostgreSQL backend translates it (design/store.md)
};

struct ModuleSchema {
  const char* module;
  std::vector<SchemaMigration> migrations;
};

// The single list's last version. A database made since the split carries the next one there, so that a program
// from before the split refuses it as newer instead of applying its migrations again.
inline constexpr int kLastVersionBeforeTheSplit = 21;

// Every module's schema, in the order their tables refer to each other (a case before its evidence, its sessions,
// its notices; people before accounts; parties before deliveries). Each is defined in the module's own
// src/schema.cc (one small target per module, linked by the store).
const ModuleSchema& store_schema();
const ModuleSchema& workflow_schema();
const ModuleSchema& purchase_schema();
const ModuleSchema& unboxing_schema();
const ModuleSchema& notices_schema();
const ModuleSchema& accounts_schema();
const ModuleSchema& review_schema();
const ModuleSchema& sync_schema();
const std::vector<const ModuleSchema*>& every_module_schema();

// Each module's version: the number of its migrations applied.
using SchemaVersions = std::map<std::string, int>;
SchemaVersions latest_schema_versions();

}  // namespace netsample::store
