// The clean-environment check (SF/T 0091-2021 practice; Art 35 evidence): each finding, and what makes it a warning.
#include "netsample/purchase/environment.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "netsample/core/file_io.h"
#include "testing.h"

namespace netsample::purchase {
namespace {

namespace fs = std::filesystem;

class EnvironmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::write_text(dir_.path() / "hosts", "127.0.0.1 localhost\n::1 localhost ip6-localhost # loopback\n");
    fs::create_directories(dir_.path() / "proc/net");
    fs::create_directories(dir_.path() / "proc/1");
    testing::write_text(dir_.path() / "proc/1/comm", "systemd\n");
    testing::write_text(dir_.path() / "proc/net/route",
                        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
                        "eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n");
    inputs_.platform.hosts = {"jd.com"};
    inputs_.browser_product = "Chrome/120.0.6099.224";
    inputs_.browser_command_line = std::vector<std::string>{"chromium", "--remote-debugging-pipe", "--user-data-dir=/rec/browser-profile"};
    inputs_.clock = TimeSample{"ntp.ntsc.ac.cn:123", 12'000, 8'000, 1, "NTSC", SystemClock().now(), 0};
    inputs_.hosts_file = dir_.path() / "hosts";
    inputs_.proc = dir_.path() / "proc";
    inputs_.browser_policies = dir_.path() / "policies";
    inputs_.getenv = [this](const char* name) -> const char* {
      auto it = env_.find(name);
      return it == env_.end() ? nullptr : it->second.c_str();
    };
    inputs_.resolve = [](const std::string&) { return std::vector<std::string>{"111.13.149.108"}; };
    // Certificates: one the distribution ships, and the system bundle made of it alone.
    fs::create_directories(dir_.path() / "share/mozilla");
    shipped_ = make_ca("Shipped Root CA");
    testing::write_text(dir_.path() / "share/mozilla/Shipped_Root_CA.crt", shipped_);
    testing::write_text(dir_.path() / "ca-certificates.crt", shipped_);
    inputs_.system_ca_bundle = dir_.path() / "ca-certificates.crt";
    inputs_.distribution_cas = dir_.path() / "share";
    inputs_.nss_databases = std::vector<fs::path>{dir_.path() / "nssdb"};
    inputs_.browser_recommended_policies = dir_.path() / "recommended";
    inputs_.nft_ruleset = [] { return Result<std::string>(std::string(R"({"nftables": [{"metainfo": {"version": "1.0.6"}}]})")); };
    inputs_.system_clock_synchronised = [] { return std::optional<bool>(true); };
  }
  // A self-signed CA made by the openssl program, as PEM.
  std::string make_ca(const std::string& name) {
    const fs::path key = dir_.path() / "ca.key", pem = dir_.path() / "ca.pem";
    const auto made = testing::run_process({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.string(), "-out",
                                            pem.string(), "-subj", "/CN=" + name, "-days", "30"});
    EXPECT_EQ(made.exit_code, 0) << made.err;
    return read_file(pem).value();
  }
  static const Finding& finding(const EnvironmentReport&& report, const std::string& item) = delete;  // would dangle
  static const Finding& finding(const EnvironmentReport& report, const std::string& item) {
    for (const auto& f : report.findings)
      if (f.item == item) return f;
    throw std::runtime_error("no finding " + item);
  }

  testing::TempDir dir_;
  std::map<std::string, std::string> env_;
  EnvironmentInputs inputs_;
  std::string shipped_;
};

TEST_F(EnvironmentTest, ACleanMachineHasNoWarningAndListsEverything) {
  const auto report = check_environment(inputs_);
  EXPECT_FALSE(report.has_warnings()) << report.to_text();
  EXPECT_EQ(report.findings.size(), 16u);
  EXPECT_TRUE(report.could_fake().empty());
  EXPECT_EQ(finding(report, "system_ca").value["certificates"], 1);
  EXPECT_EQ(finding(report, "browser_launch").value["command_line"][1], "--remote-debugging-pipe");
  EXPECT_EQ(finding(report, "route").value[0]["gateway"], "192.168.1.1");
  EXPECT_TRUE(finding(report, "route").value[0]["default"]);
  EXPECT_EQ(finding(report, "processes").value, nlohmann::json::array({"systemd"}));
  EXPECT_EQ(finding(report, "dns").value["jd.com"][0], "111.13.149.108");
  EXPECT_FALSE(finding(report, "machine").value["hostname"].get<std::string>().empty());
  EXPECT_NE(report.to_text().find("未发现异常"), std::string::npos);
  EXPECT_TRUE(report.to_json()["clean"]);
}

