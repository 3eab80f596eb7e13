// netsample crawl URL [--case N]: a page (with its redirects and the site's robots.txt) preserved as WARC. With a
// case, each record's digest goes into the case's audit chain as it is written, and the closed WARC is stored as
// the case's evidence (kind web_capture). Extraction and the Art 22/24/25/34 checks build on this (design/crawler.md).
#include <iostream>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "netsample/core/sha256.h"
#include "netsample/crawler/crawler.h"
#include "netsample/extract/extract.h"

namespace netsample::app {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string stamp_for_file(UtcTime t) {
  std::string s = warc::format_warc_date(t);  // 2026-12-05T03:20:01.123Z
  for (char& c : s)
    if (c == ':' || c == '.') c = '-';
  return s;
}

// Art 22 through the lifecycle's own rule (the case registry): a city-level sampling of the same producer,
// standard, trademark and model within six months means a district may not repeat it. Only on a listing page
// (where the four are shown); unknown while one of them was not read.
Result<std::optional<extract::Check>> art22_check(runtime::Runtime& runtime, const std::vector<std::pair<std::string, extract::FieldValue>>& fields) {
  std::map<std::string, std::string> v;
  for (const auto& [name, value] : fields) v[name] = value.value;
  if (!v.count("title")) return std::optional<extract::Check>{};
  for (const char* needed : {"producer", "standard", "trademark", "model"})
    if (!v.count(needed))
      return std::optional<extract::Check>{{22, "unknown", "需要标称生产者、执行标准、商标和型号才能判断六个月内是否已由市级抽查（页面缺“" + std::string(needed) + "”）"}};
  NETSAMPLE_ASSIGN(std::optional<workflow::EarlierSampling> earlier,
                   runtime.cases().earlier_city_sampling(v["producer"], v["standard"], v["trademark"], v["model"]));
  if (earlier)
    return std::optional<extract::Check>{{22, "sign", "市级已于 " + earlier->from + " 抽查同一生产者、标准、商标、型号的产品（任务 " + earlier->number +
                                                          "），至 " + earlier->until + " 区县级不得重复抽查（跟踪抽查、应对突发事件除外）"}};
  return std::optional<extract::Check>{{22, "pass", "六个月内没有市级抽查过同一生产者、标准、商标、型号的产品"}};
}

}  // namespace

