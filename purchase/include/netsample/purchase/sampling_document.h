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
#include "netsample/documents/document.h"
#include "netsample/purchase/session.h"
#include "netsample/workflow/cases.h"
#include "netsample/workflow/platforms.h"

namespace netsample::purchase {

// The document: the page the PDF shows, and the JSON file beside it (the page's rows, and the facts behind
// them: order, payment, recording, sealing, samplers, organization). `sealing` is the fields of the case's
// "seal" event (Art 37, 38), null before it: then the document is a draft. Refused without a complete
// purchase session or with fewer than two samplers (Art 20).
struct SamplingDocument {
  documents::Document page;
  nlohmann::json record;
};
Result<SamplingDocument> sampling_document(const workflow::CaseView& view, const SessionView& session, const nlohmann::json& sealing,
                                           const workflow::PlatformRegistry& platforms, const documents::Organization& organization,
                                           UtcTime generated);

// The document of a case with a complete purchase, from what the store holds (the case, its last complete
// purchase, its "seal" event, <data>/organization.json): PDF and JSON written to `out_dir` (default
// <data>/documents) and both stored as evidence of the case by `actor`. A draft until the samples are sealed.
struct SamplingDocumentFiles {
  std::filesystem::path pdf, json;
  bool draft = true;
  std::vector<store::EvidenceItem> evidence;  // the PDF's, then the JSON's
};
Result<SamplingDocumentFiles> write_sampling_document(store::Store& store, workflow::Lifecycle& lifecycle, const workflow::PlatformRegistry& platforms,
                                                      const std::string& case_number, const std::string& actor,
                                                      const std::filesystem::path& out_dir = {});

}  // namespace netsample::purchase
