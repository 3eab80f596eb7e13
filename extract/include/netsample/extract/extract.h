// Fields read from a captured page (issue #17): the page's text decoded for reading only (the bytes stay as
// received in the WARC), then a platform adapter's rules. Adapters are data (data/adapters/*.json, overridable
// from <data>/adapters/): adding a platform needs no rebuild. A rule is an XPath over the HTML as libxml2's
// HTML parser reads it (broken markup recovered), a path into data a page keeps in an inline script
// (`window.rawData = {...}`, often not strict JSON), or a regular expression as a last resort. A field no rule
// finds is reported missing, never guessed.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"

namespace netsample::extract {

struct DecodedPage {
  std::string text;            // UTF-8
  std::string charset;         // what it was decoded from: UTF-8, GB18030, UTF-16LE, ...
  std::string charset_source;  // bom | http | meta | default | content (the declaration was wrong)
  std::string problem;         // e.g. the declared charset did not fit the bytes
};

// `body` as its Content-Encoding made it, undone: gzip (x-gzip) and deflate inflated (a 200 MB ceiling against
// decompression bombs), anything else (none, identity) as it is. For bytes that are no page, a picture.
Result<std::string> decode_content(std::string_view body, std::string_view content_encoding);

// `body`: the payload as received (a gzip or deflate content encoding is undone here); `content_type`: the
// response's header. The charset comes from a BOM, else the header, else a <meta> in the first 4 KiB, else
// UTF-8; GBK and GB2312 are read as GB18030 (their superset). Bytes that do not fit the declaration are read
// as the other common encoding when that fits, and `problem` says so.
Result<DecodedPage> decode_page(std::string_view body, std::string_view content_type, std::string_view content_encoding = "");

struct Rule {
  std::string xpath;           // an XPath expression: its string value, whitespace collapsed
  std::string script;          // the variable an inline script assigns (window.rawData)
  std::string path;            // with script: a dotted path into its object (goods.title, skus.0.price)
  std::string regex;           // ECMAScript; the first group (or the whole match)
  std::string image;           // an XPath to a picture's address (//img[@id='licence']/@src), read by OCR
  std::string read = "licence";  // with image: what the picture is (a business licence: 名称, 统一社会信用代码, 住所)
};

struct PageRules {
  std::string kind;            // listing | licence | search | shop
  std::string url_pattern;     // ECMAScript regex on the URL's path and query
  std::vector<std::pair<std::string, std::vector<Rule>>> fields;  // in order; the first rule that finds wins
};

// A platform's search page: where it is and how its result list is read. Each result is an element found by
// `items` (XPath) with its fields as XPaths relative to it, or an entry of the array a script's object keeps at
// `path` with its fields as dotted paths inside the entry.
struct SearchRules {
  std::string url;     // "/search?q={query}" (resolved against a base) or absolute; {query} percent-encoded
  std::string items;   // XPath of each result
  std::string script;  // or: the variable an inline script assigns, and
  std::string path;    //     the dotted path of the result array in it
  std::vector<std::pair<std::string, std::string>> fields;  // title, url, price, shop_name → XPath or dotted path
};

struct Adapter {
  std::string platform;        // a platforms.json code
  std::string name;
  std::vector<PageRules> pages;
  std::optional<SearchRules> search;
};

class Adapters {
 public:
  // The built-in adapters overlaid with <data_dir>/adapters/*.json (a file per platform; same platform: replaced).
  static Result<Adapters> load(const std::optional<std::filesystem::path>& data_dir);
  // Parses one adapter file; errors name the file and the field.
  static Result<Adapter> parse(std::string_view json_text, std::string_view source);
  const Adapter* find(std::string_view platform) const;
  const std::vector<Adapter>& all() const { return adapters_; }

