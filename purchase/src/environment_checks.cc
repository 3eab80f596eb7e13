#include "environment_checks.h"

#include <nftables/libnftables.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sqlite3.h>
#include <sys/timex.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <set>

#include "netsample/core/file_io.h"
#include "netsample/core/sha256.h"

namespace netsample::purchase {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct SqliteClose {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct SqliteFinalize {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
struct NftFree {
  void operator()(nft_ctx* c) const { nft_ctx_free(c); }
};

std::string subject_of(X509* certificate) {
  char text[512] = {};
  X509_NAME_oneline(X509_get_subject_name(certificate), text, sizeof text - 1);
  return text;
}

std::string der_of(X509* certificate) {
  unsigned char* der = nullptr;
  const int length = i2d_X509(certificate, &der);
  std::string out = length > 0 ? std::string(reinterpret_cast<char*>(der), static_cast<size_t>(length)) : "";
  OPENSSL_free(der);
  return out;
}

// Every certificate in a PEM text, as (subject, SHA-256 of its DER).
std::vector<std::pair<std::string, std::string>> certificates_in(const std::string& pem) {
  std::vector<std::pair<std::string, std::string>> out;
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  while (bio) {
    std::unique_ptr<X509, X509Free> certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!certificate) break;
    out.emplace_back(subject_of(certificate.get()), sha256_hex(der_of(certificate.get())));
  }
  return out;
}

const std::string kPageFakingReason = "有人可借此伪造网页（需组织者说明理由后接受，第三十五条）";
const std::string kPageFakingNote = "：" + kPageFakingReason;

}  // namespace

Finding system_ca_finding(const EnvironmentInputs& in) {
  Finding f{"system_ca", "系统证书库", json::object(), FindingLevel::ok, "", false};
  auto bundle = read_file(in.system_ca_bundle);
  if (!bundle.ok()) {
    f.value = {{"bundle", in.system_ca_bundle.string()}, {"readable", false}};
    return f;
  }
  std::set<std::string> shipped;
  std::error_code ec;
  for (const auto& entry : fs::recursive_directory_iterator(in.distribution_cas, ec))
    if (entry.is_regular_file() && entry.path().extension() == ".crt")
      if (auto text = read_file(entry.path()); text.ok())
        for (const auto& [subject, fingerprint] : certificates_in(*text)) shipped.insert(fingerprint);
  json added = json::array();
  const auto all = certificates_in(*bundle);
  for (const auto& [subject, fingerprint] : all)
    if (!shipped.count(fingerprint)) added.push_back({{"subject", subject}, {"sha256", fingerprint}});
  f.value = {{"bundle", in.system_ca_bundle.string()}, {"certificates", all.size()}, {"shipped_by_distribution", shipped.size()}, {"added", added}};
  if (!added.empty()) {
    f.level = FindingLevel::warning;
    f.could_fake = true;
    f.note = "系统证书库中有 " + std::to_string(added.size()) + " 个不是发行版自带的根证书（" + added[0]["subject"].get<std::string>() +
             (added.size() > 1 ? " 等" : "") + "）" + kPageFakingNote;
  }
  return f;
}

Finding nss_finding(const EnvironmentInputs& in) {
  Finding f{"nss", "浏览器证书库（NSS）", json::array(), FindingLevel::ok, "", false};
  std::vector<fs::path> databases;
  if (in.nss_databases) databases = *in.nss_databases;
  else if (const char* home = std::getenv("HOME")) databases.push_back(fs::path(home) / ".pki/nssdb");
  // netsample's browser has a HOME of its own: what the user added is not trusted by it, only reported.
  const bool used_by_the_browser = !in.browser_command_line.has_value();
  int found = 0;
  for (const auto& dir : databases) {
    const fs::path file = dir / "cert9.db";
    if (!fs::exists(file)) continue;
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
    std::unique_ptr<sqlite3, SqliteClose> db(raw);
    json certificates = json::array();
    sqlite3_stmt* statement = nullptr;
    // A PKCS #11 object per row; a0 = CKA_CLASS (4 bytes, big-endian), a11 = CKA_VALUE (the DER).
    if (rc == SQLITE_OK && sqlite3_prepare_v2(db.get(), "SELECT a11 FROM nssPublic WHERE a0 = X'00000001'", -1, &statement, nullptr) == SQLITE_OK) {
      std::unique_ptr<sqlite3_stmt, SqliteFinalize> rows(statement);
      while (sqlite3_step(rows.get()) == SQLITE_ROW) {
        const auto* der = static_cast<const unsigned char*>(sqlite3_column_blob(rows.get(), 0));
        const int size = sqlite3_column_bytes(rows.get(), 0);
        std::unique_ptr<X509, X509Free> certificate(der ? d2i_X509(nullptr, &der, size) : nullptr);
        if (certificate) certificates.push_back({{"subject", subject_of(certificate.get())}, {"sha256", sha256_hex(der_of(certificate.get()))}});
      }
    } else {
      certificates.push_back({{"error", "无法读取"}});
    }
    found += static_cast<int>(certificates.size());
    f.value.push_back({{"database", dir.string()}, {"certificates", certificates}});
  }
  if (found > 0) {
    f.level = FindingLevel::warning;
    f.could_fake = used_by_the_browser;
    f.note = "用户的 NSS 证书库中添加了 " + std::to_string(found) + " 个证书" +
             (used_by_the_browser ? kPageFakingNote : "（netsample 的浏览器使用自己的空证书库，不信任它们）");
  }
  return f;
}

Finding browser_settings_finding(const EnvironmentInputs& in) {
  // Command-line switches and policies through which a page can be changed or sent elsewhere.
  static const std::vector<std::string> risky_switches = {"--proxy-server", "--proxy-pac-url", "--load-extension", "--ignore-certificate-errors",
                                                          "--host-resolver-rules", "--host-rules", "--disable-web-security", "--user-data-dir"};
  static const std::vector<std::string> risky_policies = {"ExtensionInstallForcelist", "ExtensionSettings", "ProxySettings", "ProxyServer",
                                                          "ProxyPacUrl", "ProxyMode", "CACertificates", "CAPlatformIntegrationEnabled",
                                                          "HostResolverRules"};
  Finding f{"browser_settings", "浏览器策略、扩展与启动参数", {{"policies", json::object()}, {"browsers", json::array()}}, FindingLevel::ok, "", false};
  auto flag = [&f](const std::string& what) {
    f.level = FindingLevel::warning;
    f.could_fake = true;
    f.note += what + "；";
  };
  std::error_code ec;
  for (const fs::path& dir : {in.browser_policies, in.browser_recommended_policies})
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      auto text = read_file(entry.path());
      const auto policy = text.ok() ? json::parse(*text, nullptr, false) : json();
      if (!policy.is_object()) continue;
      f.value["policies"][entry.path().string()] = policy;
      for (const auto& name : risky_policies)
        if (policy.contains(name)) flag("浏览器策略 " + entry.path().string() + " 设置了 " + name);
    }
  // Running browsers other than netsample's: their switches (a sampler's own browser, or one left open).
  const std::string ours = in.browser_command_line && in.browser_command_line->size() > 2 ? (*in.browser_command_line)[2] : "";
  for (const auto& entry : fs::directory_iterator(in.proc, ec)) {
    auto text = read_file(entry.path() / "cmdline");
    if (!text.ok() || text->empty()) continue;
    std::vector<std::string> argv;
    for (size_t start = 0; start < text->size();) {
      const size_t end = text->find('\0', start);
      argv.push_back(text->substr(start, end == std::string::npos ? std::string::npos : end - start));
      if (end == std::string::npos) break;
      start = end + 1;
    }
    const std::string program = fs::path(argv[0]).filename().string();
    const bool browser = program == "chromium" || program == "chrome" || program == "google-chrome" || program == "firefox" || program == "firefox-esr";
    if (!browser || std::any_of(argv.begin(), argv.end(), [](const std::string& a) { return a.starts_with("--type="); })) continue;  // helpers
    if (!ours.empty() && std::find(argv.begin(), argv.end(), ours) != argv.end()) continue;  // netsample's own
    json risky = json::array();
    for (const auto& a : argv)
      for (const auto& s : risky_switches)
        if (a.starts_with(s) && s != "--user-data-dir") risky.push_back(a);
    f.value["browsers"].push_back({{"pid", entry.path().filename().string()}, {"program", program}, {"risky_switches", risky}});
    if (!risky.empty()) flag("正在运行的浏览器（PID " + entry.path().filename().string() + "）带有参数 " + risky[0].get<std::string>());
  }
  if (f.could_fake) f.note += kPageFakingReason;
  return f;
}

