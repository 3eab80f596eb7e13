#include "netsample/core/charset.h"
#include "netsample/core/file_io.h"
#include "netsample/spreadsheet/spreadsheet.h"

namespace netsample::spreadsheet {
namespace {

// GB18030 is a superset of GBK and GB2312: one conversion reads all three.
Result<std::string> gb18030_to_utf8(std::string_view bytes) {
  auto converted = to_utf8(bytes, "GB18030");
  if (converted.ok()) return converted;
  return make_error(ErrorCode::invalid_input, "file",
                    "文件既不是 UTF-8 也不是 GB18030/GBK 编码的文本（" + converted.error().message + "）；请另存为“CSV UTF-8”或 XLSX");
}

}  // namespace

const std::string& Table::cell(size_t row, size_t column) const {
  static const std::string empty;
  if (row >= rows.size() || column >= rows[row].size()) return empty;
  return rows[row][column];
}

std::string column_name(size_t index) {
  std::string name;
  for (size_t n = index + 1; n > 0; n = (n - 1) / 26) name.insert(name.begin(), static_cast<char>('A' + (n - 1) % 26));
  return name;
}

Result<Table> read_csv(std::string_view bytes) {
  if (bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF"))
    return make_error(ErrorCode::invalid_input, "file", "文件是 UTF-16 编码（“Unicode 文本”）；请另存为“CSV UTF-8”或 XLSX");
  if (bytes.starts_with("\xEF\xBB\xBF")) bytes.remove_prefix(3);
  std::string converted;
  if (!is_utf8(bytes)) {
    NETSAMPLE_ASSIGN(converted, gb18030_to_utf8(bytes));
    bytes = converted;
  }

  Table table;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, field_started = false;
  size_t line = 1, quote_line = 0;
  auto end_field = [&] {
    row.push_back(std::move(field));
    field.clear();
    field_started = false;
  };
  auto end_row = [&] {
    end_field();
    table.rows.push_back(std::move(row));
    row.clear();
  };
  for (size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (quoted) {
      if (c == '"' && i + 1 < bytes.size() && bytes[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        field += c;
      }
    } else if (c == '"' && !field_started) {
      quoted = field_started = true;
      quote_line = line;
    } else if (c == ',') {
      end_field();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < bytes.size() && bytes[i + 1] == '\n') ++i;
      end_row();
      ++line;
    } else {
      field += c;
      field_started = true;
    }
  }
  if (quoted)
    return make_error(ErrorCode::invalid_input, "file",
                      "第 " + std::to_string(quote_line) + " 行有一个引号（\"）开始的单元格直到文件末尾都没有结束");
  if (field_started || !row.empty()) end_row();
  return table;
}

Result<Table> read_table(const std::filesystem::path& file) {
  NETSAMPLE_ASSIGN(std::string bytes, read_file(file));
  if (bytes.starts_with("PK\x03\x04")) return read_xlsx(file);
  if (bytes.starts_with("\xD0\xCF\x11\xE0"))
    return make_error(ErrorCode::invalid_input, "file", "这是旧版 Excel 文件（.xls）；请另存为 XLSX 或 CSV");
  return read_csv(bytes);
}

}  // namespace netsample::spreadsheet
