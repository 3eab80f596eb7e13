#include "environment_checks.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <nftables/libnftables.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <resolv.h>
#include <sqlite3.h>
#include <sys/timex.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
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
// A resolver state of our own (never the thread's _res): res_nclose closes its sockets and frees the addresses
// glibc allocated in it.
// (`struct __res_state`: <resolv.h> also declares a function of that name.)
struct ResStateClose {
  void operator()(struct __res_state* state) const {
    res_nclose(state);
    delete state;
  }
};
using ResState = std::unique_ptr<struct __res_state, ResStateClose>;

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

std::string ResolverAddress::name() const {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<ResolverAddress> parse_resolver_address(std::string_view text, std::string_view field) {
  auto invalid = [&](const std::string& why) {
    return make_error(ErrorCode::invalid_input, std::string(field), "“" + std::string(text) + "”" + why + "（格式：IPv4 地址[:端口] 或 [IPv6 地址]:端口）");
  };
  std::string_view host = text, port;
  if (text.starts_with("[")) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return invalid("缺少 ]");
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return invalid("：] 之后须为 :端口");
      port = text.substr(close + 2);
      if (port.empty()) return invalid("：缺少端口");
    }
  } else if (const auto colon = text.find(':'); colon != std::string_view::npos && text.rfind(':') == colon) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (port.empty()) return invalid("：缺少端口");
  }
  ResolverAddress address;
  address.host = std::string(host);
  in_addr v4{};
  in6_addr v6{};
  // A name is refused: looking it up would ask the very resolver the second one is there to check.
  const bool numeric = ::inet_pton(AF_INET, address.host.c_str(), &v4) == 1 || ::inet_pton(AF_INET6, address.host.c_str(), &v6) == 1;
  if (!numeric) return invalid("不是 IP 地址（须写地址而不是域名：域名要靠被检查的系统解析器来解析）");
  if (!port.empty()) {
    int value = 0;
    for (const char c : port) {
      if (c < '0' || c > '9' || value > 65535) return invalid("：端口须为 1 到 65535 的整数");
      value = value * 10 + (c - '0');
    }
    if (value < 1 || value > 65535) return invalid("：端口须为 1 到 65535 的整数");
    address.port = static_cast<std::uint16_t>(value);
  }
  return address;
}

