// Each notice as the written document the regulation means (书面告知): a Chinese A4 page, typeset like the
// sampling document, and the same content as JSON — the case, what was decided, the article, who it goes
// to, the recipient's rights and the deadlines the lifecycle computed (e.g. objection within 15 days of
// receipt, Art 52). Both are stored as evidence; the PDF's SHA-256 travels with every delivery.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/documents/document.h"
#include "netsample/notices/parties.h"
#include "netsample/store/store.h"
#include "netsample/workflow/cases.h"
#include "netsample/workflow/lifecycle.h"

namespace netsample::notices {

// The page: the case, what was decided with the lifecycle's field labels, the article, the rights, the open
// deadlines, the addressees.
documents::Document notice_document(const workflow::NoticeView& notice, const workflow::CaseView& view, const std::vector<Addressee>& addressees,
                                    const std::string& organization, UtcTime generated);
// Its JSON file (what webhooks carry as the document's content): the page's title, rows and organization,
// with the notice's id, kind and article.
nlohmann::json notice_document_json(const workflow::NoticeView& notice, const documents::Document& page);

struct NoticeFiles {
  std::filesystem::path pdf, json;
  std::string pdf_sha256;
};
// Writes the notice's PDF and JSON once (<data>/notices/), stores both as evidence of the case and
// remembers them; later calls return what was written.
Result<NoticeFiles> notice_files(store::Store& store, const workflow::NoticeView& notice, const workflow::CaseView& view,
                                 const std::vector<Addressee>& addressees);

// What notice_files wrote for the notice, without writing anything; nullopt before the first delivery.
Result<std::optional<NoticeFiles>> stored_notice_files(store::Store& store, std::int64_t notice_id);

}  // namespace netsample::notices
