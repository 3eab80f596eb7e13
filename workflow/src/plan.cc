#include "netsample/workflow/plan.h"

#include <algorithm>
#include <map>

#include "netsample/spreadsheet/spreadsheet.h"

namespace netsample::workflow {
namespace {

using nlohmann::json;

std::string trim(std::string s) {
  const auto space = [](unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.back())) s.pop_back();
  size_t i = 0;
  while (i < s.size() && space(s[i])) ++i;
  s.erase(0, i);
  // A full-width space (U+3000) is how a Chinese input method pads a cell.
  while (s.starts_with("\u3000")) s.erase(0, 3);
  while (s.ends_with("\u3000")) s.resize(s.size() - 3);
  return s;
}

// A header as written: the label, the label marked required ("产品名称*"), or the field path.
const PlanColumn* column_for_header(const std::string& header) {
  std::string h = header;
  if (h.ends_with("*")) h.pop_back();
  if (h.ends_with("＊")) h.resize(h.size() - 3);
  for (const auto& c : plan_columns())
    if (c.header == h || c.field == h) return &c;
  return nullptr;
}

bool is_integer_text(const std::string& s) {
  std::string digits = s;
  if (digits.ends_with(".0")) digits.resize(digits.size() - 2);  // a spreadsheet's number 2 written as 2.0
  return !digits.empty() && digits.size() < 10 && std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<bool> boolean_of(const std::string& s) {
  for (const char* yes : {"是", "TRUE", "true", "1", "Y", "y", "yes"})
    if (s == yes) return true;
  for (const char* no : {"否", "FALSE", "false", "0", "N", "n", "no"})
    if (s == no) return false;
  return std::nullopt;
}

// The cell as the case file's value: numbers and booleans typed, choices by their value. A cell that is none
// of these stays text, and check_case names the rule it breaks.
json value_of(const PlanColumn& column, const std::string& cell) {
  if (column.type == "integer" && is_integer_text(cell)) return std::stoll(cell);
  if (column.type == "boolean") {
    if (auto b = boolean_of(cell)) return *b;
  }
  for (const auto& choice : column.choices)
    if (cell == choice.label || cell == choice.value) return choice.value;
  return cell;
}

void set_path(json& root, const std::string& path, json value) {
  json* at = &root;
  size_t start = 0;
  for (size_t dot; (dot = path.find('.', start)) != std::string::npos; start = dot + 1) at = &(*at)[path.substr(start, dot - start)];
  (*at)[path.substr(start)] = std::move(value);
}

}  // namespace

const std::vector<PlanColumn>& plan_columns() {
  static const std::vector<PlanColumn> columns = {
      {"任务编号", "number", "text", true, {}, 0, "本单位自定的唯一编号"},
      {"组织单位", "organizer", "text", false, {}, 5, "名册中的单位代码；空着即导入人所在单位"},
      {"组织层级", "level", "text", true, {{"city", "市级"}, {"district", "区县级"}}, 5, ""},
      {"抽查类型", "plan", "text", true, {{"routine", "日常"}, {"special", "专项"}}, 4, ""},
      {"产品名称", "product.name", "text", true, {}, 0, ""},
      {"商标", "product.trademark", "text", true, {}, 22, ""},
      {"规格型号", "product.model", "text", true, {}, 22, ""},
      {"产品类别", "product.category", "text", true, {}, 0, ""},
      {"执行标准", "product.standard", "text", true, {}, 22, ""},
      {"电子商务平台", "platform", "text", true, {}, 0, "平台代码或名称"},
      {"店铺名称", "shop.name", "text", true, {}, 0, ""},
      {"店铺网址", "shop.url", "url", false, {}, 0, "与商品链接至少填一个"},
      {"商品链接", "shop.listing_url", "url", false, {}, 0, "与店铺网址至少填一个"},
      {"经营者名称", "operator.name", "text", true, {}, 0, "电子商务经营者"},
      {"经营者地址", "operator.address", "text", true, {}, 0, ""},
      {"标称生产者", "producer.name", "text", true, {}, 22, ""},
      {"生产者地址", "producer.address", "text", true, {}, 0, ""},
      {"检验样品数量", "samples.inspection", "integer", true, {}, 30, "件"},
      {"备份样品数量", "samples.backup", "integer", true, {}, 30, "件"},
      {"抽样人员数", "samplers", "integer", false, {}, 20, "不少于 2 人，空着为 2"},
      {"现场检验", "onsite_testing", "boolean", false, {{"true", "是"}, {"false", "否"}}, 16, "抽样人员现场检验时填“是”"},
      {"第22条例外", "exception", "text", false, {{"follow_up", "不合格产品跟踪抽查"}, {"emergency", "应对突发事件"}}, 22,
       "下级在上级抽查后六个月内再抽时填写"},
      {"区县局", "district", "text", false, {}, 63, "处理结果的区县局（名册中的单位代码）"},
  };
  return columns;
}

json plan_columns_json(const PlatformRegistry& platforms) {
  json out = json::array();
  for (const auto& c : plan_columns()) {
    json choices = json::array();
    for (const auto& choice : c.choices) choices.push_back({{"value", choice.value}, {"label", choice.label}});
    if (c.field == "platform")
      for (const auto& p : platforms.all()) choices.push_back({{"value", p.code}, {"label", p.name}});
    out.push_back({{"header", c.header}, {"field", c.field}, {"type", c.type}, {"required", c.required}, {"choices", choices},
                   {"article", c.article ? json(c.article) : json(nullptr)}, {"hint", c.hint}});
  }
  return out;
}

std::string plan_template_csv() {
  std::string out = "\xEF\xBB\xBF";
  for (const auto& c : plan_columns()) out += (out.size() > 3 ? "," : "") + c.header + (c.required ? "*" : "");
  return out + "\r\n";
}

json PlanProblem::to_json() const {
  json out = error_to_json(error);
  out["row"] = row;
  out["column"] = column ? json(spreadsheet::column_name(*column)) : json(nullptr);
  out["header"] = header;
  out["value"] = value;
  return out;
}

std::string PlanProblem::describe() const {
  std::string where = "第 " + std::to_string(row) + " 行";
  if (column) where += " " + spreadsheet::column_name(*column) + " 列";
  if (!header.empty()) where += "（" + header + "）";
  std::string text = where + "：" + error.message;
  if (error.article) text += "（第" + std::to_string(error.article) + "条）";
  return text;
}

Result<PlanImport> import_plan(CaseRegistry& cases, const PlatformRegistry& platforms,
                               const std::vector<std::vector<std::string>>& rows, const PlanOptions& options) {
  PlanImport out;
  auto problem = [&](size_t row, std::optional<size_t> column, std::string header, std::string value, Error error) {
    out.problems.push_back({row, column, std::move(header), std::move(value), std::move(error)});
  };
  if (rows.empty()) {
    problem(1, std::nullopt, "", "", make_error(ErrorCode::missing_field, "plan", "计划表是空的：第 1 行应是列名"));
    return out;
  }

  // The header: which column holds which field.
  std::vector<const PlanColumn*> by_index(rows[0].size(), nullptr);
  std::map<std::string, size_t> index_of_field;
  for (size_t i = 0; i < rows[0].size(); ++i) {
    const std::string header = trim(rows[0][i]);
    if (header.empty()) continue;
    const PlanColumn* column = column_for_header(header);
    if (!column) {
      problem(1, i, header, header,
              make_error(ErrorCode::invalid_input, "plan", "不认识的列名；列名见模板（GET /api/cases/plan-template.csv）"));
    } else if (index_of_field.count(column->field)) {
      problem(1, i, header, header,
              make_error(ErrorCode::duplicate, column->field, "与 " + spreadsheet::column_name(index_of_field[column->field]) + " 列重复"));
    } else {
      by_index[i] = column;
      index_of_field[column->field] = i;
    }
  }
  for (const auto& c : plan_columns())
    if (c.required && !index_of_field.count(c.field))
      problem(1, std::nullopt, c.header, "", make_error(ErrorCode::missing_field, c.field, "缺少必填的列“" + c.header + "”"));
  if (!out.problems.empty()) return out;

  // The column a field's error belongs to: its own, or the first of its group ("product" → 产品名称).
  auto column_of = [&](const std::string& field) -> std::optional<size_t> {
    if (auto it = index_of_field.find(field); it != index_of_field.end()) return it->second;
    for (const auto& c : plan_columns())
      if (c.field.starts_with(field + ".") && index_of_field.count(c.field)) return index_of_field[c.field];
    return std::nullopt;
  };
  auto cell_problem = [&](size_t row_index, Error error) {
    const auto column = column_of(error.field);
    // A cell is text: say what to write rather than which JSON type was expected.
    if (error.code == ErrorCode::wrong_type && column && by_index[*column]) {
      if (by_index[*column]->type == "integer") error.message = "须填写整数（如 2）";
      if (by_index[*column]->type == "boolean") error.message = "须填写“是”或“否”";
    }
    std::string header = column ? trim(rows[0][*column]) : "";
    if (!column) {  // the plan has no column for it: name the column to add
      for (const auto& c : plan_columns())
        if (c.field == error.field || c.field.starts_with(error.field + ".")) {
          header = c.header;
          error.message = "计划表没有“" + c.header + "”列：" + error.message;
          break;
        }
    }
    const std::string value = column && *column < rows[row_index].size() ? rows[row_index][*column] : "";
    problem(row_index + 1, column, header, value, std::move(error));
  };

  std::vector<CaseRequest> requests;
  std::vector<size_t> request_rows;
  for (size_t r = 1; r < rows.size(); ++r) {
    json file = json::object();
    bool blank = true;
    for (size_t i = 0; i < rows[r].size() && i < by_index.size(); ++i) {
      const std::string cell = trim(rows[r][i]);
      if (cell.empty() || !by_index[i]) continue;
      blank = false;
      set_path(file, by_index[i]->field, value_of(*by_index[i], cell));
    }
    if (blank) continue;  // empty rows between cases are how people group a plan
    for (size_t i = by_index.size(); i < rows[r].size(); ++i)
      if (!trim(rows[r][i]).empty())
        problem(r + 1, i, "", rows[r][i], make_error(ErrorCode::invalid_input, "plan", "此列没有列名（第 1 行为空）"));
    if (!file.contains("organizer") && options.default_organizer) file["organizer"] = *options.default_organizer;
    CaseCheck check = check_case(file, platforms);
    for (auto& error : check.errors) cell_problem(r, std::move(error));
    if (!check.errors.empty()) continue;
    if (options.may_create) {
      if (Status allowed = options.may_create(check.request.record); !allowed.ok()) {
        cell_problem(r, allowed.error());
        continue;
      }
    }
    requests.push_back(std::move(check.request));
    request_rows.push_back(r);
  }
  if (requests.empty() && out.problems.empty()) {
    problem(2, std::nullopt, "", "", make_error(ErrorCode::missing_field, "plan", "计划表中没有任务行（第 1 行之后都是空行）"));
    return out;
  }

  // Against the database and each other (case numbers, the Art 22 window, the roster): rows that passed the
  // checks above are tried in one transaction, kept only when every row of the plan is good.
  const bool keep = out.problems.empty() && !options.dry_run;
  NETSAMPLE_ASSIGN(std::vector<Result<CaseView>> results, cases.create_all(requests, options.actor, keep));
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].ok()) cell_problem(request_rows[i], results[i].error());
  }
  std::stable_sort(out.problems.begin(), out.problems.end(), [](const PlanProblem& a, const PlanProblem& b) { return a.row < b.row; });
  if (!out.problems.empty()) return out;
  for (auto& result : results) (keep ? out.created : out.checked).push_back(std::move(result).value());
  return out;
}

}  // namespace netsample::workflow
