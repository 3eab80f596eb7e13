// The e-commerce platforms a case may name (Art 34, 35, 51). The list ships with netsample
// (data/platforms.json, compiled in) and an operator can extend it without a rebuild by placing a
// file of the same form at <data dir>/platforms.json: entries with a known code replace, new ones add.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "netsample/core/error.h"

namespace netsample::workflow {

struct Platform {
  std::string code;                 // "jd"
  std::string name;                 // "京东"
  std::vector<std::string> hosts;   // registrable domains of its pages
  // Served on this machine (platforms.json "local": true, e.g. the demo shop on 127.0.0.1): its hosts are
  // expected to answer from loopback, which for a real platform is a warning of the environment check.
  bool local = false;
};

class PlatformRegistry {
 public:
  static Result<PlatformRegistry> built_in();
  // built_in() overlaid with <data_dir>/platforms.json when that file exists.
  static Result<PlatformRegistry> load(const std::filesystem::path& data_dir);
  // Merges a file of the platforms.json form; `source` names it in errors.
  Status merge(std::string_view json_text, std::string_view source);

  // By code or by Chinese name; nullptr when unknown.
  const Platform* find(std::string_view code_or_name) const;
  const std::vector<Platform>& all() const { return platforms_; }
  std::string codes() const;  // "taobao, tmall, jd, ..." for error messages

 private:
  std::vector<Platform> platforms_;
};

}  // namespace netsample::workflow