void add_crawl_command(CLI::App& app, Context& context, int& exit_code) {
  static std::string url, number, robots_reason, platform_code;
  static bool ignore_robots = false;
  CLI::App* command = app.add_subcommand("crawl", "抓取网页并保存为 WARC（请求与应答原样保存，含重定向、robots.txt、TLS 证书链），可存为任务证据");
  command->add_option("URL", url, "商品、店铺或证照页面的网址")->required();
  command->add_option("--case", number, "存为该任务的证据（每条记录的摘要随写随入审计链）");
  command->add_flag("--ignore-robots", ignore_robots, "不遵守 robots.txt（须同时给出 --robots-reason，理由写入每次抓取）");
  command->add_option("--robots-reason", robots_reason, "不遵守 robots.txt 的理由");
  command->add_option("--platform", platform_code, "平台代码（默认按网址的域名从 platforms.json 判断）");
  command->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      std::optional<std::int64_t> case_id;
      if (!number.empty()) {
        NETSAMPLE_ASSIGN(workflow::CaseView view, context.runtime->cases().show(number));
        case_id = view.id;
      }
      const fs::path dir = context.data_dir / "captures" / (number.empty() ? "unassigned" : number);
      std::error_code ec;
      fs::create_directories(dir, ec);
      if (ec) return make_error(ErrorCode::io, dir.string(), "无法创建抓取目录：" + ec.message());
      const fs::path file = dir / (stamp_for_file(SystemClock().now()) + ".warc.gz");

      crawler::CaptureOptions options;
      options.honour_robots = !ignore_robots;
      options.robots_override_reason = robots_reason;
      store::Store& store = context.runtime->store();
      if (case_id) {
        options.on_record = [&](const warc::WrittenRecord& r) -> Status {
          json payload = {{"warc", file.filename().string()}, {"record", r.id}, {"type", r.type}, {"block_digest", r.block_digest}};
          if (!r.target_uri.empty()) payload["uri"] = r.target_uri;
          if (r.payload_digest) payload["payload_digest"] = *r.payload_digest;
          return store.write([&]() -> Status {
            return status_of(store.audit().append({context.actor, "capture.record", number, payload}, store.clock().now()));
          });
        };
      }
      std::vector<std::pair<std::string, std::string>> info = {{"operator", context.actor}};
      if (!number.empty()) info.push_back({"case", number});
      NETSAMPLE_ASSIGN(auto session, crawler::CaptureSession::open(file, options, info));
      NETSAMPLE_ASSIGN(crawler::Capture capture, session->capture(url));
      NETSAMPLE_TRY(session->close());
      json out = capture.to_json();
      out["warc"] = file.string();
      out["records"] = session->records().size();
      if (case_id) {
        NETSAMPLE_ASSIGN(store::EvidenceItem item, store.add_evidence(*case_id, number, file, "web_capture", context.actor));
        out["evidence"] = {{"id", item.id}, {"sha256", item.sha256}, {"size", item.size}};
      }
      // The fields, read by the platform's adapter from the page as decoded for reading (the WARC keeps the bytes).
      std::optional<extract::Extraction> fields;
      std::string extract_problem;
      if (!capture.body.empty()) {
        NETSAMPLE_ASSIGN(extract::Adapters adapters, extract::Adapters::load(context.data_dir));
        std::string code = platform_code;
        // The platform whose registrable domain the page's host is or ends with (platforms.json).
        std::string host = capture.final_url.substr(capture.final_url.find("://") + 3);
        host = host.substr(0, host.find_first_of("/:?#"));
        if (code.empty())
          for (const auto& p : context.runtime->platforms().all())
            for (const auto& domain : p.hosts)
              if (host == domain || host.ends_with("." + domain)) code = p.code;
        const extract::Adapter* adapter = code.empty() ? nullptr : adapters.find(code);
        if (!adapter) {
          extract_problem = code.empty() ? "网址不属于 platforms.json 中的任何平台（可用 --platform 指定）" : "平台 " + code + " 没有适配规则（数据目录的 adapters/" + code + ".json）";
        } else if (auto page = extract::decode_page(capture.body, capture.content_type, capture.content_encoding); !page.ok()) {
          extract_problem = page.error().message;
        } else if (auto read = extract::extract(*adapter, capture.final_url, *page); !read.ok()) {
          extract_problem = read.error().message;
        } else {
          fields = std::move(read).value();
          if (!page->problem.empty()) fields->problems.push_back(page->problem);
        }
      }
      std::vector<extract::Check> checks;
      if (fields) {
        out["extraction"] = fields->to_json();
        checks = extract::check_fields(fields->fields, extract::Region{});  // Chongqing: the bureau's region by default
        NETSAMPLE_ASSIGN(std::optional<extract::Check> art22, art22_check(*context.runtime, fields->fields));
        if (art22) checks.push_back(*art22);
        out["checks"] = nlohmann::json::array();
        for (const auto& c : checks) out["checks"].push_back(c.to_json());
      }
      if (!extract_problem.empty()) out["extraction_problem"] = extract_problem;
      if (context.json) {
        print_json(out);
      } else {
        for (const auto& hop : capture.hops)
          std::cout << "  " << (hop.status ? std::to_string(hop.status) : std::string("—")) << "  " << hop.url
                    << (hop.truncated ? "（不完整：" + *hop.truncated + "）" : "") << (hop.error.empty() ? "" : "  " + hop.error) << "\n";
        if (capture.refused_by_robots) std::cout << "未抓取：" << capture.error << "\n";
        else if (!capture.error.empty()) std::cout << "问题：" << capture.error << "\n";
        if (fields) {
          std::cout << "读取的字段（" << fields->platform << " · " << fields->page_kind << "）：\n";
          for (const auto& [name, v] : fields->fields) std::cout << "  " << name << "：" << v.value << "\n";
          for (const auto& name : fields->missing) std::cout << "  " << name << "：未找到\n";
          for (const auto& p : fields->problems) std::cout << "  ⚠ " << p << "\n";
          const std::map<std::string, std::string> words = {{"pass", "符合"}, {"fail", "不符合"}, {"sign", "提示"}, {"unknown", "待定"}};
          for (const auto& c : checks) std::cout << "  第" << c.article << "条 " << words.at(c.result) << "：" << c.reason << "\n";
        }
        if (!extract_problem.empty()) std::cout << "未读取字段：" << extract_problem << "\n";
        std::cout << "WARC：" << file.string() << "（" << session->records().size() << " 条记录）\n";
        if (out.contains("evidence"))
          std::cout << "已存为任务 " << number << " 的证据 #" << out["evidence"]["id"].get<std::int64_t>() << "，SHA-256 "
                    << out["evidence"]["sha256"].get<std::string>() << "\n";
      }
      // A page that could not be fetched is still preserved; the exit code says it was not.
      if (capture.refused_by_robots) return make_error(ErrorCode::refused_by_rule, "url", capture.error);
      if (capture.status < 200 || capture.status >= 300)
        return make_error(ErrorCode::network, "url", capture.error.empty() ? "页面应答 HTTP " + std::to_string(capture.status) : capture.error);
      return {};
    });
  });
}

}  // namespace netsample::app
