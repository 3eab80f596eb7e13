// Crawler benchmark (issue #17): 1,000 listing pages (~100 KB each, shaped like the Pinduoduo fixture) from a
// local HTTP server, fetched with 8 concurrent capture sessions (each its own WARC, digests and all) beside the
// curl program fetching the same pages with 8 parallel transfers, in the same run. Prints pages/s, MB/s, peak
// memory and the ratios; then the extraction of every captured page. Not a test: no pass or fail of its own.
// The capture sessions space requests to a host by 1 s in use; here the spacing is off to measure throughput.
//   crawl_bench [PAGES] [CONCURRENCY]
#include <httplib.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "netsample/core/file_io.h"
#include "netsample/crawler/crawler.h"
#include "netsample/extract/extract.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

long peak_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// A process's peak resident memory so far (VmHWM, KiB); 0 once it is gone.
long high_water_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}

// Runs a program to its end: its best wall time of three undisturbed runs (a loopback run now and then stalls
// for a second, for either side) and its peak memory (KiB; a fourth run, read from /proc while it runs: a
// child's rusage counts the parent's memory at the fork, and this parent holds the pages it serves).
std::pair<double, long> run_measured(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int status = 0;
  double seconds = 1e9;
  for (int run = 0; run < 3; ++run) {
    const auto start = Clock::now();
    if (posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) return {-1, 0};
    waitpid(pid, &status, 0);
    seconds = std::min(seconds, std::chrono::duration<double>(Clock::now() - start).count());
  }
  long peak = 0;
  if (posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) return {seconds, 0};
  while (waitpid(pid, &status, WNOHANG) == 0) {
    peak = std::max(peak, high_water_kib(pid));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return {seconds, peak};
}

}  // namespace

int main(int argc, char** argv) {
  const int pages = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int concurrency = argc > 2 ? std::atoi(argv[2]) : 8;
  const std::string fixture = netsample::read_file(fs::path(NETSAMPLE_FIXTURES) / "pdd-goods.html").value();
  // ~100 KB a page, as real listing pages are (most of it script): the fixture with a long inline script.
  std::string filler = "<script>var tracking = [";
  while (filler.size() < 100'000) filler += "{\"k\":\"lorem ipsum dolor sit amet\",\"v\":12345},";
  filler += "0];</script>";
  auto page_of = [&](int i) {
    std::string body = fixture;
    body.replace(body.find("356789012345"), 12, std::to_string(356789000000LL + i));
    body.insert(body.find("</body>"), filler);
    return body;
  };
  std::vector<std::string> bodies;
  for (int i = 0; i < pages; ++i) bodies.push_back(page_of(i));

  httplib::Server server;
  server.new_task_queue = [] { return new httplib::ThreadPool(16); };
  server.Get("/robots.txt", [](const httplib::Request&, httplib::Response& r) { r.status = 404; });
  server.Get(R"(/goods/(\d+)\.html)", [&](const httplib::Request& q, httplib::Response& r) {
    r.set_content(bodies.at(std::stoul(q.matches[1])), "text/html; charset=utf-8");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread listener([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const std::string origin = "http://127.0.0.1:" + std::to_string(port);
  auto url_of = [&](int i) { return origin + "/goods/" + std::to_string(i) + ".html"; };
  double total_mb = 0;
  for (const auto& b : bodies) total_mb += b.size() / 1e6;

  const fs::path work = fs::temp_directory_path() / ("crawl-bench-" + std::to_string(getpid()));
  fs::create_directories(work);

  // curl: the same pages, 8 parallel transfers, bodies thrown away.
  {
    std::ofstream config(work / "urls.txt");
    for (int i = 0; i < pages; ++i) config << "url = \"" << url_of(i) << "\"\noutput = \"/dev/null\"\n";
  }
  const auto [curl_s, curl_kib] = run_measured({"/usr/bin/curl", "--silent", "--show-error", "--parallel", "--parallel-max", std::to_string(concurrency),
                                                "--config", (work / "urls.txt").string()});

  // Ours: `concurrency` capture sessions, each a WARC with every exchange, its request, metadata and digests.
  // Best of three, as for curl; each round writes new WARCs.
  const long before_kib = peak_kib();
  std::atomic<int> failed{0};
  double ours_s = 1e9;
  std::uintmax_t warc_bytes = 0;
  for (int round = 0; round < 3; ++round) {
    std::atomic<int> next{0};
    const auto start = Clock::now();
    std::vector<std::thread> workers;
    for (int w = 0; w < concurrency; ++w)
      workers.emplace_back([&, w] {
        netsample::crawler::CaptureOptions options;
        options.per_host_interval = std::chrono::milliseconds(0);
        const auto file = work / ("r" + std::to_string(round) + "w" + std::to_string(w) + ".warc.gz");
        auto session = netsample::crawler::CaptureSession::open(file, options);
        if (!session.ok()) return (void)++failed;
        for (int i; (i = next++) < pages;) {
          auto c = (*session)->capture(url_of(i));
          if (!c.ok() || c->status != 200 || c->body.size() != bodies[i].size()) ++failed;
        }
        if (!(*session)->close().ok()) ++failed;
      });
    for (auto& t : workers) t.join();
    ours_s = std::min(ours_s, std::chrono::duration<double>(Clock::now() - start).count());
  }
  const long ours_kib = peak_kib();
  for (const auto& e : fs::directory_iterator(work))
    if (e.path().filename().string().starts_with("r0")) warc_bytes += e.file_size();

  // Extraction of every page (one thread: what a station does after its captures; the pages as served).
  const auto adapters = netsample::extract::Adapters::load(std::nullopt).value();
  const auto* pdd = adapters.find("pinduoduo");
  int read_ok = 0;
  const auto read_start = Clock::now();
  for (const auto& body : bodies) {
    auto page = netsample::extract::decode_page(body, "text/html; charset=utf-8");
    if (page.ok() && netsample::extract::extract(*pdd, "http://h/goods.html", *page).ok()) ++read_ok;
  }
  const double read_s = std::chrono::duration<double>(Clock::now() - read_start).count();

  std::printf("crawl_bench: %d pages (%.1f MB), %d concurrent, 127.0.0.1\n", pages, total_mb, concurrency);
  std::printf("  curl          %7.2f s  %7.1f pages/s  %6.1f MB/s  peak %6.1f MiB\n", curl_s, pages / curl_s, total_mb / curl_s, curl_kib / 1024.0);
  std::printf("  netsample     %7.2f s  %7.1f pages/s  %6.1f MB/s  peak +%5.1f MiB over the server's (WARC %.1f MB gzip, %d failed; best of 3)\n", ours_s,
              pages / ours_s, total_mb / ours_s, (ours_kib - before_kib) / 1024.0, warc_bytes / 1e6, failed.load());
  std::printf("  ratio         pages/s %.2fx curl\n", (pages / ours_s) / (pages / curl_s));
  std::printf("  extraction    %d pages read in %.2f s (%.1f pages/s, one thread)\n", read_ok, read_s, read_ok / read_s);
  server.stop();
  listener.join();
  fs::remove_all(work);
  return failed ? 1 : 0;
}
