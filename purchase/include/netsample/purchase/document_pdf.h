// An official document on A4 with Pango and cairo (Noto Sans CJK): a title, the regulation's article
// under it, a table of rows, the signatures, the unit's name and seal image; a draft carries a large
// 草稿 mark. The sampling document (Art 39) and every written notice (Art 50-74) are printed with it.
#pragma once

#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"

namespace netsample::purchase {

// `document`: {"title", "subtitle", "case_number", "rows": [{"label", "value"}], "signatures", "seal_label",
// "organization", "draft", "draft_reason", "generated_shown"}. Written to `pdf` through a temporary file.
Status render_document_pdf(const nlohmann::json& document, const std::optional<std::filesystem::path>& seal_image, const std::filesystem::path& pdf);

}  // namespace netsample::purchase
