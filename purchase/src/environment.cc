#include "netsample/purchase/environment.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "environment_checks.h"
#include "netsample/core/file_io.h"
#include "netsample/core/time.h"

namespace netsample::purchase {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string first_line(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

Finding hosts_finding(const EnvironmentInputs& in) {
  Finding f{"hosts", "hosts 文件", json::array(), FindingLevel::ok, "", false};
  std::ifstream file(in.hosts_file);
  std::string line;
  std::vector<std::string> overrides;
  while (std::getline(file, line)) {
    line = line.substr(0, line.find('#'));
    std::istringstream words(line);
    std::string address, name;
    if (!(words >> address)) continue;
    std::vector<std::string> names;
    while (words >> name) names.push_back(lower(name));
    f.value.push_back({{"address", address}, {"names", names}});
    for (const auto& n : names)
      for (const auto& host : in.platform.hosts)
        if (host_matches(n, host)) overrides.push_back(n + " → " + address);
  }
  if (!overrides.empty() && !in.platform.local) {
    f.level = FindingLevel::warning;
    f.could_fake = true;
    f.note = "hosts 文件改写了平台域名：";
    for (const auto& o : overrides) f.note += o + "；";
  }
  return f;
}

Finding proxy_finding(const EnvironmentInputs& in) {
  Finding f{"proxy", "代理设置（环境变量）", json::object(), FindingLevel::ok, "", false};
  for (const char* name : {"http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "no_proxy", "NO_PROXY"})
    if (const char* value = in.getenv(name); value && *value) f.value[name] = value;
  for (const char* name : {"http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"})
    if (f.value.contains(name)) {
      f.level = FindingLevel::warning;
      f.could_fake = !in.browser_command_line.has_value();  // netsample's browser runs with --no-proxy-server
      f.note = "设置了代理 " + f.value[name].get<std::string>() + "：代理可以改动页面内容";
    }
  return f;
}

Finding browser_proxy_finding(const EnvironmentInputs& in) {
  Finding f{"browser_proxy", "浏览器代理（策略）", json::object(), FindingLevel::ok, "", false};
  std::error_code ec;
  if (!fs::is_directory(in.browser_policies, ec)) return f;
  for (const auto& entry : fs::directory_iterator(in.browser_policies, ec)) {
    auto text = read_file(entry.path());
    if (!text.ok()) continue;
    const auto policy = json::parse(*text, nullptr, false);
    if (!policy.is_object()) continue;
    for (const char* key : {"ProxySettings", "ProxyMode", "ProxyServer", "ProxyPacUrl"})
      if (policy.contains(key)) {
        f.value[entry.path().filename().string()][key] = policy[key];
        f.level = FindingLevel::warning;
        f.could_fake = true;
        f.note = "浏览器策略设置了代理（" + entry.path().string() + "）";
      }
  }
  return f;
}

Finding dns_finding(const EnvironmentInputs& in) {
  Finding f{"dns", "平台域名解析（系统解析器）", json::object(), FindingLevel::ok, "", false};
  const auto resolve = in.resolve ? in.resolve : system_resolve;
  for (const auto& host : in.platform.hosts) {
    const auto answers = resolve(host);
    f.value[host] = answers;
    if (in.platform.local) continue;
    if (answers.empty()) {
      f.level = FindingLevel::warning;
      f.note += host + " 无法解析；";
    }
    for (const auto& a : answers)
      if (is_local_address(a)) {
        f.level = FindingLevel::warning;
        f.could_fake = true;
        f.note += host + " 解析到本地或内网地址 " + a + "；";
      }
  }
  return f;
}

Finding route_finding(const EnvironmentInputs& in) {
  Finding f{"route", "网络路由", json::array(), FindingLevel::ok, "", false};
  std::ifstream routes(in.proc / "net/route");
  std::string line;
  std::getline(routes, line);  // header
  while (std::getline(routes, line)) {
    std::istringstream words(line);
    std::string interface, destination, gateway;
    words >> interface >> destination >> gateway;
    auto dotted = [](const std::string& hex) {
      const unsigned long v = std::stoul(hex, nullptr, 16);  // little-endian in /proc
      return std::to_string(v & 0xFF) + "." + std::to_string((v >> 8) & 0xFF) + "." + std::to_string((v >> 16) & 0xFF) + "." + std::to_string(v >> 24);
    };
    if (destination.empty()) continue;
    f.value.push_back({{"interface", interface}, {"destination", dotted(destination)}, {"gateway", dotted(gateway)},
                       {"default", destination == "00000000"}});
  }
  return f;
}

Finding processes_finding(const EnvironmentInputs& in) {
  // Programs whose purpose is to intercept or rewrite web traffic.
  static const std::vector<std::string> interceptors = {"mitmproxy", "mitmdump", "mitmweb", "fiddler", "charles", "burpsuite",
                                                        "burp", "proxyman", "whistle", "anyproxy", "zap", "owasp-zap"};
  Finding f{"processes", "正在运行的程序", json::array(), FindingLevel::ok, "", false};
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(in.proc, ec)) {
    const std::string pid = entry.path().filename().string();
    if (pid.empty() || !std::all_of(pid.begin(), pid.end(), ::isdigit)) continue;
    const std::string name = first_line(entry.path() / "comm");
    if (name.empty()) continue;
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    for (const auto& bad : interceptors)
      if (lower(name).find(bad) != std::string::npos) {
        f.level = FindingLevel::warning;
        f.could_fake = true;
        f.note += "截获或改写网络流量的程序正在运行：" + name + "（PID " + pid + "）；";
      }
  }
  std::sort(names.begin(), names.end());
  f.value = names;
  return f;
}

Finding clock_finding(const EnvironmentInputs& in) {
  Finding f{"clock", "本机时钟与可信时间", nullptr, FindingLevel::ok, "", false};
  if (!in.clock) {
    f.level = FindingLevel::warning;
    f.note = "没有 NTP 服务器应答：时间未经网络校验";
    return f;
  }
  f.value = {{"server", in.clock->server}, {"offset_ms", static_cast<double>(in.clock->offset_us) / 1000},
             {"delay_ms", static_cast<double>(in.clock->delay_us) / 1000}, {"stratum", in.clock->stratum},
             {"trusted_time", format_beijing(in.clock->trusted_receive())}};
  if (std::llabs(in.clock->offset_us) > 1'000'000) {
    f.level = FindingLevel::warning;
    f.note = "本机时钟与可信时间相差超过 1 秒（录像按可信时间计时，但请校准本机时钟）";
  }
  return f;
}

Finding machine_finding(const EnvironmentInputs& in) {
  Finding f{"machine", "本机标识", json::object(), FindingLevel::ok, "", false};
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  utsname u{};
  ::uname(&u);
  std::string os;
  std::ifstream release("/etc/os-release");
  for (std::string line; std::getline(release, line);)
    if (line.rfind("PRETTY_NAME=", 0) == 0) os = line.substr(12);
  os.erase(std::remove(os.begin(), os.end(), '"'), os.end());
  f.value = {{"hostname", host}, {"machine_id", first_line("/etc/machine-id")}, {"os", os},
             {"kernel", std::string(u.sysname) + " " + u.release + " " + u.machine}};
  (void)in;
  return f;
}

}  // namespace

std::vector<std::string> system_resolve(const std::string& host) {
  std::vector<std::string> answers;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &result) != 0) return answers;
  for (addrinfo* a = result; a; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* address = a->ai_family == AF_INET ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr)
                                                  : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr);
    if (::inet_ntop(a->ai_family, address, text, sizeof text) && std::find(answers.begin(), answers.end(), text) == answers.end())
      answers.push_back(text);
  }
  ::freeaddrinfo(result);
  return answers;
}

