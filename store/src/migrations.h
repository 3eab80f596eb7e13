// The order in which the modules' migrations (netsample/store/schema.h) are applied to a database.
#pragma once

#include <vector>

#include "netsample/store/schema.h"

namespace netsample::store {

struct SchemaStep {
  const ModuleSchema* module;
  int version;  // the module's version once it is applied (its 1-based place in the module's list)
  const SchemaMigration* migration;
};

// Those made before the split in the single list's order, as every database made then applied them (a piece of
// one version split between modules in every_module_schema's order); those made after, module by module in that
// order. So a migration may refer to its own module's tables and those of the modules before it.
std::vector<SchemaStep> migration_order();

}  // namespace netsample::store
