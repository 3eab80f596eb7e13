// Makes the service benchmark's data directory: a roster, COUNT cases (in one transaction: the benchmark
// measures reading, not fsync), an administrator with an API token (written to TOKEN_FILE, mode 0600) and a
// 1 GiB piece of evidence on the first case. Prints the first case's number and the evidence id.
//   server_bench_data DATA_DIR COUNT TOKEN_FILE
#include <sys/stat.h>

#include <fstream>
#include <iostream>

#include "netsample/accounts/accounts.h"
#include "bench_case.h"
#include "netsample/runtime/runtime.h"

using namespace netsample;
using nlohmann::json;

namespace {

int fail(const Error& e) {
  std::cerr << "server_bench_data: " << e.describe() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: server_bench_data DATA_DIR COUNT TOKEN_FILE\n";
    return 2;
  }
  const std::filesystem::path data = argv[1];
  const int count = std::stoi(argv[2]);
  auto opened = runtime::Runtime::open(data);
  if (!opened.ok()) return fail(opened.error());
  runtime::Runtime& rt = **opened;
  const json roster = {{"people",
                        {{{"id", "S1"}, {"name", "张明"}, {"org", "cq-amr"}, {"roles", {"sampler"}}},
                         {{"id", "S2"}, {"name", "李娟"}, {"org", "cq-amr"}, {"roles", {"sampler"}}},
                         {{"id", "A1"}, {"name", "管理员"}, {"org", "cq-it"}, {"roles", {"organizer"}}}}}};
  auto people = workflow::parse_people(roster);
  if (!people.ok()) return fail(people.error());
  if (auto added = rt.roster().add(*people, "os:bench"); !added.ok()) return fail(added.error());
  Status made = rt.store().write([&]() -> Status {
    for (int i = 0; i < count; ++i) {
      char number[32];
      std::snprintf(number, sizeof number, "BENCH-%05d", i);
      NETSAMPLE_ASSIGN(workflow::CaseRequest request, workflow::parse_case(bench::bench_case(number), rt.platforms()));
      NETSAMPLE_TRY(status_of(rt.cases().create(request, "os:bench", static_cast<std::uint64_t>(i))));
    }
    return {};
  });
  if (!made.ok()) return fail(made.error());
  accounts::Accounts accounts(rt.store());
  if (auto added = accounts.add_person("A1", true, "os:bench"); !added.ok()) return fail(added.error());
  auto token = accounts.create_token("A1", 1, "os:bench");
  if (!token.ok()) return fail(token.error());
  {
    std::ofstream out(argv[3]);
    out << token->secret;
  }
  ::chmod(argv[3], 0600);
  const std::filesystem::path big = data / "bench-1g.bin";
  {
    std::ofstream out(big, std::ios::binary);
    std::string block(1 << 20, '\0');
    for (int i = 0; i < 1024; ++i) {
      block[0] = static_cast<char>(i);
      out.write(block.data(), static_cast<std::streamsize>(block.size()));
    }
  }
  const auto first = rt.cases().show("BENCH-00000");
  if (!first.ok()) return fail(first.error());
  auto item = rt.store().add_evidence(first->id, "BENCH-00000", big, "attachment", "os:bench");
  if (!item.ok()) return fail(item.error());
  std::filesystem::remove(big);
  std::cout << "BENCH-00000 " << item->id << " " << rt.store().evidence().local_path(item->sha256)->string() << "\n";
  return 0;
}