TEST_F(EnvironmentTest, ABrowserNetsampleDidNotOpenIsAWarning) {
  inputs_.browser_command_line.reset();  // purchase start --own-browser
  const auto report = check_environment(inputs_);
  const auto& launch = finding(report, "browser_launch");
  EXPECT_EQ(launch.level, FindingLevel::warning);
  EXPECT_NE(launch.note.find("不是 netsample 打开的"), std::string::npos) << launch.note;
}

TEST_F(EnvironmentTest, AHostsOverrideOfThePlatformIsAWarning) {
  testing::write_text(dir_.path() / "hosts", "127.0.0.1 localhost\n10.0.0.5 item.jd.com\n10.0.0.6 notjd.com\n");
  const auto report = check_environment(inputs_);
  const auto& hosts = finding(report, "hosts");
  EXPECT_EQ(hosts.level, FindingLevel::warning);
  EXPECT_NE(hosts.note.find("item.jd.com → 10.0.0.5"), std::string::npos) << hosts.note;
  EXPECT_TRUE(hosts.could_fake);  // the purchase waits for the organizer's acceptance
  EXPECT_EQ(hosts.note.find("notjd.com"), std::string::npos) << hosts.note;  // a different domain
}

TEST_F(EnvironmentTest, AProxyInTheEnvironmentOrTheBrowserPolicyIsAWarning) {
  env_["no_proxy"] = "localhost";
  EXPECT_EQ(check_environment(inputs_).findings[1].level, FindingLevel::ok);
  env_["https_proxy"] = "http://10.1.1.1:8080";
  const auto ours = check_environment(inputs_);
  EXPECT_EQ(ours.findings[1].level, FindingLevel::warning);
  EXPECT_FALSE(ours.findings[1].could_fake);  // netsample's browser runs with --no-proxy-server
  inputs_.browser_command_line.reset();       // the sampler's own browser may use it
  const auto own = check_environment(inputs_);
  EXPECT_TRUE(own.findings[1].could_fake);

  fs::create_directories(dir_.path() / "policies");
  testing::write_text(dir_.path() / "policies/proxy.json", R"({"ProxyMode": "fixed_servers", "ProxyServer": "10.1.1.1:8080"})");
  const auto report = check_environment(inputs_);
  const auto& browser_proxy = finding(report, "browser_proxy");
  EXPECT_EQ(browser_proxy.level, FindingLevel::warning);
  EXPECT_EQ(browser_proxy.value["proxy.json"]["ProxyServer"], "10.1.1.1:8080");
  EXPECT_TRUE(browser_proxy.could_fake);
}

TEST_F(EnvironmentTest, ThePlatformResolvingToALocalAddressIsAWarningExceptForTheDemoShop) {
  inputs_.resolve = [](const std::string&) { return std::vector<std::string>{"192.168.3.9"}; };
  const auto remote = check_environment(inputs_);
  EXPECT_EQ(finding(remote, "dns").level, FindingLevel::warning);
  inputs_.platform.local = true;
  const auto demo = check_environment(inputs_);
  EXPECT_EQ(finding(demo, "dns").level, FindingLevel::ok);
}

TEST_F(EnvironmentTest, TheSystemResolverIsAskedByDefault) {
  inputs_.resolve = nullptr;
  // A numeric host: getaddrinfo answers it without /etc/hosts or DNS (a bare chroot has neither).
  inputs_.platform.hosts = {"127.0.0.1"};
  const auto report = check_environment(inputs_);
  const auto& dns = finding(report, "dns");
  EXPECT_EQ(dns.value["127.0.0.1"], nlohmann::json::array({"127.0.0.1"}));
  EXPECT_EQ(dns.level, FindingLevel::warning);  // a platform on loopback is suspicious
}