 private:
  std::vector<Adapter> adapters_;
};

struct FieldValue {
  std::string value;
  std::string rule;  // which rule found it: "xpath://h1[@id='title']"
};

// A picture the page shows its data in (a shop's business licence, E-Commerce Law art 15): the fields waiting
// on it stay missing until its text is read (fill_from_licence).
struct ImageToRead {
  std::string url;                  // absolute, resolved against the page's address
  std::string read;                 // licence
  std::vector<std::string> fields;  // the missing fields it may give
};

struct Extraction {
  std::string platform, page_kind;
  std::vector<std::pair<std::string, FieldValue>> fields;  // found
  std::vector<std::string> missing;                         // the page kind's fields no rule found
  std::vector<std::string> problems;                        // e.g. a credit code whose check digit fails
  std::vector<ImageToRead> images;                          // pictures to read for some of the missing fields
  nlohmann::json to_json() const;
};

// The page kind whose pattern matches the URL's path (nullopt page_kind → an error naming the URL).
Result<Extraction> extract(const Adapter& adapter, const std::string& url, const DecodedPage& page);

// The page on screen read for a purchase step (Art 35): search ← a "search_results" page, licence ← "licence",
// product_page ← "listing", order ← "order", payment ← "payment", chat ← "chat". Errors: a step no page shows
// (the time check), a page the adapter does not know, or a page of another kind (naming what it is and what the
// step needs). The fields keep the page kind's names until name_as_step (after any picture was read).
Result<Extraction> read_step(const Adapter& adapter, const std::string& step, const std::string& url, const DecodedPage& page);
// The fields (found and missing) named as the purchase session names them (licence: operator_company →
// operator_name, credit_code → licence_number, operator_address → address), and the page's address as the step's
// address field (search: results_url; licence, product_page: url).
void name_as_step(const std::string& step, const std::string& url, Extraction& extraction);

// What a business licence picture says, from its OCR text: 名称 → operator_company, 统一社会信用代码 →
// credit_code, 住所 / 经营场所 / 主要经营场所 → operator_address, 法定代表人 / 经营者 / 负责人 / 执行事务合伙人 →
// legal_representative. OCR spaces between characters are dropped; a credit code is taken only when its check
// digit holds (the letters GB 32100 never uses, O and I, read as 0 and 1 first); a code-like run that fails
// is a problem, and the field stays unread.
struct LicenceText {
  std::vector<std::pair<std::string, std::string>> fields;
  std::vector<std::string> problems;
};
LicenceText read_licence_text(std::string_view ocr_text);

// Moves the fields `image` was to give from missing to found (rule "ocr:" + its address) where the licence's
// text has them; its problems join the extraction's.
void fill_from_licence(Extraction& extraction, const ImageToRead& image, const LicenceText& text);

// A search result: its fields as read (url made absolute against the search page's address).
struct Candidate {
  std::vector<std::pair<std::string, std::string>> fields;
  nlohmann::json to_json() const;
};
// The search page's address for `query` (error: the adapter has no search rules).
Result<std::string> search_url(const Adapter& adapter, const std::string& base, const std::string& query);
// The results a search page lists, in its order; an empty list when it lists none.
Result<std::vector<Candidate>> read_search(const Adapter& adapter, const std::string& page_url, const DecodedPage& page);

// The organizer's region (Art 34): an administrative division code (GB/T 2260) and its name as addresses write it.
struct Region {
  std::string code = "500000";  // Chongqing
  std::string name = "重庆";
};

// A product category under production licensing or compulsory certification (Art 24(3)), as data
// (data/regulated_categories.json, replaced by <data>/regulated_categories.json).
struct RegulatedCategory {
  std::string name;
  std::string needs;                  // ccc | licence | ccc_or_licence
  std::vector<std::string> keywords;  // matched in the title, category and description
};
Result<std::vector<RegulatedCategory>> load_regulated_categories(const std::optional<std::filesystem::path>& data_dir);

// One check of what was read, with its reason in words and the article it comes from.
struct Check {
  int article = 0;
  std::string result;  // pass | fail | sign (for the sampler to look at; the software decides nothing) | unknown
  std::string reason;
  nlohmann::json to_json() const;
};

// What the fields read so far say before a sample is bought:
// - Art 34: the operator (by the division code in its credit code, characters 3-8, else its address) or the
//   nominal producer (its address) is in the region; unknown when neither can be told.
// - Art 25(5): 试制 / 处理 / 样品 in the title or description (the clause is written for sampling at the producer:
//   online it is a sign for the organizer, not a refusal).
// - Art 24(2): no Chinese producer name or address shown: a sign for the sampler.
// - Art 24(3): a listing whose product is in a regulated category and that shows no CCC certificate number
//   (16 digits) or production licence number (XKnn-nnn-nnnnn) in its `certificate` field: a sign.
std::vector<Check> check_fields(const std::vector<std::pair<std::string, FieldValue>>& fields, const Region& region,
                                const std::vector<RegulatedCategory>& regulated = {});
// Art 24(5): a licence page from which neither the operator's name nor a valid credit code could be read: a
// sign (the shop may show no licence at all). nullopt for other pages or when either was read.
std::optional<Check> check_licence_page(const Extraction& extraction);

// GB 32100-2015: an 18-character unified social credit code with a valid check digit.
bool credit_code_valid(std::string_view code);
// A JavaScript object literal as written in pages (single quotes, unquoted keys, trailing commas, comments) as
// JSON; nullopt when it cannot be read.
std::optional<nlohmann::json> parse_js_object(std::string_view text);

}  // namespace netsample::extract
