// The clean-environment check before a purchase is captured (Art 35; notarial practice, SF/T 0091-2021,
// requires a written check that the capturing machine could not fake a page). Each finding is stored as
// data and shown on screen at the start of the recording; anything that could put something between the
// browser and the platform is a warning the reviewer sees.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/core/sntp.h"
#include "netsample/workflow/platforms.h"

namespace netsample::purchase {

enum class FindingLevel { ok, warning };

struct Finding {
  std::string item;         // hosts, proxy, browser_proxy, dns, dns_compare, route, browser, browser_launch, system_ca, nss, browser_settings,
                            // redirect_rules, system_clock, processes, clock, machine
  std::string title;        // Chinese, for the screen
  nlohmann::json value;     // what was found
  FindingLevel level = FindingLevel::ok;
  std::string note;         // why it is a warning (Chinese); empty when ok, or a hint (how to configure what was not)
  // A warning that could let someone fake a page (an added CA, a proxy, a hosts override, a redirect rule, a
  // traffic interceptor): the purchase is incomplete unless the organizer accepts it with a reason (Art 35).
  bool could_fake = false;
};

struct EnvironmentReport {
  std::vector<Finding> findings;
  bool has_warnings() const;
  std::vector<std::string> could_fake() const;  // the items of the findings that could let someone fake a page
  nlohmann::json to_json() const;
  std::string to_text() const;  // one block per finding, for the terminal and the on-screen page
  std::string to_caption() const;  // one short line per finding, burned into the recording's first seconds
};

struct EnvironmentInputs {
  workflow::Platform platform;              // its hosts (e.g. "jd.com") are resolved; a local one may answer from loopback
  std::string browser_product;              // "Chrome/120…" from the browser that will be recorded
  // The command line of the browser netsample opened for the purchase; nullopt when the sampler buys in a browser
  // of their own (--own-browser): then nothing is known of its profile, extensions or proxy settings.
  std::optional<std::vector<std::string>> browser_command_line;
  bool pages_kept = true;                   // netsample's browser with its pages kept as WARC
  std::optional<TimeSample> clock;          // the recorder's NTP answer; nullopt when none answered
  // Where to look (tests point these at files of their own).
  std::filesystem::path hosts_file = "/etc/hosts";
  std::filesystem::path proc = "/proc";
  std::filesystem::path browser_policies = "/etc/chromium/policies/managed";
  std::function<const char*(const char*)> getenv = [](const char* name) { return std::getenv(name); };
  std::function<std::vector<std::string>(const std::string& host)> resolve;  // default: the system resolver
  // Second resolvers (`purchase start --check-resolver`), each "ADDRESS" or "ADDRESS:PORT" as
  // parse_resolver_address() takes it: the platform's hosts are asked of each of them over DNS (UDP, libresolv)
  // and their answers compared with the system resolver's. Empty: the comparison says it was not configured.
  std::vector<std::string> check_resolvers;
  // Certificates: the system's bundle against what the distribution ships (Debian: ca-certificates' files);
  // the NSS databases a browser on Linux trusts besides (default: $HOME/.pki/nssdb). netsample's browser runs with
  // a HOME of its own (an empty database): the user's additions are then reported, not counted against the pages.
  std::filesystem::path system_ca_bundle = "/etc/ssl/certs/ca-certificates.crt";
  std::filesystem::path distribution_cas = "/usr/share/ca-certificates";
  std::optional<std::vector<std::filesystem::path>> nss_databases;
  std::filesystem::path browser_recommended_policies = "/etc/chromium/policies/recommended";
  // The firewall's rules as `nft -j list ruleset` prints them (default: libnftables; an error when not permitted).
  std::function<Result<std::string>()> nft_ruleset;
  // Whether the kernel's clock is disciplined by NTP (default: adjtimex); nullopt when it cannot be told.
  std::function<std::optional<bool>()> system_clock_synchronised;
};

// Takes about 2 s more for a second resolver that does not answer (its first query times out; it is not asked again).
EnvironmentReport check_environment(const EnvironmentInputs& inputs);

// A second resolver's address: a numeric IPv4 or IPv6 address (a name would be looked up by the very system
// resolver under test), with a port (53 unless given).
struct ResolverAddress {
  std::string host;        // "203.0.113.53", "2001:db8::53"
  std::uint16_t port = 53;
  std::string name() const;  // "203.0.113.53:53", "[2001:db8::53]:53"
};

// "ADDRESS", "ADDRESS:PORT", "IPV6", "[IPV6]" or "[IPV6]:PORT". An error names `field` (the option, e.g.
// "--check-resolver") and what is wrong.
Result<ResolverAddress> parse_resolver_address(std::string_view text, std::string_view field);

// True when `host` is `domain` or a subdomain of it ("item.jd.com" of "jd.com").
bool host_matches(std::string_view host, std::string_view domain);

}  // namespace netsample::purchase
