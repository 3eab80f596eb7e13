#include "migrations.h"

#include <algorithm>
#include <climits>
#include <tuple>

namespace netsample::store {

const std::vector<const ModuleSchema*>& every_module_schema() {
  // The store's evidence rows name a case, so workflow's people and cases come first; then every module whose rows
  // name a case, a person or a party (notices' parties before accounts, which may sign one in).
  static const std::vector<const ModuleSchema*> all = {&workflow_schema(), &store_schema(),    &purchase_schema(),
                                                       &unboxing_schema(), &notices_schema(),  &accounts_schema(),
                                                       &review_schema(),   &sync_schema()};
  return all;
}

SchemaVersions latest_schema_versions() {
  SchemaVersions latest;
  for (const ModuleSchema* schema : every_module_schema()) latest[schema->module] = static_cast<int>(schema->migrations.size());
  return latest;
}

std::vector<SchemaStep> migration_order() {
  const auto& modules = every_module_schema();
  std::vector<std::tuple<int, size_t, size_t>> keys;  // (single list's version or after it, module, migration)
  for (size_t m = 0; m < modules.size(); ++m)
    for (size_t i = 0; i < modules[m]->migrations.size(); ++i) {
      const int before_split = modules[m]->migrations[i].before_split;
      keys.emplace_back(before_split > 0 ? before_split : INT_MAX, m, i);
    }
  std::sort(keys.begin(), keys.end());
  std::vector<SchemaStep> order;
  for (const auto& key : keys) {
    const ModuleSchema* module = modules[std::get<1>(key)];
    const size_t index = std::get<2>(key);
    order.push_back({module, static_cast<int>(index) + 1, &module->migrations[index]});
  }
  return order;
}

}  // namespace netsample::store
