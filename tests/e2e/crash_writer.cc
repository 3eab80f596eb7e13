// Helper for crash_test: creates cases (with evidence and a tester) in a loop until it is killed.
// Usage: crash_writer DATA_DIR. Prints "ready" once the store is open.
#include <unistd.h>

#include <fstream>
#include <iostream>

#include "netsample/workflow/cases.h"
#include "netsample/workflow/roster.h"

using namespace netsample;

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::filesystem::path data_dir = argv[1];
  SystemClock clock;
  auto store = store::Store::open(data_dir, clock);
  if (!store.ok()) {
    std::cerr << store.error().describe() << "\n";
    return 1;
  }
  auto platforms = *workflow::PlatformRegistry::built_in();
  const nlohmann::json roster_json = {{"people",
                                       {{{"id", "S1"}, {"name", "张明"}, {"org", "cq-amr"}, {"roles", {"sampler"}}},
                                        {{"id", "S2"}, {"name", "李娟"}, {"org", "cq-amr"}, {"roles", {"sampler"}}},
                                        {{"id", "S3"}, {"name", "王磊"}, {"org", "cq-amr"}, {"roles", {"sampler"}}},
                                        {{"id", "L1"}, {"name", "陈刚"}, {"org", "cq-amr"}, {"roles", {"tester"}}}}}};
  workflow::Roster roster(**store);
  if (!roster.add(*workflow::parse_people(roster_json), "crash-writer").ok()) return 1;
  workflow::CaseRegistry cases(**store);
  std::cout << "ready" << std::endl;

  const std::string prefix = "CRASH-" + std::to_string(::getpid()) + "-";
  for (int i = 0;; ++i) {
    nlohmann::json doc = {{"number", prefix + std::to_string(i)},
                          {"organizer", "cq-amr"},
                          {"level", "district"},
                          {"plan", "special"},
                          {"product", {{"name", "充电宝"}, {"trademark", "速能"}, {"model", "SN-" + std::to_string(i)}, {"category", "电子"}, {"standard", "GB 4943.1-2022"}}},
                          {"platform", "taobao"},
                          {"shop", {{"name", "速能数码"}, {"listing_url", "https://item.taobao.com/item.htm?id=" + std::to_string(i)}}},
                          {"operator", {{"name", "重庆速能数码商行"}, {"address", "重庆市江北区"}}},
                          {"producer", {{"name", "速能电子有限公司"}, {"address", "深圳市宝安区"}}},
                          {"samples", {{"inspection", 3}, {"backup", 3}}}};
    auto request = workflow::parse_case(doc, platforms);
    auto view = cases.create(*request, "crash-writer");
    if (!view.ok()) {
      std::cerr << view.error().describe() << "\n";
      return 1;
    }
    const auto file = data_dir / ("photo-" + std::to_string(::getpid()) + ".bin");
    {
      std::ofstream out(file, std::ios::binary);
      out << std::string(64 * 1024 + i, static_cast<char>('a' + i % 26));
    }
    if (!(*store)->add_evidence(view->id, view->record.number, file, "still", "crash-writer").ok()) return 1;
    if (!cases.assign_tester(view->record.number, "L1", "crash-writer").ok()) return 1;
  }
}
