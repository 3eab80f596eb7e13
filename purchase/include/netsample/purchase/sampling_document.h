// The online sampling document (网络抽样文书, Art 39): filled "根据样品情况" after the samples are received
// and sealed, signed by the samplers, stamped with the sampling unit's seal and mailed with the
// 监督抽查通知书 to the sampled operator. Built here from what the case and its purchase know; the sample
// fields (batch, production date, seals) come with unboxing. Without them the document is a draft, and
// says so on the page.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/purchase/session.h"
#include "netsample/workflow/cases.h"
#include "netsample/workflow/platforms.h"

namespace netsample::purchase {

// The sampling unit as configured (<data>/organization.json: {"name": "...", "seal_image": "seal.png"}).
struct Organization {
  std::string name;                                // shown as 抽样单位; the case's organizer code when unset
  std::optional<std::filesystem::path> seal_image; // PNG, printed over the unit's name
};
// Reads <data>/organization.json when present; errors name the file and the field.
Result<Organization> load_organization(const std::filesystem::path& data_dir);

// The document's content as JSON (also what the PDF shows). `sealing` is the fields of the case's "seal"
// event (Art 37, 38), null before it: then the document is a draft. Refused without a complete purchase
// session or with fewer than two samplers (Art 20).
Result<nlohmann::json> sampling_document(const workflow::CaseView& view, const SessionView& session, const nlohmann::json& sealing,
                                         const workflow::PlatformRegistry& platforms, const Organization& organization,
                                         UtcTime generated);

// Renders it as an A4 PDF with Pango and cairo (Noto Sans CJK): a draft carries a large 草稿 mark.
Status render_sampling_document(const nlohmann::json& document, const std::optional<std::filesystem::path>& seal_image,
                                const std::filesystem::path& pdf);

}  // namespace netsample::purchase
