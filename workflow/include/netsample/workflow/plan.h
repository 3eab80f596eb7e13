// A sampling plan (抽查计划) of many cases, as organizers keep it in a spreadsheet: the first row names the
// columns (the labels of plan_columns(), or the case file's field paths), every following row is one case.
// Each row goes through the same checks as a case file (check_case) and the same creation (Art 20 draw, Art 22
// repeat, roster, district); every problem is named by row and column, and a plan with any problem writes
// nothing: all its cases are created in one transaction or none is.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/workflow/cases.h"
#include "netsample/workflow/platforms.h"

namespace netsample::workflow {

struct PlanChoice {
  std::string value;  // what the case file holds: "city"
  std::string label;  // what a person writes: "市级"
};

struct PlanColumn {
  std::string header;  // 产品名称
  std::string field;   // product.name: the case file's path
  std::string type;    // "text" | "integer" | "boolean" | "url"
  bool required = false;
  std::vector<PlanChoice> choices;  // empty: free text
  int article = 0;                  // where the regulation sets the field's rule
  std::string hint;                 // one line for a form
};

// The columns in the order of a plan's template (also the fields of the web UI's case form).
const std::vector<PlanColumn>& plan_columns();
// With the platforms of the registry as the platform column's choices.
nlohmann::json plan_columns_json(const PlatformRegistry& platforms);
// The template's header row as CSV (with a UTF-8 BOM, so that Excel opens it as UTF-8).
std::string plan_template_csv();

struct PlanProblem {
  size_t row = 0;                     // as the spreadsheet shows it: the header is row 1
  std::optional<size_t> column;       // 0 = A; nullopt when the problem is the whole row's or a missing column
  std::string header;                 // the column's header as written in the plan
  std::string value;                  // the cell as written
  Error error;
  nlohmann::json to_json() const;     // {row, column: "F", header, value, code, field, message, article}
  std::string describe() const;       // 第 3 行 F 列（产品名称）：…
};

struct PlanImport {
  std::vector<CaseView> created;     // empty when there are problems or on a dry run
  std::vector<CaseView> checked;     // a dry run: what would have been created (samplers drawn for the check only)
  std::vector<PlanProblem> problems;
};

struct PlanOptions {
  std::string actor;
  // Used for a row that leaves the organizer empty (the importer's own unit).
  std::optional<std::string> default_organizer;
  // Whether the importer may create this case (the service: an organizer of that unit); its error is the row's.
  std::function<Status(const CaseRecord&)> may_create;
  bool dry_run = false;  // check everything against the database, keep nothing
};

// rows[0] is the header. Problems are reported, not returned as an error: only a failing database is an error.
Result<PlanImport> import_plan(CaseRegistry& cases, const PlatformRegistry& platforms,
                               const std::vector<std::vector<std::string>>& rows, const PlanOptions& options);

}  // namespace netsample::workflow
