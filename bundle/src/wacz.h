// The case's captured pages as one WACZ 1.1.1 (Web Archive Collection Zipped): the WARCs stored as they are,
// a CDXJ index of their records, the pages list and datapackage.json with every file's SHA-256, so that
// ReplayWeb.page and the archivists' tools open them as any crawl. Written into the case's export bundle.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "netsample/core/error.h"
#include "netsample/core/time.h"

namespace netsample::bundle {

struct WarcFile {
  std::string name;             // as it is named in the WACZ (archive/NAME)
  std::filesystem::path stored;  // the evidence store's copy
};

// Writes the WACZ to `out`; the number of pages it lists.
Result<int> write_wacz(const std::vector<WarcFile>& warcs, const std::filesystem::path& out, const std::string& title, UtcTime now);

// The SURT form of a URL as replay tools key their indexes: host labels reversed, lower case, "www." dropped,
// the query's parameters sorted ("http://www.Example.com/a?b=2&a=1" → "com,example)/a?a=1&b=2").
std::string surt(const std::string& url);

}  // namespace netsample::bundle
