#include <filesystem>

#include "netsample/core/file_io.h"
#include "netsample/core/json_fields.h"
#include "netsample/documents/document.h"

namespace netsample::documents {

namespace fs = std::filesystem;
using nlohmann::json;

Result<Organization> load_organization(const fs::path& data_dir) {
  Organization organization;
  const fs::path file = data_dir / "organization.json";
  if (!fs::exists(file)) return organization;
  NETSAMPLE_ASSIGN(std::string text, read_file(file));
  NETSAMPLE_ASSIGN(json parsed, parse_json(text, file.string()));
  if (!parsed.is_object()) return make_error(ErrorCode::wrong_type, file.string(), "应为 JSON 对象：{\"name\": \"…\", \"seal_image\": \"seal.png\"}");
  for (const auto& [key, value] : parsed.items()) {
    if (key != "name" && key != "seal_image" && !key.starts_with("_"))
      return make_error(ErrorCode::invalid_input, file.string() + ": " + key, "未知字段；可用 name、seal_image");
    if (!key.starts_with("_") && !value.is_string()) return make_error(ErrorCode::wrong_type, file.string() + ": " + key, "应为文字");
  }
  organization.name = parsed.value("name", "");
  if (parsed.contains("seal_image")) {
    fs::path seal = parsed["seal_image"].get<std::string>();
    if (seal.is_relative()) seal = data_dir / seal;
    if (!fs::exists(seal)) return make_error(ErrorCode::not_found, file.string() + ": seal_image", "印章图片 " + seal.string() + " 不存在");
    organization.seal_image = seal;
  }
  return organization;
}

}  // namespace netsample::documents
