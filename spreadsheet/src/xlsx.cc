#include <libxml/parser.h>
#include <libxml/tree.h>

#include <cstdlib>
#include <memory>
#include <optional>

#include "netsample/spreadsheet/spreadsheet.h"
#include "netsample/zip/zip.h"

namespace netsample::spreadsheet {
namespace {

// A workbook part larger than this is not a sampling plan (and may be a ZIP bomb): refused before inflating.
constexpr std::uint64_t kMaxPartBytes = 64ull << 20;
constexpr size_t kMaxColumns = 200;
constexpr size_t kMaxRows = 100'000;

struct DocFree {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
using Document = std::unique_ptr<xmlDoc, DocFree>;

struct XmlFree {
  void operator()(xmlChar* text) const { xmlFree(text); }
};

bool named(const xmlNode* node, const char* name) {
  return node->type == XML_ELEMENT_NODE && xmlStrcmp(node->name, reinterpret_cast<const xmlChar*>(name)) == 0;
}

std::string attribute(const xmlNode* node, const char* name) {
  // Attributes are matched by local name: r:id and id are told apart by the caller's choice of name only where
  // the part has both (it does not in the parts read here).
  std::unique_ptr<xmlChar, XmlFree> value(xmlGetProp(node, reinterpret_cast<const xmlChar*>(name)));
  return value ? reinterpret_cast<const char*>(value.get()) : "";
}

std::string text_of(const xmlNode* node) {
  std::unique_ptr<xmlChar, XmlFree> value(xmlNodeGetContent(node));
  return value ? reinterpret_cast<const char*>(value.get()) : "";
}

const xmlNode* child(const xmlNode* node, const char* name) {
  for (const xmlNode* c = node ? node->children : nullptr; c; c = c->next)
    if (named(c, name)) return c;
  return nullptr;
}

Result<Document> parse_part(zip::ZipReader& archive, const std::string& name) {
  std::uint64_t size = 0;
  bool found = false;
  for (const auto& entry : archive.entries())
    if (entry.name == name) size = entry.size, found = true;
  if (!found) return make_error(ErrorCode::invalid_input, "file", "不是有效的 XLSX 文件：缺少 " + name);
  if (size > kMaxPartBytes) return make_error(ErrorCode::too_large, "file", name + " 超过 64 MiB，不像是一份抽查计划");
  NETSAMPLE_ASSIGN(std::string bytes, archive.read(name));
  // No entity substitution and no network: the file comes from a browser.
  xmlDoc* doc = xmlReadMemory(bytes.data(), static_cast<int>(bytes.size()), name.c_str(), nullptr,
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (!doc) return make_error(ErrorCode::invalid_input, "file", "不是有效的 XLSX 文件：" + name + " 不是正确的 XML");
  return Document(doc);
}

// The text of a shared or inline string: its runs joined, the phonetic guides (rPh) left out.
void append_runs(const xmlNode* node, std::string& out) {
  for (const xmlNode* c = node->children; c; c = c->next) {
    if (named(c, "rPh")) continue;
    if (named(c, "t")) out += text_of(c);
    else if (c->type == XML_ELEMENT_NODE) append_runs(c, out);
  }
}

// "BC12" → column 54 (0-based) and row 12; nullopt when it is not a cell reference.
std::optional<std::pair<size_t, size_t>> parse_reference(const std::string& ref) {
  size_t i = 0, column = 0, row = 0;
  while (i < ref.size() && ref[i] >= 'A' && ref[i] <= 'Z' && i < 3) column = column * 26 + (ref[i++] - 'A' + 1);
  if (column == 0 || i == ref.size()) return std::nullopt;
  for (; i < ref.size(); ++i) {
    if (ref[i] < '0' || ref[i] > '9' || row > kMaxRows) return std::nullopt;
    row = row * 10 + (ref[i] - '0');
  }
  if (row == 0) return std::nullopt;
  return std::pair{column - 1, row};
}

// The first sheet's part name, through the workbook and its relationships.
Result<std::string> first_sheet(zip::ZipReader& archive) {
  NETSAMPLE_ASSIGN(Document workbook, parse_part(archive, "xl/workbook.xml"));
  const xmlNode* sheet = child(child(xmlDocGetRootElement(workbook.get()), "sheets"), "sheet");
  if (!sheet) return make_error(ErrorCode::invalid_input, "file", "XLSX 文件中没有工作表");
  const std::string id = attribute(sheet, "id");
  NETSAMPLE_ASSIGN(Document relations, parse_part(archive, "xl/_rels/workbook.xml.rels"));
  for (const xmlNode* r = xmlDocGetRootElement(relations.get())->children; r; r = r->next) {
    if (!named(r, "Relationship") || attribute(r, "Id") != id) continue;
    const std::string target = attribute(r, "Target");
    if (target.starts_with("/")) return target.substr(1);
    return "xl/" + target;
  }
  return make_error(ErrorCode::invalid_input, "file", "不是有效的 XLSX 文件：找不到第一个工作表（" + id + "）");
}

Result<std::vector<std::string>> shared_strings(zip::ZipReader& archive) {
  std::vector<std::string> strings;
  if (!archive.contains("xl/sharedStrings.xml")) return strings;  // a workbook of numbers only
  NETSAMPLE_ASSIGN(Document doc, parse_part(archive, "xl/sharedStrings.xml"));
  for (const xmlNode* si = xmlDocGetRootElement(doc.get())->children; si; si = si->next) {
    if (!named(si, "si")) continue;
    std::string text;
    append_runs(si, text);
    strings.push_back(std::move(text));
  }
  return strings;
}

}  // namespace

Result<Table> read_xlsx(const std::filesystem::path& file) {
  auto opened = zip::ZipReader::open(file);
  if (!opened.ok()) return make_error(ErrorCode::invalid_input, "file", "不是有效的 XLSX 文件：" + opened.error().message);
  zip::ZipReader archive = std::move(opened).value();
  NETSAMPLE_ASSIGN(std::vector<std::string> strings, shared_strings(archive));
  NETSAMPLE_ASSIGN(std::string sheet_part, first_sheet(archive));
  NETSAMPLE_ASSIGN(Document sheet, parse_part(archive, sheet_part));

  Table table;
  size_t next_row = 1;
  for (const xmlNode* row = child(child(xmlDocGetRootElement(sheet.get()), "sheetData"), "row"); row; row = row->next) {
    if (!named(row, "row")) continue;
    const std::string r = attribute(row, "r");
    const size_t row_number = r.empty() ? next_row : std::strtoul(r.c_str(), nullptr, 10);
    if (row_number == 0 || row_number > kMaxRows || row_number < next_row)
      return make_error(ErrorCode::invalid_input, "file", "XLSX 工作表的行号无效或超过 " + std::to_string(kMaxRows) + " 行");
    next_row = row_number + 1;
    if (table.rows.size() < row_number) table.rows.resize(row_number);
    std::vector<std::string>& cells = table.rows[row_number - 1];
    size_t next_column = 0;
    for (const xmlNode* c = row->children; c; c = c->next) {
      if (!named(c, "c")) continue;
      size_t column = next_column;
      if (const std::string ref = attribute(c, "r"); !ref.empty()) {
        const auto place = parse_reference(ref);
        if (!place || place->second != row_number)
          return make_error(ErrorCode::invalid_input, "file", "XLSX 工作表中的单元格引用 \"" + ref + "\" 无效");
        column = place->first;
      }
      if (column >= kMaxColumns)
        return make_error(ErrorCode::invalid_input, "file", "XLSX 工作表超过 " + std::to_string(kMaxColumns) + " 列");
      next_column = column + 1;
      const std::string type = attribute(c, "t");
      std::string value;
      if (type == "inlineStr") {
        if (const xmlNode* is = child(c, "is")) append_runs(is, value);
      } else if (const xmlNode* v = child(c, "v")) {
        value = text_of(v);
        if (type == "s") {
          const size_t index = std::strtoul(value.c_str(), nullptr, 10);
          if (index >= strings.size())
            return make_error(ErrorCode::invalid_input, "file", "XLSX 文件损坏：单元格引用了不存在的共享字符串 " + value);
          value = strings[index];
        } else if (type == "b") {
          value = value == "1" ? "TRUE" : "FALSE";
        }
      }
      if (cells.size() <= column) cells.resize(column + 1);
      cells[column] = std::move(value);
    }
  }
  return table;
}

}  // namespace netsample::spreadsheet
