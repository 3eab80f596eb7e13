// An official document on A4 (Pango and cairo, Noto Sans CJK): a title, the regulation's article under it, a
// table of rows, the signatures, the unit's name and seal image; a draft carries a large 草稿 mark. The
// sampling document (Art 39) and every written notice (Art 50-74) are printed with it. And the unit whose
// documents they are: its name and seal, as <data>/organization.json sets them.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/core/time.h"

namespace netsample::documents {

struct Row {
  std::string label, value;
};

struct Document {
  std::string title;               // "网络抽样文书"
  std::string subtitle;            // "（重庆市产品质量监督抽查实施办法 第三十九条）"
  std::string case_number;
  std::vector<Row> rows;
  std::string signatures;          // the line the signers sign on; empty: none
  std::string seal_label = "（盖章）";
  std::string organization;        // the unit's name beside its seal
  bool draft = false;
  std::string draft_reason;        // said in red under the title of a draft
  UtcTime generated;               // printed in Beijing time at the foot of the page
};

// The page's rows as JSON ([{"label", "value"}]), for a document's JSON file.
nlohmann::json rows_json(const std::vector<Row>& rows);

// Writes `document` to `pdf` through a temporary file (renamed when complete). `seal_image`: a PNG printed
// over the unit's name; an unreadable one is an error naming it.
Status render_pdf(const Document& document, const std::optional<std::filesystem::path>& seal_image, const std::filesystem::path& pdf);

// The sampling unit as configured (<data>/organization.json: {"name": "...", "seal_image": "seal.png"}).
struct Organization {
  std::string name;                                 // shown as 抽样单位; callers fall back to the case's organizer code
  std::optional<std::filesystem::path> seal_image;  // PNG, printed over the unit's name
};
// Reads <data>/organization.json when present (an empty Organization otherwise); errors name the file and field.
Result<Organization> load_organization(const std::filesystem::path& data_dir);

}  // namespace netsample::documents