namespace {

// A resolver state asking `server` only, over UDP: retransmit after 2 s, once (a resolver that does not answer
// costs a query about 2 s, not glibc's default 5 s times 2).
Result<ResState> resolver_for(const ResolverAddress& server) {
  auto fresh = std::make_unique<struct __res_state>();  // zeroed: res_ninit then takes no preset values from it
  if (::res_ninit(fresh.get()) != 0) return make_error(ErrorCode::internal, server.name(), "无法初始化解析器（res_ninit）");
  ResState state(fresh.release());
  struct __res_state& s = *state;
  // res_ninit copied the system's name servers: the IPv6 ones into _u._ext.nsaddrs slots that glibc malloc'd
  // (res_nclose frees those below nscount). Free them all before keeping one slot, ours, so none is lost.
  for (int i = 0; i < s.nscount && i < MAXNS; ++i) {
    std::free(s._u._ext.nsaddrs[i]);
    s._u._ext.nsaddrs[i] = nullptr;
    s._u._ext.nssocks[i] = -1;
  }
  s.nscount = 1;
  in_addr v4{};
  if (::inet_pton(AF_INET, server.host.c_str(), &v4) == 1) {
    // An IPv4 server lives in nsaddr_list; glibc notices the list changed and stops using resolv.conf's servers.
    s.nsaddr_list[0] = sockaddr_in{};
    s.nsaddr_list[0].sin_family = AF_INET;
    s.nsaddr_list[0].sin_port = htons(server.port);
    s.nsaddr_list[0].sin_addr = v4;
  } else {
    // An IPv6 server does not fit nsaddr_list: glibc takes slot n from _u._ext.nsaddrs[n] when nsaddr_list[n] has
    // no family, and frees it with free() in res_nclose — hence malloc, not new.
    auto* v6 = static_cast<sockaddr_in6*>(std::calloc(1, sizeof(sockaddr_in6)));
    if (!v6) return make_error(ErrorCode::internal, server.name(), "内存不足");
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(server.port);
    if (::inet_pton(AF_INET6, server.host.c_str(), &v6->sin6_addr) != 1) {
      std::free(v6);
      return make_error(ErrorCode::invalid_input, server.name(), "不是 IP 地址");
    }
    s.nsaddr_list[0] = sockaddr_in{};
    s.nsaddr_list[0].sin_family = AF_UNSPEC;
    s._u._ext.nsaddrs[0] = v6;
  }
  s.retrans = 2;
  s.retry = 1;
  s.options &= ~static_cast<decltype(s.options)>(RES_USEVC | RES_ROTATE);  // UDP (TCP only when an answer is truncated)
  // glibc hands back a REFUSED, SERVFAIL or NOTIMP answer instead of moving on to the next server (and, with none
  // left, reporting a timeout) when pfcode is set ("don't retry if called from dig"): the error is then the
  // resolver's own. pfcode otherwise only selects what RES_DEBUG prints, and RES_DEBUG is off.
  s.pfcode = RES_PRF_HEAD1;
  return state;
}

// What one resolver answered for a query; `unreachable` when nothing came back at all (no use asking it again).
struct DnsAnswer {
  std::vector<std::string> addresses;
  std::string error;  // empty when it answered (possibly with no record of the type)
  bool unreachable = false;
};

DnsAnswer query(struct __res_state& s, const std::string& host, ns_type type) {
  DnsAnswer out;
  std::vector<unsigned char> message(NS_MAXMSG);
  errno = 0;
  const int length = ::res_nquery(&s, host.c_str(), ns_c_in, type, message.data(), static_cast<int>(message.size()));
  const char* kind = type == ns_t_a ? "A" : "AAAA";
  if (length < 0) {
    switch (s.res_h_errno) {
      case NO_DATA:  // the name exists without a record of this type: an answer, not an error
        return out;
      case HOST_NOT_FOUND:
        out.error = std::string(kind) + " 查询：域名不存在（NXDOMAIN）";
        return out;
      case NO_RECOVERY:
        out.error = std::string(kind) + " 查询：服务器拒绝或无法处理（REFUSED、FORMERR 或 NOTIMP）";
        return out;
      default: {  // TRY_AGAIN: SERVFAIL (errno untouched), or nothing came back — errno says why
        const int why = errno;
        out.unreachable = why != 0;
        out.error = std::string(kind) + " 查询：" +
                    (why == 0              ? std::string("服务器暂时失败（SERVFAIL）")
                     : why == ECONNREFUSED ? std::string("连接被拒绝（该地址和端口上没有 DNS 服务）")
                     : why == ETIMEDOUT    ? std::string("没有应答（超时）")
                                           : "无法发送查询（" + std::string(std::strerror(why)) + "）");
        return out;
      }
    }
  }
  ns_msg parsed{};
  if (::ns_initparse(message.data(), length, &parsed) != 0) {
    out.error = std::string(kind) + " 查询：应答无法解析";
    return out;
  }
  // Only the answer section's addresses of the asked type (a CNAME's target's records come with it).
  for (int i = 0; i < ns_msg_count(parsed, ns_s_an); ++i) {
    ns_rr record{};
    if (::ns_parserr(&parsed, ns_s_an, i, &record) != 0) {
      out.error = std::string(kind) + " 查询：应答第 " + std::to_string(i + 1) + " 条记录无法解析";
      return out;
    }
    const bool v4 = ns_rr_type(record) == ns_t_a && ns_rr_rdlen(record) == 4;
    const bool v6 = ns_rr_type(record) == ns_t_aaaa && ns_rr_rdlen(record) == 16;
    if (ns_rr_class(record) != ns_c_in || (!v4 && !v6) || ns_rr_type(record) != type) continue;
    char text[INET6_ADDRSTRLEN] = {};
    if (::inet_ntop(v4 ? AF_INET : AF_INET6, ns_rr_rdata(record), text, sizeof text) &&
        std::find(out.addresses.begin(), out.addresses.end(), text) == out.addresses.end())
      out.addresses.push_back(text);
  }
  return out;
}

// A and AAAA for `host`: the addresses when either query was answered (a resolver may refuse AAAA it does not
// forward), the errors when neither was.
DnsAnswer ask(struct __res_state& s, const std::string& host) {
  DnsAnswer a = query(s, host, ns_t_a);
  if (a.unreachable) return a;
  const DnsAnswer aaaa = query(s, host, ns_t_aaaa);
  if (a.error.empty() || aaaa.error.empty()) {
    DnsAnswer both;
    both.addresses = a.error.empty() ? a.addresses : std::vector<std::string>{};
    if (aaaa.error.empty()) both.addresses.insert(both.addresses.end(), aaaa.addresses.begin(), aaaa.addresses.end());
    return both;
  }
  a.error += "；" + aaaa.error;
  a.unreachable = aaaa.unreachable;
  return a;
}

std::string joined(const std::vector<std::string>& addresses) {
  std::string out;
  for (const auto& a : addresses) out += (out.empty() ? "" : "、") + a;
  return out.empty() ? "（无）" : out;
}

}  // namespace

