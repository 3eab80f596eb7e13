// A business licence picture's OCR text read by its printed labels (the State Administration for Market
// Regulation's licence layout: 统一社会信用代码 at the top, then 名称, 类型, 住所 or 经营场所, 法定代表人 or
// 经营者, 注册资本, 成立日期, 营业期限, 经营范围).
#include <algorithm>
#include <cctype>
#include <sstream>

#include "netsample/extract/extract.h"

namespace netsample::extract {
namespace {

// Labels in the order they are tried (the longer first where one ends another), with the field they give;
// an empty field: a label that only ends the value before it.
struct Label {
  std::string_view text, field;
};
constexpr Label kLabels[] = {
    {"统一社会信用代码", "credit_code"}, {"主要经营场所", "operator_address"}, {"经营场所", "operator_address"},
    {"住所", "operator_address"},        {"名称", "operator_company"},       {"执行事务合伙人", "legal_representative"},
    {"法定代表人", "legal_representative"}, {"经营者", "legal_representative"}, {"负责人", "legal_representative"},
    {"类型", ""}, {"组成形式", ""}, {"注册资本", ""}, {"出资额", ""}, {"成立日期", ""}, {"注册日期", ""},
    {"营业期限", ""}, {"合伙期限", ""}, {"经营范围", ""}, {"登记机关", ""},
};

bool is_space_at(std::string_view s, size_t i, size_t& width) {
  if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r') return (width = 1), true;
  if (s.substr(i, 3) == "\xE3\x80\x80") return (width = 3), true;  // U+3000 ideographic space
  return false;
}

// What OCR puts into the wide gaps of a licence's labels ("名 ”称"): spaces and stray quotes or stops.
bool is_gap_at(std::string_view s, size_t i, size_t& width) {
  if (is_space_at(s, i, width)) return true;
  if (s[i] == '"' || s[i] == '\'' || s[i] == '.' || s[i] == ':') return (width = 1), true;
  for (std::string_view mark : {"“", "”", "‘", "’", "。", "：", "，", "、"})
    if (s.substr(i, mark.size()) == mark) return (width = mark.size()), true;
  return false;
}

std::string without_gaps(std::string_view s) {
  std::string out;
  size_t w = 0;
  for (size_t i = 0; i < s.size(); ++i)
    if (!is_gap_at(s, i, w)) out += s[i];
    else i += w - 1;
  return out;
}

// The line after `label`'s characters (gaps between them allowed), the gap after it dropped; spaces are kept
// only between two ASCII characters or between ASCII and a CJK character ("大道 88 号"), since OCR puts a space
// between every pair of Chinese characters.
std::string value_after(std::string_view line, std::string_view label) {
  size_t i = 0, matched = 0, w = 0;
  while (i < line.size() && matched < label.size()) {
    if (is_gap_at(line, i, w)) { i += w; continue; }
    if (line[i] != label[matched]) return "";
    ++i, ++matched;
  }
  while (i < line.size() && is_gap_at(line, i, w)) i += w;  // the gap between label and value
  std::string rest(line.substr(i));
  std::string out;
  for (size_t k = 0; k < rest.size(); ++k) {
    if (is_space_at(rest, k, w)) {
      // The characters either side: keep one space only when one of them is ASCII.
      size_t next = k + w;
      while (next < rest.size() && is_space_at(rest, next, w)) next += w;
      const bool before_ascii = !out.empty() && static_cast<unsigned char>(out.back()) < 0x80;
      const bool after_ascii = next < rest.size() && static_cast<unsigned char>(rest[next]) < 0x80;
      if (!out.empty() && next < rest.size() && (before_ascii || after_ascii)) out += ' ';
      k = next - 1;
      continue;
    }
    out += rest[k];
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Names and addresses registered in China write brackets full-width; OCR returns (, 〈 or 《 for them.
std::string full_width_brackets(std::string s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    bool replaced = false;
    for (std::string_view open : {"(", "〈", "《"})
      if (s.compare(i, open.size(), open) == 0) out += "（", i += open.size(), replaced = true;
    if (!replaced)
      for (std::string_view close : {")", "〉", "》"})
        if (s.compare(i, close.size(), close) == 0) out += "）", i += close.size(), replaced = true;
    if (!replaced) out += s[i++];
  }
  // "公司 （演示）": no space before a full-width bracket.
  for (size_t at; (at = out.find(" （")) != std::string::npos;) out.erase(at, 1);
  for (size_t at; (at = out.find("） ")) != std::string::npos;) out.erase(at + 3, 1);
  return out;
}

const Label* label_of(std::string_view line) {
  const std::string compact = without_gaps(line);
  for (const Label& l : kLabels)
    if (compact.rfind(l.text, 0) == 0) return &l;
  return nullptr;
}

// Runs of code characters (letters and digits, O and I read as 0 and 1: GB 32100 uses neither) of 15-20.
std::vector<std::string> code_candidates(std::string_view text) {
  std::vector<std::string> out;
  std::string run;
  auto flush = [&] {
    if (run.size() >= 15 && run.size() <= 20) out.push_back(run);
    run.clear();
  };
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) && u < 0x80) {
      char up = static_cast<char>(std::toupper(u));
      if (up == 'O') up = '0';
      if (up == 'I') up = '1';
      run += up;
    } else if (c != ' ') {
      flush();
    }
  }
  flush();
  return out;
}

}  // namespace

