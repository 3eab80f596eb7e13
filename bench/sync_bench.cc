// Many stations syncing to one centre (design/central.md): STATIONS station data directories (SQLite), CASES small
// cases each (a case and one 1 KiB document, in one transaction per station: the benchmark measures the sync, not
// the station's fsync), the centre's `netsample serve` on a real PostgreSQL 15, and every station's `sync::push` at
// once, each case's documents with it (as `netsample sync` sends them). Prints cases/s and what the centre spent:
// the service's CPU and PostgreSQL's.
//   sync_bench NETSAMPLE_PROGRAM [STATIONS [CASES]]
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "netsample/core/process.h"
#include "bench_case.h"
#include "netsample/bundle/bundle.h"
#include "netsample/runtime/runtime.h"
#include "netsample/sync/sync.h"
#include "netsample/testing/loopback.h"

using namespace netsample;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

int fail(const std::string& doing, const Error& e) {
  std::cerr << "sync_bench: " << doing << ": " << e.describe() << "\n";
  return 1;
}

// CPU seconds (user + system) of one process, from /proc/PID/stat.
double cpu_seconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) {
      stime = std::stod(field);
      break;
    }
  }
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// Every PostgreSQL process of the cluster in `dir` (the postmaster and its backends), summed; gone backends
// are counted in their parent's cumulative children time (fields 16, 17).
double postgres_cpu(const fs::path& dir) {
  double total = 0;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream cmdline(entry.path() / "cmdline");
    std::string args((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
    std::ifstream comm(entry.path() / "comm");
    std::string program;
    std::getline(comm, program);
    if (program != "postgres") continue;
    const bool postmaster = args.find(dir.string()) != std::string::npos;
    total += cpu_seconds(std::stoi(name));
    if (postmaster) {
      std::ifstream in(entry.path() / "stat");
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      std::istringstream fields(text.substr(text.rfind(')') + 2));
      std::string field;
      for (int i = 3; fields >> field; ++i)
        if (i == 16 || i == 17) total += std::stod(field) / static_cast<double>(::sysconf(_SC_CLK_TCK));
    }
  }
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: sync_bench NETSAMPLE_PROGRAM [STATIONS [CASES]]\n";
    return 2;
  }
  const std::string program = argv[1];
  const int stations = argc > 2 ? std::stoi(argv[2]) : 10;
  const int cases = argc > 3 ? std::stoi(argv[3]) : 1000;
  char pattern[] = "/tmp/netsample-sync-bench-XXXXXX";
  if (!::mkdtemp(pattern)) return 1;
  const fs::path root = pattern;

  auto postgres = loopback::PostgresServer::start();
  if (!postgres.ok()) return fail("PostgreSQL", postgres.error());
  if (Status made = (*postgres)->create_database("centre"); !made.ok()) return fail("createdb", made.error());
  const std::string centre_db = (*postgres)->url("centre");
  const fs::path centre_dir = root / "centre";
  std::vector<std::string> tokens;
  {
    SystemClock clock;
    auto centre = store::Store::open(centre_dir, clock, {centre_db, ""});
    if (!centre.ok()) return fail("centre", centre.error());
    sync::Stations registry(**centre);
    for (int s = 0; s < stations; ++s) {
      auto token = registry.add("station-" + std::to_string(s), "基准工作站 " + std::to_string(s), "os:bench");
      if (!token.ok()) return fail("station add", token.error());
      tokens.push_back(*token);
    }
  }

  // The stations' data: made here, before anything is timed.
  const auto making = std::chrono::steady_clock::now();
  for (int s = 0; s < stations; ++s) {
    auto opened = runtime::Runtime::open(root / ("station-" + std::to_string(s)));
    if (!opened.ok()) return fail("station", opened.error());
    runtime::Runtime& rt = **opened;
    const json roster = {{"people",
                          {{{"id", "S1"}, {"name", "张明"}, {"org", "cq-amr"}, {"roles", {"sampler"}}},
                           {{"id", "S2"}, {"name", "李娟"}, {"org", "cq-amr"}, {"roles", {"sampler"}}}}}};
    auto people = workflow::parse_people(roster);
    if (!people.ok()) return fail("roster", people.error());
    if (auto added = rt.roster().add(*people, "os:bench"); !added.ok()) return fail("roster", added.error());
    const fs::path document = root / ("document-" + std::to_string(s) + ".txt");
    Status made = rt.store().write([&]() -> Status {
      for (int i = 0; i < cases; ++i) {
        char number[40];
        std::snprintf(number, sizeof number, "ST%02d-%05d", s, i);
        NETSAMPLE_ASSIGN(workflow::CaseRequest request, workflow::parse_case(bench::bench_case(number, std::string("QS-") + number), rt.platforms()));
        NETSAMPLE_ASSIGN(workflow::CaseView view, rt.cases().create(request, "os:bench", static_cast<std::uint64_t>(i)));
        {
          std::ofstream out(document);
          out << std::string(1000, 'x') << number << "\n";  // 1 KiB, its own content: one blob per case
        }
        NETSAMPLE_TRY(status_of(rt.store().add_evidence(view.id, number, document, "document", "os:bench")));
      }
      return {};
    });
    if (!made.ok()) return fail("cases", made.error());
  }
  const double making_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - making).count();

  auto port = loopback::free_loopback_port(SOCK_STREAM);
  if (!port.ok()) return fail("port", port.error());
  const std::string base = "http://127.0.0.1:" + std::to_string(*port);
  ChildProcess service({program, "--data", centre_dir.string(), "--db", centre_db, "serve", "--listen", "127.0.0.1:" + std::to_string(*port),
                        "--replay-listen", "off", "--background", "0"},
                       root / "serve.log");
  if (Status up = loopback::wait_until_serving(base, root / "serve.log"); !up.ok()) return fail("the centre", up.error());

  const double service_before = cpu_seconds(service.pid());
  const double postgres_before = postgres_cpu((*postgres)->socket_dir());
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> syncs;
  std::vector<Result<sync::SyncReport>> reports(static_cast<size_t>(stations), make_error(ErrorCode::internal, "", "not run"));
  for (int s = 0; s < stations; ++s)
    syncs.emplace_back([&, s] {
      auto runtime = runtime::Runtime::open(root / ("station-" + std::to_string(s)));
      if (!runtime.ok()) {
        reports[static_cast<size_t>(s)] = runtime.error();
        return;
      }
      sync::SyncOptions options;
      options.central = base;
      options.token = tokens[static_cast<size_t>(s)];
      // As `netsample sync` does: each case's documents follow its rows.
      options.case_documents = [&](const std::string& number) { return bundle::case_documents(**runtime, number); };
      reports[static_cast<size_t>(s)] = sync::push((*runtime)->store(), options);
    });
  for (auto& t : syncs) t.join();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double service_cpu = cpu_seconds(service.pid()) - service_before;
  const double postgres_cpu_s = postgres_cpu((*postgres)->socket_dir()) - postgres_before;

  std::int64_t rows = 0, blobs = 0, documents = 0;
  for (const auto& report : reports) {
    if (!report.ok()) return fail("sync", report.error());
    rows += report->rows_sent;
    blobs += report->blobs_sent;
    documents += report->cases_sent;
  }
  service.signal(SIGTERM);
  service.wait_for(std::chrono::seconds(10));
  const double total_cases = static_cast<double>(stations) * cases;
  std::printf("%d stations x %d cases (made in %.1f s), synced at once to the centre (netsample serve on PostgreSQL 15, loopback):\n",
              stations, cases, making_s);
  std::printf("  %lld audit rows, %lld blobs and %lld cases' documents received in %.2f s: %.0f cases/s, %.0f rows/s\n", static_cast<long long>(rows),
              static_cast<long long>(blobs), static_cast<long long>(documents), wall, total_cases / wall, static_cast<double>(rows) / wall);
  std::printf("  centre CPU: netsample serve %.2f s, PostgreSQL %.2f s = %.2f ms per case\n", service_cpu, postgres_cpu_s,
              1000.0 * (service_cpu + postgres_cpu_s) / total_cases);
  std::error_code ec;
  fs::remove_all(root, ec);
  return 0;
}