bool is_local_address(const std::string& address) {
  if (address.rfind("127.", 0) == 0 || address == "::1" || address.rfind("10.", 0) == 0 || address.rfind("192.168.", 0) == 0 ||
      address.rfind("169.254.", 0) == 0 || address.rfind("fe80:", 0) == 0 || address.rfind("fc", 0) == 0 || address.rfind("fd", 0) == 0 ||
      address == "0.0.0.0")
    return true;
  if (address.rfind("172.", 0) == 0) {
    const int second = std::atoi(address.c_str() + 4);
    return second >= 16 && second <= 31;
  }
  return false;
}

bool host_matches(std::string_view host, std::string_view domain) {
  if (host.size() < domain.size()) return false;
  if (host.substr(host.size() - domain.size()) != domain) return false;
  return host.size() == domain.size() || host[host.size() - domain.size() - 1] == '.';
}

std::vector<std::string> EnvironmentReport::could_fake() const {
  std::vector<std::string> items;
  for (const auto& f : findings)
    if (f.could_fake) items.push_back(f.item);
  return items;
}

bool EnvironmentReport::has_warnings() const {
  return std::any_of(findings.begin(), findings.end(), [](const Finding& f) { return f.level == FindingLevel::warning; });
}

json EnvironmentReport::to_json() const {
  json list = json::array();
  for (const auto& f : findings)
    list.push_back({{"item", f.item}, {"title", f.title}, {"value", f.value}, {"level", f.level == FindingLevel::ok ? "ok" : "warning"},
                    {"note", f.note}, {"could_fake", f.could_fake}});
  return {{"clean", !has_warnings()}, {"findings", list}, {"could_fake", could_fake()}};
}

