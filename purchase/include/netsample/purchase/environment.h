// The clean-environment check before a purchase is captured (Art 35; notarial practice, SF/T 0091-2021,
// requires a written check that the capturing machine could not fake a page). Each finding is stored as
// data and shown on screen at the start of the recording; anything that could put something between the
// browser and the platform is a warning the reviewer sees.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/sntp.h"
#include "netsample/workflow/platforms.h"

namespace netsample::purchase {

enum class FindingLevel { ok, warning };

struct Finding {
  std::string item;         // hosts, proxy, browser_proxy, dns, route, browser, processes, clock, machine
  std::string title;        // Chinese, for the screen
  nlohmann::json value;     // what was found
  FindingLevel level = FindingLevel::ok;
  std::string note;         // why it is a warning (Chinese); empty when ok
};

struct EnvironmentReport {
  std::vector<Finding> findings;
  bool has_warnings() const;
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
};

EnvironmentReport check_environment(const EnvironmentInputs& inputs);

// True when `host` is `domain` or a subdomain of it ("item.jd.com" of "jd.com").
bool host_matches(std::string_view host, std::string_view domain);

}  // namespace netsample::purchase
