// netsample crawl URL [--case N]: a page (with its redirects, the site's robots.txt and a licence picture it
// shows) preserved as WARC, its fields read and checked (runtime.pages(), design/crawler.md). With a case, each
// record's digest goes into the case's audit chain as it is written, and the closed WARC is the case's evidence.
#include <iostream>

#include <CLI/CLI.hpp>

#include "commands.h"

namespace netsample::app {

void add_crawl_command(CLI::App& app, Context& context, int& exit_code) {
  static std::string url, number, robots_reason, platform_code;
  static bool ignore_robots = false;
  static std::vector<std::string> ntp, tsa, also;
  static bool public_only = false;
  CLI::App* command = app.add_subcommand("crawl", "抓取网页并保存为 WARC（请求与应答原样保存，含重定向、robots.txt、TLS 证书链），可存为任务证据");
  command->add_option("URL", url, "商品、店铺或证照页面的网址")->required();
  command->add_option("--case", number, "存为该任务的证据（每条记录的摘要随写随入审计链）");
  command->add_flag("--ignore-robots", ignore_robots, "不遵守 robots.txt（须同时给出 --robots-reason，理由写入每次抓取）");
  command->add_option("--robots-reason", robots_reason, "不遵守 robots.txt 的理由");
  command->add_option("--platform", platform_code, "平台代码（默认按网址的域名从 platforms.json 判断）");
  command->add_option("--also", also, "同一次抓取中再抓取的页面（如店铺证照页），可多个：一个 WARC，核对用所有页面读出的字段");
  command->add_flag("--public-addresses-only", public_only, "不抓取本机或内部网络的地址（服务代用户抓取时使用；platforms.json 中标为本机的平台除外）");
  command->add_option("--ntp", ntp, "抓取前网络校时的 NTP 服务器 主机[:端口]，可多个（每条元数据记录写入校正后的可信时间）");
  command->add_option("--tsa", tsa, "RFC 3161 时间戳服务地址，可多个（为抓取的 WARC 文件盖时间戳）");
  command->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      listing::CrawlRequest request;
      request.url = url;
      request.also = also;
      request.public_addresses_only = public_only;
      request.case_number = number;
      request.platform = platform_code;
      request.honour_robots = !ignore_robots;
      request.robots_reason = robots_reason;
      request.actor = context.actor;
      for (const auto& text : ntp) {
        NETSAMPLE_ASSIGN(NtpServer server, parse_ntp_server(text, "--ntp"));
        request.ntp.push_back(server);
      }
      request.tsa_urls = tsa;
      NETSAMPLE_ASSIGN(listing::CrawlOutcome outcome, context.runtime->pages().crawl(request));
      nlohmann::json out = outcome.to_json();
      // `error` is each page's own words (a string); a crawl that failed puts its Error object at the top instead,
      // where the service's jobs read it (web/api.js captureError renders both).
      if (auto failure = outcome.failure()) out["error"] = error_to_json(*failure);
      if (context.json) {
        print_json(out);
      } else {
        std::vector<const listing::PageRead*> pages = {&outcome.page};
        for (const auto& p : outcome.also) pages.push_back(&p);
        for (const listing::PageRead* page : pages) {
          for (const auto& hop : page->capture.hops)
            std::cout << "  " << (hop.status ? std::to_string(hop.status) : std::string("—")) << "  " << hop.url
                      << (hop.truncated ? "（不完整：" + *hop.truncated + "）" : "") << (hop.error.empty() ? "" : "  " + hop.error) << "\n";
          if (page->capture.refused_by_robots || page->capture.refused_address) std::cout << "未抓取：" << page->capture.error << "\n";
          else if (!page->capture.error.empty()) std::cout << "问题：" << page->capture.error << "\n";
          if (const auto& fields = page->extraction) {
            std::cout << "读取的字段（" << fields->platform << " · " << fields->page_kind << "）：\n";
            for (const auto& [name, v] : fields->fields)
              std::cout << "  " << name << "：" << v.value << (v.rule.starts_with("ocr:") ? "（从营业执照图片识别）" : "") << "\n";
            for (const auto& name : fields->missing) std::cout << "  " << name << "：未找到\n";
            for (const auto& p : fields->problems) std::cout << "  ⚠ " << p << "\n";
          }
          for (const auto& picture : page->pictures)
            if (picture.problem.empty()) std::cout << "  图片 " << picture.url << " 由 " << picture.engine << " 识别（平均置信度 " << picture.confidence << "）\n";
          if (!page->extraction_problem.empty()) std::cout << "未读取字段：" << page->extraction_problem << "\n";
        }
        const std::map<std::string, std::string> words = {{"pass", "符合"}, {"fail", "不符合"}, {"sign", "提示"}, {"unknown", "待定"}};
        if (!outcome.checks.empty()) std::cout << "购买前核对：\n";
        for (const auto& c : outcome.checks) std::cout << "  第" << c.article << "条 " << words.at(c.result) << "：" << c.reason << "\n";
        std::cout << "WARC：" << outcome.warc.string() << "（" << outcome.records << " 条记录，SHA-256 " << outcome.warc_sha256 << "）\n";
        if (outcome.time_check)
          std::cout << "网络校时：" << outcome.time_check->server << "，偏差 " << outcome.time_check->offset_us / 1000.0 << " 毫秒\n";
        for (const auto& [file, token] : outcome.stamps)
          std::cout << "可信时间戳：" << token.url << "，" << format_iso8601_beijing(token.gen_time) << "（" << file.filename().string() << "）\n";
        for (const auto& p : outcome.time_problems) std::cout << "⚠ " << p << "\n";
        if (out.contains("evidence"))
          std::cout << "已存为任务 " << number << " 的证据 #" << out["evidence"]["id"].get<std::int64_t>() << "，SHA-256 "
                    << out["evidence"]["sha256"].get<std::string>() << "\n";
      }
      // A page that could not be fetched is still preserved; the exit code says it was not. With --json the error
      // is part of the one document printed above, and report() adds only its line on standard error.
      if (auto failure = outcome.failure()) {
        context.json = false;
        return *failure;
      }
      return {};
    });
  });
}