namespace {

// At most `limit` bytes, cut at a character boundary (UTF-8), with an ellipsis when cut.
std::string shorten(const std::string& text, size_t limit) {
  if (text.size() <= limit) return text;
  size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end) + "…";
}

std::string summary(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string out = std::to_string(value.size()) + " 项";
    for (size_t i = 0; i < value.size() && i < 3; ++i) out += (i ? "，" : "：") + (value[i].is_string() ? value[i].get<std::string>() : value[i].dump());
    return out;
  }
  if (value.is_object()) {
    std::string out;
    for (const auto& [key, v] : value.items()) out += (out.empty() ? "" : "，") + key + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    return out;
  }
  return value.is_null() ? "（无）" : value.dump();
}

}  // namespace

std::string EnvironmentReport::to_caption() const {
  std::string out = std::string("取证环境检查（SF/T 0091-2021）：") + (has_warnings() ? "有警告，请审看" : "未发现异常");
  for (const auto& f : findings) {
    out += std::string("\n") + (f.level == FindingLevel::ok ? "[正常] " : "[警告] ") + f.title + "：";
    out += shorten(f.level == FindingLevel::ok ? (f.item == "processes" ? std::to_string(f.value.size()) + " 个程序在运行" : summary(f.value)) : f.note, 90);
  }
  return out;
}

std::string EnvironmentReport::to_text() const {
  std::ostringstream out;
  out << "取证环境检查：" << (has_warnings() ? "有需要审看的警告" : "未发现异常") << "\n";
  for (const auto& f : findings) {
    out << (f.level == FindingLevel::ok ? "  ✓ " : "  ⚠ ") << f.title;
    if (!f.note.empty()) out << "：" << f.note;
    out << "\n";
    if (f.item == "processes") {
      out << "      共 " << f.value.size() << " 个程序\n";
    } else if (!f.value.is_null()) {
      std::string v = f.value.dump();
      if (v.size() > 300) v = v.substr(0, 300) + "…";
      out << "      " << v << "\n";
    }
  }
  return out.str();
}

// Who opened the browser: netsample (a fresh profile, no extensions, no proxy, pages kept as WARC) or the sampler.
Finding browser_launch_finding(const EnvironmentInputs& inputs) {
  if (!inputs.browser_command_line)
    return {"browser_launch", "浏览器来源", "本人自备（--own-browser）", FindingLevel::warning,
            "浏览器不是 netsample 打开的：其配置目录、扩展程序和代理设置未经检查，所浏览的网页也没有以 WARC 保存", false};
  if (!inputs.pages_kept)
    return {"browser_launch", "浏览器来源", {{"opened_by", "netsample：全新配置目录、无扩展、无代理"}, {"command_line", *inputs.browser_command_line}},
            FindingLevel::warning, "网页没有以 WARC 保存（--no-page-capture，只用于测量录制开销）", false};
  return {"browser_launch", "浏览器来源", {{"opened_by", "netsample：全新配置目录、无扩展、无代理，网页以 WARC 保存"}, {"command_line", *inputs.browser_command_line}}, FindingLevel::ok,
          "", false};
}

EnvironmentReport check_environment(const EnvironmentInputs& inputs) {
  EnvironmentReport report;
  report.findings.push_back(hosts_finding(inputs));
  report.findings.push_back(proxy_finding(inputs));
  report.findings.push_back(browser_proxy_finding(inputs));
  report.findings.push_back(dns_finding(inputs));
  report.findings.push_back(dns_compare_finding(inputs));
  report.findings.push_back(route_finding(inputs));
  Finding browser{"browser", "浏览器", inputs.browser_product, FindingLevel::ok, "", false};
  if (inputs.browser_product.empty()) {
    browser.level = FindingLevel::warning;
    browser.note = "无法确定浏览器及其版本";
  }
  report.findings.push_back(browser);
  report.findings.push_back(browser_launch_finding(inputs));
  report.findings.push_back(browser_settings_finding(inputs));
  report.findings.push_back(system_ca_finding(inputs));
  report.findings.push_back(nss_finding(inputs));
  report.findings.push_back(redirect_rules_finding(inputs));
  report.findings.push_back(processes_finding(inputs));
  report.findings.push_back(clock_finding(inputs));
  report.findings.push_back(system_clock_finding(inputs));
  report.findings.push_back(machine_finding(inputs));
  return report;
}

}  // namespace netsample::purchase