LicenceText read_licence_text(std::string_view ocr_text) {
  std::vector<std::string> lines;
  std::istringstream in{std::string(ocr_text)};
  for (std::string line; std::getline(in, line);)
    if (!without_gaps(line).empty()) lines.push_back(line);

  LicenceText out;
  auto has = [&](std::string_view field) {
    return std::any_of(out.fields.begin(), out.fields.end(), [&](const auto& f) { return f.first == field; });
  };
  std::optional<size_t> code_line;
  for (size_t i = 0; i < lines.size(); ++i) {
    const Label* label = label_of(lines[i]);
    if (!label || label->field.empty() || has(label->field)) continue;
    if (label->field == "credit_code") {
      code_line = i;
      continue;
    }
    std::string value = value_after(lines[i], label->text);
    // An address wraps onto the next line when it is long; that line carries no label.
    if (label->field == "operator_address" && i + 1 < lines.size() && !label_of(lines[i + 1]) && !value.empty()) {
      const std::string more = value_after(lines[i + 1], "");
      const bool ascii_join = static_cast<unsigned char>(value.back()) < 0x80 || static_cast<unsigned char>(more.front()) < 0x80;
      if (!more.empty() && code_candidates(more).empty()) value += (ascii_join ? " " : "") + more;
    }
    if (label->field == "operator_company" || label->field == "operator_address") value = full_width_brackets(value);
    if (!value.empty()) out.fields.push_back({std::string(label->field), value});
  }

  // The credit code: on its label's line or the next, else anywhere; the first whose check digit holds.
  std::vector<std::string> candidates;
  if (code_line) {
    for (size_t i = *code_line; i < std::min(lines.size(), *code_line + 2); ++i)
      for (auto& c : code_candidates(value_after(lines[i], i == *code_line ? "统一社会信用代码" : ""))) candidates.push_back(c);
  }
  for (auto& c : code_candidates(ocr_text)) candidates.push_back(c);
  for (const auto& c : candidates)
    if (credit_code_valid(c)) {
      out.fields.insert(out.fields.begin(), {"credit_code", c});
      break;
    }
  if (!has("credit_code")) {
    if (!candidates.empty())
      out.problems.push_back("营业执照图片上的统一社会信用代码识别为 " + candidates.front() + "，校验码不符（GB 32100-2015），按无法识别处理");
    else
      out.problems.push_back("营业执照图片上没有识别出统一社会信用代码");
  }
  return out;
}

void fill_from_licence(Extraction& extraction, const ImageToRead& image, const LicenceText& text) {
  for (const auto& field : image.fields) {
    auto missing = std::find(extraction.missing.begin(), extraction.missing.end(), field);
    if (missing == extraction.missing.end()) continue;
    auto read = std::find_if(text.fields.begin(), text.fields.end(), [&](const auto& f) { return f.first == field; });
    if (read == text.fields.end()) continue;
    extraction.fields.push_back({field, FieldValue{read->second, "ocr:" + image.url}});
    extraction.missing.erase(missing);
  }
  // Its problems are all about the credit code: said only where the picture was to give it.
  if (std::find(image.fields.begin(), image.fields.end(), "credit_code") != image.fields.end())
    for (const auto& p : text.problems) extraction.problems.push_back(p);
}

}  // namespace netsample::extract