TEST_F(EnvironmentTest, NoSecondResolverIsSaidNotHidden) {
  const auto report = check_environment(inputs_);
  const auto& compare = finding(report, "dns_compare");
  EXPECT_EQ(report.findings[4].item, "dns_compare");  // right after the system resolver's answers
  EXPECT_EQ(compare.level, FindingLevel::ok);
  EXPECT_EQ(compare.value, "未配置第二个解析器");
  EXPECT_NE(compare.note.find("--check-resolver"), std::string::npos) << compare.note;
  EXPECT_NE(report.to_caption().find("未配置第二个解析器"), std::string::npos) << report.to_caption();
}

// The platform's names asked of a real DNS server (dnsmasq on loopback) over UDP, compared with the system's answer.
class SecondResolverTest : public EnvironmentTest {
 protected:
  void SetUp() override {
    EnvironmentTest::SetUp();
    inputs_.platform.hosts = {"shop.example"};  // not a local platform
    inputs_.check_resolvers = {dns_.address()};
  }
  void system_says(const std::string& address) {
    inputs_.resolve = [address](const std::string&) { return std::vector<std::string>{address}; };
  }
  testing::Dnsmasq dns_{{{"shop.example", "203.0.113.7"}}};
};

TEST_F(SecondResolverTest, TheSameAnswerIsClean) {
  system_says("203.0.113.7");
  const auto report = check_environment(inputs_);
  const auto& compare = finding(report, "dns_compare");
  EXPECT_EQ(compare.level, FindingLevel::ok) << compare.note;
  EXPECT_EQ(compare.value["shop.example"]["system"], nlohmann::json::array({"203.0.113.7"}));
  // dnsmasq has no IPv6 address for it: an empty AAAA answer, not an error.
  EXPECT_EQ(compare.value["shop.example"]["resolvers"][dns_.address()], nlohmann::json::array({"203.0.113.7"})) << compare.value.dump();
  EXPECT_FALSE(report.has_warnings()) << report.to_text();
}

TEST_F(SecondResolverTest, ALocalSystemAnswerWhereTheResolverSaysPublicCouldFakeAPage) {
  system_says("10.0.0.5");
  const auto report = check_environment(inputs_);
  const auto& compare = finding(report, "dns_compare");
  EXPECT_EQ(compare.level, FindingLevel::warning);
  EXPECT_TRUE(compare.could_fake);
  EXPECT_NE(compare.note.find("10.0.0.5"), std::string::npos) << compare.note;
  EXPECT_NE(compare.note.find("203.0.113.7"), std::string::npos) << compare.note;
  EXPECT_NE(compare.note.find(dns_.address()), std::string::npos) << compare.note;
  const auto items = report.could_fake();
  EXPECT_NE(std::find(items.begin(), items.end(), "dns_compare"), items.end());
}

TEST_F(SecondResolverTest, DisjointPublicAnswersAreAWarningForTheReviewerNotFakery) {
  system_says("198.51.100.9");  // another public address: a CDN answering by place, or not
  const auto report = check_environment(inputs_);
  const auto& compare = finding(report, "dns_compare");
  EXPECT_EQ(compare.level, FindingLevel::warning);
  EXPECT_FALSE(compare.could_fake);
  EXPECT_NE(compare.note.find("CDN"), std::string::npos) << compare.note;
  EXPECT_NE(compare.note.find("归属"), std::string::npos) << compare.note;
  EXPECT_NE(compare.note.find("198.51.100.9"), std::string::npos) << compare.note;
  EXPECT_TRUE(report.could_fake().empty());
}

