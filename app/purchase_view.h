// How a purchase session reads for a person (both programs print it).
#pragma once

#include <string>

#include "netsample/purchase/session.h"

namespace netsample::app {

void print_session(const purchase::SessionView& session, const std::string& program);

}  // namespace netsample::app
