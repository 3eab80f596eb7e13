// Tables from the spreadsheets organizers keep their sampling plans in: CSV as Excel and WPS save it here
// (UTF-8 with or without a BOM, or GB18030/GBK — "CSV (逗号分隔)" on a Chinese Windows) and XLSX (Office Open
// XML, its first worksheet). Every cell comes out as text, so a reader names a bad value by row and column
// exactly as the spreadsheet program shows them.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "netsample/core/error.h"

namespace netsample::spreadsheet {

struct Table {
  // rows[i][j] is the cell in row i + 1, column j (0 = A). A row may end before the last column: cells left
  // out are empty.
  std::vector<std::vector<std::string>> rows;
  // "" for a cell outside the table.
  const std::string& cell(size_t row, size_t column) const;
};

// RFC 4180: fields separated by commas, quoted with '"' (doubled inside), rows ended by CRLF or LF; a quoted
// field may span lines. Errors name the row ("第 N 行").
Result<Table> read_csv(std::string_view bytes);
// The first worksheet of the workbook: shared and inline strings, numbers as written in the file, booleans as
// TRUE/FALSE, formulas by their cached result.
Result<Table> read_xlsx(const std::filesystem::path& file);
// By content: a ZIP (an XLSX file) is read as XLSX, anything else as CSV.
Result<Table> read_table(const std::filesystem::path& file);

// The column's name as spreadsheet programs show it: 0 → "A", 25 → "Z", 26 → "AA".
std::string column_name(size_t index);

}  // namespace netsample::spreadsheet