TEST_F(SecondResolverTest, AResolverThatDoesNotAnswerIsNamedInAWarning) {
  system_says("203.0.113.7");
  const std::string closed = "127.0.0.1:" + std::to_string(testing::free_port(SOCK_DGRAM));  // nobody listens there
  inputs_.check_resolvers = {dns_.address(), closed};
  inputs_.platform.hosts = {"shop.example", "www.shop.example"};
  const auto report = check_environment(inputs_);
  const auto& compare = finding(report, "dns_compare");
  EXPECT_EQ(compare.level, FindingLevel::warning);
  EXPECT_FALSE(compare.could_fake);
  EXPECT_NE(compare.note.find(closed), std::string::npos) << compare.note;
  for (const char* host : {"shop.example", "www.shop.example"}) {
    const auto& answer = compare.value[host]["resolvers"][closed];
    ASSERT_TRUE(answer.is_string()) << compare.value.dump();
    EXPECT_NE(answer.get<std::string>().find("连接被拒绝"), std::string::npos) << answer;
    EXPECT_EQ(compare.value[host]["resolvers"][dns_.address()], nlohmann::json::array({"203.0.113.7"})) << compare.value.dump();
  }
  // An IPv6 resolver (glibc keeps it in _u._ext.nsaddrs): asked the same way, its failure named the same way.
  inputs_.check_resolvers = {"[::1]:" + std::to_string(testing::free_port(SOCK_DGRAM))};
  const auto six = check_environment(inputs_);
  EXPECT_EQ(finding(six, "dns_compare").level, FindingLevel::warning);
  EXPECT_NE(finding(six, "dns_compare").note.find(inputs_.check_resolvers[0]), std::string::npos) << finding(six, "dns_compare").note;
}

