#include "netsample/workflow/platforms.h"

#include <algorithm>

#include "netsample/core/file_io.h"
#include "netsample/core/json_fields.h"

namespace netsample::embedded {
extern const std::string_view platforms_json;
}

namespace netsample::workflow {

Result<PlatformRegistry> PlatformRegistry::built_in() {
  PlatformRegistry registry;
  NETSAMPLE_TRY(registry.merge(embedded::platforms_json, "data/platforms.json"));
  return registry;
}

Result<PlatformRegistry> PlatformRegistry::load(const std::filesystem::path& data_dir) {
  NETSAMPLE_ASSIGN(PlatformRegistry registry, built_in());
  const auto local = data_dir / "platforms.json";
  NETSAMPLE_ASSIGN(std::optional<std::string> text, read_file_if_exists(local));
  if (text) NETSAMPLE_TRY(registry.merge(*text, local.string()));
  return registry;
}

Status PlatformRegistry::merge(std::string_view json_text, std::string_view source) {
  NETSAMPLE_ASSIGN(nlohmann::json root, parse_json(json_text, source));
  NETSAMPLE_ASSIGN(JsonFields top, JsonFields::of(root, std::string(source)));
  (void)top.optional_text("_comment");
  NETSAMPLE_ASSIGN(const nlohmann::json* list, top.raw("platforms"));
  if (!list->is_array()) return make_error(ErrorCode::wrong_type, top.path_of("platforms"), "类型应为数组");
  NETSAMPLE_TRY(top.reject_unknown_keys());
  std::vector<Platform> parsed;
  for (size_t i = 0; i < list->size(); ++i) {
    NETSAMPLE_ASSIGN(JsonFields entry, JsonFields::of((*list)[i], top.path_of("platforms") + "[" + std::to_string(i) + "]"));
    Platform platform;
    NETSAMPLE_ASSIGN(platform.code, entry.text("code"));
    NETSAMPLE_ASSIGN(platform.name, entry.text("name"));
    NETSAMPLE_ASSIGN(const nlohmann::json* hosts, entry.raw("hosts"));
    if (!hosts->is_array()) return make_error(ErrorCode::wrong_type, entry.path_of("hosts"), "类型应为字符串数组");
    for (const auto& host : *hosts) {
      if (!host.is_string()) return make_error(ErrorCode::wrong_type, entry.path_of("hosts"), "类型应为字符串数组");
      platform.hosts.push_back(host.get<std::string>());
    }
    NETSAMPLE_ASSIGN(platform.local, entry.optional_boolean("local", false));
    NETSAMPLE_TRY(entry.reject_unknown_keys());
    parsed.push_back(std::move(platform));
  }
  for (auto& platform : parsed) {
    auto same = std::find_if(platforms_.begin(), platforms_.end(), [&](const Platform& p) { return p.code == platform.code; });
    if (same != platforms_.end()) *same = std::move(platform);
    else platforms_.push_back(std::move(platform));
  }
  return {};
}

const Platform* PlatformRegistry::find(std::string_view code_or_name) const {
  for (const auto& platform : platforms_)
    if (platform.code == code_or_name || platform.name == code_or_name) return &platform;
  return nullptr;
}

std::string PlatformRegistry::codes() const {
  std::string text;
  for (const auto& platform : platforms_) text += (text.empty() ? "" : ", ") + platform.code;
  return text;
}

}  // namespace netsample::workflow
