// The deeper checks of the capture environment (issue #18): what could make a browser trust a forged page or send
// it elsewhere — certificates added to the system or to a browser's NSS database, browser policies, extensions
// and command-line switches, firewall rules that redirect web ports — and whether the kernel's clock is NTP-synchronised.
#pragma once

#include "netsample/purchase/environment.h"

namespace netsample::purchase {

Finding system_ca_finding(const EnvironmentInputs& in);
Finding nss_finding(const EnvironmentInputs& in);
Finding browser_settings_finding(const EnvironmentInputs& in);
Finding redirect_rules_finding(const EnvironmentInputs& in);
Finding system_clock_finding(const EnvironmentInputs& in);

}  // namespace netsample::purchase
