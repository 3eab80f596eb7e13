// The deeper checks of the capture environment (issue #18): what could make a browser trust a forged page or send
// it elsewhere — certificates added to the system or to a browser's NSS database, browser policies, extensions
// and command-line switches, firewall rules that redirect web ports, a platform's name answered otherwise by a second
// resolver — and whether the kernel's clock is NTP-synchronised.
#pragma once

#include "netsample/purchase/environment.h"

namespace netsample::purchase {

// The system resolver's addresses for `host` (getaddrinfo: /etc/hosts, nsswitch, resolv.conf), each once, as text.
std::vector<std::string> system_resolve(const std::string& host);
// Loopback, private (RFC 1918), link-local or unique-local: not where a public platform lives.
bool is_local_address(const std::string& address);

Finding dns_compare_finding(const EnvironmentInputs& in);

Finding system_ca_finding(const EnvironmentInputs& in);
Finding nss_finding(const EnvironmentInputs& in);
Finding browser_settings_finding(const EnvironmentInputs& in);
Finding redirect_rules_finding(const EnvironmentInputs& in);
Finding system_clock_finding(const EnvironmentInputs& in);

}  // namespace netsample::purchase