void add_search_command(CLI::App& app, Context& context, int& exit_code) {
  static std::string query, platform_code, base, robots_reason;
  static bool ignore_robots = false;
  CLI::App* command = app.add_subcommand("search", "在平台的搜索页查找候选商品（搜索页保存为 WARC），列出标题、价格和网址");
  command->add_option("QUERY", query, "搜索词")->required();
  command->add_option("--platform", platform_code, "平台代码（其适配规则须有 search）")->required();
  command->add_option("--base", base, "站点地址（适配规则的搜索页为相对网址时，如演示商城 http://127.0.0.1:端口/）");
  command->add_flag("--ignore-robots", ignore_robots, "不遵守 robots.txt（须同时给出 --robots-reason）");
  command->add_option("--robots-reason", robots_reason, "不遵守 robots.txt 的理由");
  command->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      listing::SearchRequest request{query, platform_code, base, !ignore_robots, robots_reason, context.actor};
      NETSAMPLE_ASSIGN(listing::SearchOutcome outcome, context.runtime->pages().search(request));
      if (context.json) {
        print_json(outcome.to_json());
      } else {
        std::cout << "搜索“" << query << "”（" << outcome.capture.final_url << "）：" << outcome.candidates.size() << " 个候选商品\n";
        int n = 0;
        for (const auto& c : outcome.candidates) {
          std::cout << "  " << ++n << ".";
          for (const auto& [name, value] : c.fields) std::cout << " " << value;
          std::cout << "\n";
        }
        if (!outcome.problem.empty()) std::cout << "问题：" << outcome.problem << "\n";
        std::cout << "WARC：" << outcome.warc.string() << "\n";
      }
      if (outcome.capture.refused_by_robots) return make_error(ErrorCode::refused_by_rule, "url", outcome.capture.error);
      if (!outcome.problem.empty()) return make_error(ErrorCode::network, "url", outcome.problem);
      return {};
    });
  });
}

}  // namespace netsample::app