TEST_F(SecondResolverTest, ASilentResolverIsAskedOnceAndNamed) {
  system_says("203.0.113.7");
  // A UDP socket that takes queries and never answers: each query waits out the 2 s timeout.
  const int silent = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(silent, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(silent, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::getsockname(silent, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::string name = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  inputs_.check_resolvers = {name};
  inputs_.platform.hosts = {"shop.example", "www.shop.example"};
  const auto report = check_environment(inputs_);
  const auto& compare = finding(report, "dns_compare");
  int queries = 0;
  char datagram[512];
  while (::recv(silent, datagram, sizeof datagram, MSG_DONTWAIT) > 0) ++queries;
  ::close(silent);
  EXPECT_EQ(queries, 1);  // the first host's A query; after its timeout the resolver is not asked again
  EXPECT_EQ(compare.level, FindingLevel::warning);
  EXPECT_NE(compare.note.find(name), std::string::npos) << compare.note;
  EXPECT_NE(compare.value["www.shop.example"]["resolvers"][name].get<std::string>().find("没有应答"), std::string::npos) << compare.value.dump();
}

TEST_F(SecondResolverTest, ALocalPlatformIsNotCompared) {
  system_says("127.0.0.1");
  inputs_.platform.local = true;  // the demo shop on loopback
  const auto report = check_environment(inputs_);
  const auto& compare = finding(report, "dns_compare");
  EXPECT_EQ(compare.level, FindingLevel::ok);
  EXPECT_NE(compare.value.get<std::string>().find("不比对"), std::string::npos) << compare.value;
}

TEST(ResolverAddress, NumericAddressesWithAnOptionalPort) {
  EXPECT_EQ(parse_resolver_address("203.0.113.53", "--check-resolver")->name(), "203.0.113.53:53");
  EXPECT_EQ(parse_resolver_address("127.0.0.1:5353", "--check-resolver")->port, 5353);
  EXPECT_EQ(parse_resolver_address("[::1]:5353", "--check-resolver")->name(), "[::1]:5353");
  EXPECT_EQ(parse_resolver_address("[2001:db8::53]", "--check-resolver")->port, 53);
  EXPECT_EQ(parse_resolver_address("2001:db8::53", "--check-resolver")->host, "2001:db8::53");
  for (const char* bad : {"dns.example", "dns.example:53", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:70000", "[::1", "[::1]53", "[::1]:", "", "1.2.3"}) {
    const auto parsed = parse_resolver_address(bad, "--check-resolver");
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().field, "--check-resolver") << bad;
  }
  EXPECT_NE(parse_resolver_address("dns.example", "--check-resolver").error().message.find("不是 IP 地址"), std::string::npos);
}

TEST_F(EnvironmentTest, ATrafficInterceptorRunningIsAWarning) {
  fs::create_directories(dir_.path() / "proc/4242");
  testing::write_text(dir_.path() / "proc/4242/comm", "mitmdump\n");
  const auto report = check_environment(inputs_);
  const auto& processes = finding(report, "processes");
  EXPECT_EQ(processes.level, FindingLevel::warning);
  EXPECT_NE(processes.note.find("mitmdump（PID 4242）"), std::string::npos) << processes.note;
}

TEST_F(EnvironmentTest, AnUnverifiedOrFarOffClockIsAWarning) {
  inputs_.clock.reset();
  const auto unverified = check_environment(inputs_);
  EXPECT_EQ(finding(unverified, "clock").level, FindingLevel::warning);
  inputs_.clock = TimeSample{"ntp.ntsc.ac.cn:123", -2'500'000, 8'000, 1, "NTSC", SystemClock().now(), 0};
  const auto far_off = check_environment(inputs_);
  EXPECT_EQ(finding(far_off, "clock").level, FindingLevel::warning);
}

TEST_F(EnvironmentTest, ACertificateTheDistributionDoesNotShipCouldFakeAPage) {
  testing::write_text(dir_.path() / "ca-certificates.crt", shipped_ + make_ca("Interception Proxy CA"));
  const auto report = check_environment(inputs_);
  const auto& ca = finding(report, "system_ca");
  EXPECT_EQ(ca.level, FindingLevel::warning);
  EXPECT_TRUE(ca.could_fake);
  ASSERT_EQ(ca.value["added"].size(), 1u);
  EXPECT_NE(ca.value["added"][0]["subject"].get<std::string>().find("Interception Proxy CA"), std::string::npos);
  EXPECT_EQ(report.could_fake(), std::vector<std::string>{"system_ca"});
}

TEST_F(EnvironmentTest, ACertificateInTheUsersNssDatabaseCountsAgainstTheSamplersOwnBrowserOnly) {
  const fs::path db = dir_.path() / "nssdb";
  fs::create_directories(db);
  ASSERT_EQ(testing::run_process({"/usr/bin/certutil", "-N", "-d", "sql:" + db.string(), "--empty-password"}).exit_code, 0)
      << "certutil (libnss3-tools; setup.sh test installs it)";
  testing::write_text(dir_.path() / "fake.pem", make_ca("Fake Shop CA"));
  const auto added = testing::run_process({"/usr/bin/certutil", "-A", "-d", "sql:" + db.string(), "-n", "fake", "-t", "C,,", "-i", (dir_.path() / "fake.pem").string()});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const auto ours = check_environment(inputs_);  // netsample's browser: a HOME of its own, an empty database
  const auto& nss = finding(ours, "nss");
  EXPECT_EQ(nss.level, FindingLevel::warning);
  EXPECT_FALSE(nss.could_fake) << nss.note;
  EXPECT_NE(nss.value[0]["certificates"][0]["subject"].get<std::string>().find("Fake Shop CA"), std::string::npos) << nss.value.dump();
  inputs_.browser_command_line.reset();  // --own-browser
  const auto own = check_environment(inputs_);
  EXPECT_TRUE(finding(own, "nss").could_fake);
}

TEST_F(EnvironmentTest, ARedirectOfTheWebPortsCouldFakeAPage) {
  // The ruleset as nft itself prints it, made in a network namespace of its own (the machine's rules untouched).
  auto ruleset = [](const std::string& port) {
    // As root a network namespace alone; as a user (the test command run with sudo) inside a user namespace too.
    return testing::run_process({"/usr/bin/unshare", ::geteuid() == 0 ? "-n" : "-rn", "/bin/sh", "-c",
                                 "nft add table ip t && nft add chain ip t c '{ type nat hook output priority -100; }' && "
                                 "nft add rule ip t c tcp dport " + port + " redirect to :8443 && nft -j list ruleset"});
  };
  const auto web = ruleset("443"), ssh = ruleset("22");
  // nftables is installed by setup.sh; a namespace of its own needs root or unprivileged user namespaces.
  ASSERT_EQ(web.exit_code, 0) << "nft in a network namespace of its own failed: " << web.err;
  ASSERT_EQ(ssh.exit_code, 0) << ssh.err;
  inputs_.nft_ruleset = [&] { return Result<std::string>(web.out); };
  const auto report = check_environment(inputs_);
  const auto& rules = finding(report, "redirect_rules");
  EXPECT_EQ(rules.level, FindingLevel::warning);
  EXPECT_TRUE(rules.could_fake);
  EXPECT_EQ(rules.value[0]["table"], "t");
  inputs_.nft_ruleset = [&] { return Result<std::string>(ssh.out); };
  const auto other_port = check_environment(inputs_);
  EXPECT_EQ(finding(other_port, "redirect_rules").level, FindingLevel::ok);  // port 22 is not a web page's
  inputs_.nft_ruleset = [] { return Result<std::string>(make_error(ErrorCode::forbidden, "nft", "无法读取（需要管理员权限）")); };
  const auto unreadable = check_environment(inputs_);
  EXPECT_EQ(finding(unreadable, "redirect_rules").level, FindingLevel::warning);
  EXPECT_FALSE(finding(unreadable, "redirect_rules").could_fake);
}

TEST_F(EnvironmentTest, ABrowserWithAProxySwitchOrAForcedExtensionCouldFakeAPage) {
  fs::create_directories(dir_.path() / "proc/777");
  testing::write_text(dir_.path() / "proc/777/comm", "chromium\n");
  testing::write_text(dir_.path() / "proc/777/cmdline", std::string("/usr/lib/chromium/chromium\0--proxy-server=10.0.0.1:8080\0", 56));
  const auto report = check_environment(inputs_);
  const auto& settings = finding(report, "browser_settings");
  EXPECT_TRUE(settings.could_fake);
  EXPECT_NE(settings.note.find("--proxy-server=10.0.0.1:8080"), std::string::npos) << settings.note;
  fs::remove_all(dir_.path() / "proc/777");
  fs::create_directories(dir_.path() / "recommended");
  testing::write_text(dir_.path() / "recommended/ext.json", R"({"ExtensionInstallForcelist": ["abcdefghijklmnopabcdefghijklmnop"]})");
  const auto forced = check_environment(inputs_);
  EXPECT_TRUE(finding(forced, "browser_settings").could_fake);
  EXPECT_NE(finding(forced, "browser_settings").note.find("ExtensionInstallForcelist"), std::string::npos);
}

TEST_F(EnvironmentTest, AClockTheKernelDoesNotSynchroniseIsAWarningButNoFakery) {
  inputs_.system_clock_synchronised = [] { return std::optional<bool>(false); };
  const auto report = check_environment(inputs_);
  EXPECT_EQ(finding(report, "system_clock").level, FindingLevel::warning);
  EXPECT_TRUE(report.could_fake().empty());
}

TEST_F(EnvironmentTest, TheRealMachineCanBeChecked) {
  EnvironmentInputs real;
  real.platform.hosts = {"jd.com"};
  real.resolve = [](const std::string&) { return std::vector<std::string>{}; };  // no internet here
  const auto report = check_environment(real);
  bool found_self = false;
  for (const auto& name : finding(report, "processes").value) found_self |= name.get<std::string>().find("purchase_test") != std::string::npos;
  EXPECT_TRUE(found_self);
}

TEST(HostMatches, DomainsAndTheirSubdomainsOnly) {
  EXPECT_TRUE(host_matches("jd.com", "jd.com"));
  EXPECT_TRUE(host_matches("item.jd.com", "jd.com"));
  EXPECT_FALSE(host_matches("notjd.com", "jd.com"));
  EXPECT_FALSE(host_matches("com", "jd.com"));
}

}  // namespace
}  // namespace netsample::purchase
