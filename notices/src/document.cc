#include "netsample/notices/document.h"

#include <unistd.h>

#include "netsample/core/file_io.h"
#include "netsample/core/sha256.h"

namespace netsample::notices {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

using documents::Row;

std::string text_of(const json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

// The event's fields under the lifecycle's own Chinese labels.
std::vector<Row> field_rows(const std::string& event, const json& fields) {
  std::vector<Row> rows;
  for (const auto& t : workflow::lifecycle_transitions()) {
    if (t.event != event) continue;
    for (const auto& spec : t.fields)
      if (fields.contains(spec.name) && !fields[spec.name].is_boolean()) rows.push_back({spec.label, text_of(fields[spec.name])});
    break;
  }
  return rows;
}

}  // namespace

documents::Document notice_document(const workflow::NoticeView& notice, const workflow::CaseView& view, const std::vector<Addressee>& addressees,
                     const std::string& organization, UtcTime generated) {
  const workflow::CaseRecord& c = view.record;
  std::string to;
  for (const auto& a : addressees)
    to += (to.empty() ? "" : "；") + workflow::recipient_label(a.role) + "：" + (a.party ? a.party->name : "（未登记）");
  std::vector<Row> rows = {{"任务编号", c.number},
                           {"产品", c.product_name + "，商标 " + c.trademark + "，型号规格 " + c.model},
                           {"被抽样电子商务经营者", c.operator_party.name + "，" + c.operator_party.address},
                           {"标称生产者", c.producer.name + "，" + c.producer.address},
                           {"电子商务平台、店铺", c.platform + "，" + c.shop_name},
                           {"事项", notice.payload.value("event_label", notice.kind)}};
  for (auto& r : field_rows(notice.payload.value("event", ""), notice.payload.value("fields", json::object()))) rows.push_back(r);
  rows.push_back({"依据", "重庆市产品质量监督抽查实施办法 第" + std::to_string(notice.article) + "条"});
  if (notice.payload.contains("rights")) rows.push_back({"权利", text_of(notice.payload["rights"])});
  // The deadlines the lifecycle keeps for the case, as computed with the holiday calendar (Art 75); one whose year's
  // holiday notice is not out yet says so and gives the range, as everywhere a deadline appears.
  auto due_text = [](const json& d) -> std::string {
    if (!d["due"].is_string()) return "届满日待节假日日历补全";
    const std::string due = d["due"].get<std::string>();
    if (!d.contains("due_latest") || !d["due_latest"].is_string()) return "届满 " + due;
    const std::string latest = d["due_latest"].get<std::string>();
    return "届满日暂定为 " + due + (latest == due ? "" : " 至 " + latest) + "（该年节假日安排公布后确定）";
  };
  std::string deadlines;
  for (const auto& d : view.deadlines) {
    if (d.value("status", "") != "open" || d.value("unit", "") != "days") continue;
    deadlines += (deadlines.empty() ? "" : "；") + d.value("kind", "") + "（第" + std::to_string(d.value("article", 0)) + "条）自 " + d.value("from", "") + " 起 " +
                 std::to_string(d.value("amount", 0)) + " 日，" + due_text(d);
  }
  if (!deadlines.empty()) rows.push_back({"期限", deadlines});
  rows.push_back({"收件方", to});
  documents::Document page;
  page.title = workflow::notice_label(notice.kind);
  page.subtitle = "（重庆市产品质量监督抽查实施办法 第" + std::to_string(notice.article) + "条）";
  page.case_number = c.number;
  page.rows = std::move(rows);
  page.organization = organization;
  page.generated = generated;
  return page;
}

json notice_document_json(const workflow::NoticeView& notice, const documents::Document& page) {
  return {{"title", page.title},
          {"subtitle", page.subtitle},
          {"case_number", page.case_number},
          {"notice", notice.id},
          {"kind", notice.kind},
          {"article", notice.article},
          {"rows", documents::rows_json(page.rows)},
          {"signatures", page.signatures},
          {"seal_label", page.seal_label},
          {"organization", page.organization},
          {"draft", page.draft},
          {"generated", format_iso8601_beijing(page.generated)},
          {"generated_shown", format_beijing(page.generated)}};
}

Result<std::optional<NoticeFiles>> stored_notice_files(store::Store& store, std::int64_t notice_id) {
  NETSAMPLE_ASSIGN(store::Statement known, store.db().prepare("SELECT pdf, pdf_sha256 FROM notice_documents WHERE notice_id = ?1"));
  known.bind(1, notice_id);
  NETSAMPLE_ASSIGN(bool found, known.step());
  if (!found) return std::optional<NoticeFiles>();
  NoticeFiles files{store.data_dir() / "notices" / known.text(0), {}, known.text(1)};
  files.json = files.pdf;
  files.json.replace_extension(".json");
  return std::optional<NoticeFiles>(files);
}

Result<NoticeFiles> notice_files(store::Store& store, const workflow::NoticeView& notice, const workflow::CaseView& view,
                                 const std::vector<Addressee>& addressees) {
  const fs::path dir = store.data_dir() / "notices";
  NETSAMPLE_ASSIGN(std::optional<NoticeFiles> known, stored_notice_files(store, notice.id));
  if (known) return *known;
  NETSAMPLE_ASSIGN(documents::Organization organization, documents::load_organization(store.data_dir()));
  const documents::Document page = notice_document(notice, view, addressees, organization.name.empty() ? view.record.organizer : organization.name, store.clock().now());
  std::error_code ec;
  fs::create_directories(dir, ec);
  const std::string stem = view.record.number + "-" + std::to_string(notice.id) + "-" + workflow::notice_label(notice.kind);
  NoticeFiles files{dir / (stem + ".pdf"), dir / (stem + ".json"), ""};
  // Rendered under names of this process's own, and put in place only by whoever records the document first:
  // two delivery workers may render the same notice at once, and the second must not replace the first's file
  // (its evidence hash) with one of another generation time.
  const std::string mine = ".render-" + std::to_string(::getpid()) + "-" + std::to_string(notice.id);
  const fs::path pdf_draft = dir / (mine + ".pdf"), json_draft = dir / (mine + ".json");
  NETSAMPLE_TRY(documents::render_pdf(page, organization.seal_image, pdf_draft));
  NETSAMPLE_TRY(write_file_atomic(json_draft, notice_document_json(notice, page).dump(2) + "\n"));
  bool recorded_by_another = false;
  Status written = store.write([&]() -> Status {
    NETSAMPLE_ASSIGN(std::optional<NoticeFiles> first, stored_notice_files(store, notice.id));
    if (first) {
      files = *first;
      recorded_by_another = true;
      return Status{};
    }
    fs::rename(pdf_draft, files.pdf, ec);
    if (!ec) fs::rename(json_draft, files.json, ec);
    if (ec) return io_error(files.pdf, "无法保存通知文书：" + ec.message());
    NETSAMPLE_ASSIGN(store::EvidenceItem pdf, store.add_evidence(view.id, view.record.number, files.pdf, "notice_document", "system:notices"));
    NETSAMPLE_ASSIGN(store::EvidenceItem json_item, store.add_evidence(view.id, view.record.number, files.json, "notice_document", "system:notices"));
    files.pdf_sha256 = pdf.sha256;
    NETSAMPLE_ASSIGN(store::Statement insert, store.db().prepare("INSERT INTO notice_documents (notice_id, pdf, pdf_sha256, json_sha256, created_utc_us) "
                                                                 "VALUES (?1, ?2, ?3, ?4, ?5)"));
    NETSAMPLE_TRY(insert.bind(1, notice.id).bind(2, files.pdf.filename().string()).bind(3, pdf.sha256).bind(4, json_item.sha256)
                      .bind(5, to_utc_us(store.clock().now())).run());
    return status_of(store.audit().append({"system:notices", "notice.document_written", view.record.number,
                                           {{"notice", notice.id}, {"pdf", files.pdf.filename().string()}, {"pdf_sha256", pdf.sha256}, {"json_sha256", json_item.sha256}}},
                                          store.clock().now()));
  });
  if (recorded_by_another || !written.ok()) {
    fs::remove(pdf_draft, ec);
    fs::remove(json_draft, ec);
  }
  NETSAMPLE_TRY(written);
  return files;
}

}  // namespace netsample::notices