Finding dns_compare_finding(const EnvironmentInputs& in) {
  Finding f{"dns_compare", "平台域名解析（与第二个解析器比对）", json::object(), FindingLevel::ok, "", false};
  if (in.platform.local) {
    f.value = "本地平台（演示商店），不比对";
    return f;
  }
  if (in.check_resolvers.empty()) {
    // Said, not hidden: the reviewer sees that no second opinion on the platform's addresses was asked for.
    f.value = "未配置第二个解析器";
    f.note = "可用 purchase start --check-resolver 地址[:端口] 指定一个（如运营商或公共 DNS），比对平台域名的解析结果";
    return f;
  }
  auto warn = [&f](const std::string& what) {
    f.level = FindingLevel::warning;
    f.note += what + "；";
  };
  // One state per resolver, built once; a resolver that did not answer at all is not asked again.
  struct Resolver {
    std::string name;
    ResState state;
    std::string dead;  // why it is not asked (again): its address is wrong, or it did not answer
  };
  std::vector<Resolver> resolvers;
  for (const auto& text : in.check_resolvers) {
    Resolver r{text, nullptr, ""};
    auto address = parse_resolver_address(text, "--check-resolver");
    if (!address.ok()) {
      r.dead = address.error().message;
    } else {
      r.name = address->name();
      auto state = resolver_for(*address);
      if (state.ok()) r.state = std::move(state).value();
      else r.dead = state.error().message;
    }
    resolvers.push_back(std::move(r));
  }
  const auto resolve = in.resolve ? in.resolve : system_resolve;
  bool redirected = false;
  for (const auto& host : in.platform.hosts) {
    const std::vector<std::string> system = resolve(host);
    json answers = json::object();
    for (auto& r : resolvers) {
      DnsAnswer answer;
      if (r.dead.empty()) {
        answer = ask(*r.state, host);
        if (answer.unreachable) r.dead = answer.error;
      } else {
        answer.error = r.dead;
      }
      if (!answer.error.empty()) {
        answers[r.name] = answer.error;
        warn("第二个解析器 " + r.name + " 没有给出 " + host + " 的地址：" + answer.error);
        continue;
      }
      answers[r.name] = answer.addresses;
      const bool overlap = std::any_of(system.begin(), system.end(), [&](const std::string& a) {
        return std::find(answer.addresses.begin(), answer.addresses.end(), a) != answer.addresses.end();
      });
      if (overlap || (system.empty() && answer.addresses.empty())) continue;  // agreeing, or both knowing nothing
      const bool system_local = std::any_of(system.begin(), system.end(), is_local_address);
      const bool resolver_public = std::any_of(answer.addresses.begin(), answer.addresses.end(), [](const std::string& a) { return !is_local_address(a); });
      if (system_local && resolver_public) {
        // The platform's name sent to this machine's network while the outside world has it elsewhere: a
        // forged answer (a DNS server or router under someone's control) can serve a fake shop.
        redirected = true;
        f.could_fake = true;
        warn(host + "：系统解析器给出本地或内网地址 " + joined(system) + "，第二个解析器 " + r.name + " 给出公网地址 " + joined(answer.addresses) +
             "，系统的解析结果可能被伪造，把平台域名引向别处");
      } else {
        // CDNs answer by where the question comes from: two resolvers in different places often disagree.
        warn(host + "：系统解析器（" + joined(system) + "）与第二个解析器 " + r.name + "（" + joined(answer.addresses) +
             "）给出的地址没有交集。平台多用 CDN，不同地点的解析器给出不同地址是常见的；请审看者核实这些地址的归属（是否属于平台或其 CDN）");
      }
    }
    f.value[host] = {{"system", system}, {"resolvers", answers}};
  }
  if (redirected) f.note += kPageFakingReason;
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