Finding redirect_rules_finding(const EnvironmentInputs& in) {
  Finding f{"redirect_rules", "防火墙转发规则（nftables）", json::array(), FindingLevel::ok, "", false};
  Result<std::string> ruleset = in.nft_ruleset ? in.nft_ruleset() : [&]() -> Result<std::string> {
    std::unique_ptr<nft_ctx, NftFree> nft(nft_ctx_new(NFT_CTX_DEFAULT));
    if (!nft) return make_error(ErrorCode::internal, "nft", "libnftables 无法初始化");
    nft_ctx_output_set_flags(nft.get(), NFT_CTX_OUTPUT_JSON);
    nft_ctx_buffer_output(nft.get());
    nft_ctx_buffer_error(nft.get());
    if (nft_run_cmd_from_buffer(nft.get(), "list ruleset") != 0)
      return make_error(ErrorCode::forbidden, "nft", std::string("无法读取（需要管理员权限）：") + nft_ctx_get_error_buffer(nft.get()));
    return std::string(nft_ctx_get_output_buffer(nft.get()));
  }();
  if (!ruleset.ok()) {
    f.value = {{"readable", false}, {"error", ruleset.error().message}};
    f.level = FindingLevel::warning;
    f.note = "防火墙规则" + ruleset.error().message + "：无法确认 80/443 端口没有被转发";
    return f;
  }
  const json parsed = json::parse(*ruleset, nullptr, false);
  const json items = parsed.is_object() ? parsed.value("nftables", json::array()) : json::array();
  for (const auto& item : items) {
    if (!item.contains("rule")) continue;
    const json& rule = item["rule"];
    bool web_port = true;  // a redirect with no port match catches every port, web included
    bool redirects = false;
    for (const auto& expression : rule.value("expr", json::array())) {
      if (expression.contains("redirect") || expression.contains("dnat") || expression.contains("tproxy")) redirects = true;
      if (!expression.contains("match")) continue;
      const json& match = expression["match"];
      const json left = match.value("left", json());
      if (!left.is_object() || !left.contains("payload") || left["payload"].value("field", "") != "dport") continue;
      const json right = match.value("right", json());
      web_port = false;
      auto is_web = [](const json& port) { return port.is_number() && (port.get<int>() == 80 || port.get<int>() == 443); };
      if (is_web(right)) web_port = true;
      if (right.is_object() && right.contains("set"))
        for (const auto& port : right["set"]) web_port = web_port || is_web(port);
      if (right.is_object() && right.contains("range")) {
        const json& range = right["range"];
        web_port = range.size() == 2 && range[0].is_number() && range[1].is_number() &&
                   ((range[0].get<int>() <= 80 && range[1].get<int>() >= 80) || (range[0].get<int>() <= 443 && range[1].get<int>() >= 443));
      }
    }
    if (!redirects || !web_port) continue;
    f.value.push_back({{"family", rule.value("family", "")}, {"table", rule.value("table", "")}, {"chain", rule.value("chain", "")}, {"rule", rule["expr"]}});
  }
  if (!f.value.empty()) {
    f.level = FindingLevel::warning;
    f.could_fake = true;
    f.note = "有 " + std::to_string(f.value.size()) + " 条规则把网页端口（80/443）转发到别处（表 " + f.value[0]["table"].get<std::string>() + "）" + kPageFakingNote;
  }
  return f;
}

Finding system_clock_finding(const EnvironmentInputs& in) {
  Finding f{"system_clock", "本机时钟同步（内核）", nullptr, FindingLevel::ok, "", false};
  const std::optional<bool> synchronised = in.system_clock_synchronised ? in.system_clock_synchronised() : [] {
    timex tx{};
    const int state = ::adjtimex(&tx);
    if (state == -1) return std::optional<bool>();
    return std::optional<bool>(state != TIME_ERROR && !(tx.status & STA_UNSYNC));
  }();
  f.value = synchronised ? json(*synchronised) : json(nullptr);
  if (!synchronised || !*synchronised) {
    f.level = FindingLevel::warning;
    f.note = synchronised ? "本机时钟没有与 NTP 同步（录像以录制程序自己的网络校时计时，不受影响；请开启 NTP 同步）" : "无法判断本机时钟是否与 NTP 同步";
  }
  return f;
}

}  // namespace netsample::purchase
