// The recorder end to end, as a sampler runs it: `netsample record` on a real X server (Xvfb) showing a
// real browser, trusted time from a real chronyd, stamps from OpenSSL's TSA, then `netsample verify`.
// Art 35: one continuous recording of the whole purchase, starting with a network time check.
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

extern "C" {
#include <libavformat/avformat.h>
}

#include "netsample/core/file_io.h"
#include "netsample/core/sntp.h"
#include "netsample/core/time.h"
#include "testing.h"

namespace netsample::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono;
using nlohmann::json;

// A page with something moving on it, like a shop's carousel; it reports in once rendered.
class AnimatedPage {
 public:
  AnimatedPage() {
    server_.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"(<!doctype html><html><head><meta charset="utf-8"><style>
        body { margin: 0; background: #f4f4f4; font: 28px sans-serif; }
        #box { position: absolute; top: 300px; width: 160px; height: 160px; background: #c0392b;
               animation: slide 3s linear infinite alternate; }
        @keyframes slide { from { left: 0 } to { left: 1100px } }
      </style></head><body><h1>测试商店 · 商品详情</h1><div id="clock"></div><div id="box"></div>
      <script>
        setInterval(() => { document.getElementById('clock').textContent = new Date().toISOString(); }, 50);
        requestAnimationFrame(() => requestAnimationFrame(() => fetch('/ready')));
      </script></body></html>)",
                      "text/html; charset=utf-8");
    });
    server_.Get("/ready", [this](const httplib::Request&, httplib::Response& res) {
      ready_ = true;
      res.set_content("ok", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~AnimatedPage() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  bool ready() const { return ready_; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::atomic<bool> ready_{false};
  std::thread thread_;
};

// The first line of the stamp strip above the picture, read back by OCR as a person reads it: white text on the
// strip's dark band, cut out of the still (recorder/src/stamp_strip.cc: font max(18, picture height / 40) px, line
// 1.5 font heights; the frame's height is used here, a few rows more than the line).
std::string read_stamp_line(const fs::path& still) {
  const cv::Mat frame = cv::imread(still.string(), cv::IMREAD_GRAYSCALE);
  if (frame.empty()) return "(" + still.string() + " is not an image)";
  const int font_size = std::max(18, frame.rows / 40);
  const cv::Mat line = frame(cv::Rect(0, 0, std::min(frame.cols, 40 * font_size), std::min(frame.rows, font_size * 3 / 2)));
  cv::Mat text, enlarged;
  cv::threshold(line, text, 180, 255, cv::THRESH_BINARY_INV);  // white text -> black on white; the band is ~20
  cv::resize(text, enlarged, {}, 2, 2, cv::INTER_CUBIC);
  const fs::path cut = still.parent_path() / (still.stem().string() + "-stamp-line.png");
  cv::imwrite(cut.string(), enlarged);
  const auto ocr = run_process({"/usr/bin/tesseract", cut.string(), "-", "--psm", "7"});
  fs::remove(cut);
  return ocr.out;
}

json verify_json(const fs::path& dir, const fs::path& trust) {
  const auto result = run_process({NETSAMPLE_BIN, "verify", dir.string(), "--trust", trust.string(), "--json"});
  auto report = json::parse(result.out, nullptr, false);
  EXPECT_TRUE(report.is_object()) << result.out << result.err;
  EXPECT_EQ(result.exit_code, report.value("ok", false) ? 0 : 4) << result.err;
  return report;
}

std::string read_text(const fs::path& file) { return read_file(file).value(); }

// How many video frames libavformat (what ordinary players use) finds in the file; -1 if it cannot open it.
std::int64_t frames_libavformat_reads(const fs::path& file) {
  AVFormatContext* input = nullptr;
  if (avformat_open_input(&input, file.c_str(), nullptr, nullptr) < 0) return -1;
  std::int64_t frames = 0;
  if (avformat_find_stream_info(input, nullptr) >= 0) {
    const int stream = av_find_best_stream(input, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    AVPacket* packet = av_packet_alloc();
    while (av_read_frame(input, packet) >= 0) {
      frames += packet->stream_index == stream;
      av_packet_unref(packet);
    }
    av_packet_free(&packet);
  }
  avformat_close_input(&input);
  return frames;
}

std::vector<json> journal_lines(const fs::path& dir) {
  std::vector<json> lines;
  std::istringstream in(read_text(dir / "recording.journal"));
  std::string line;
  while (std::getline(in, line)) lines.push_back(json::parse(line));
  return lines;
}

std::vector<std::string> record_args(const fs::path& out, const Xvfb& x, const Chronyd& ntp, const TestTsa& tsa,
                                     const std::vector<std::string>& more) {
  std::vector<std::string> args = {NETSAMPLE_BIN, "record", "--source", "x11:" + x.display(), "--out", out.string(), "--case",
                                   "渝抽〔2026〕001", "--ntp", "127.0.0.1:" + std::to_string(ntp.port()), "--tsa", tsa.url()};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// Waits until the recording has written at least `frames` frames to its journal.
void wait_for_frames(const fs::path& dir, std::int64_t frames) {
  const auto deadline = steady_clock::now() + seconds(30);
  while (steady_clock::now() < deadline) {
    auto text = read_file_if_exists(dir / "recording.journal");
    if (text.ok() && *text) {
      const auto end = (*text)->rfind("\"last_frame\":");
      if (end != std::string::npos && std::stoll((*text)->substr(end + 13)) + 1 >= frames) return;
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  FAIL() << "the recording did not reach " << frames << " frames";
}

TEST(RecordingTest, TwentySecondsOfABrowserVerifyAsContinuousSyncedAndStamped) {
  Xvfb x(1280, 720);
  AnimatedPage page;
  Chromium browser(x.display(), page.url(), [&] { return page.ready(); });
  Chronyd ntp;
  TestTsa tsa;
  TempDir dir;
  const fs::path out = dir.path() / "purchase";

  const TimeSample before = SntpClient().query(NtpServer{"127.0.0.1", static_cast<std::uint16_t>(ntp.port())}).value();
  Child recorder(record_args(out, x, ntp, tsa, {"--duration", "20", "--tsa-interval", "10"}), dir.path() / "record.log");
  wait_for_frames(out, 60);
  const NtpServer reference{"127.0.0.1", static_cast<std::uint16_t>(ntp.port())};
  const std::int64_t before_mark = to_utc_us(SntpClient().query(reference).value().trusted_receive());
  const auto mark = run_process({NETSAMPLE_BIN, "record", "mark", out.string(), "product_page", "--note", "商品页：型号 A1", "--json"});
  const std::int64_t after_mark = to_utc_us(SntpClient().query(reference).value().trusted_receive());
  ASSERT_EQ(mark.exit_code, 0) << mark.err;
  ASSERT_EQ(recorder.wait(), 0) << read_text(dir.path() / "record.log");
  const TimeSample after = SntpClient().query(NtpServer{"127.0.0.1", static_cast<std::uint16_t>(ntp.port())}).value();

  const json report = verify_json(out, tsa.ca_file());
  EXPECT_TRUE(report["ok"]) << report.dump(2);
  EXPECT_TRUE(report["continuous"]);
  EXPECT_TRUE(report["hash_chain_ok"]);
  EXPECT_TRUE(report["timestamp_token_ok"]);
  EXPECT_TRUE(report["time_synced"]);
  EXPECT_EQ(report["gaps"].size(), 0u);
  EXPECT_NEAR(report["duration_s"].get<double>(), 20.0, 0.5);
  EXPECT_NEAR(report["frames"].get<double>(), 300, 15);
  EXPECT_EQ(report["container_frames"], report["frames"]);
  EXPECT_GE(report["fragments"].get<int>(), 20);  // the init segment and about one fragment a second
  // Stamps while recording (every 10 s) verify against the journal prefix they cover.
  ASSERT_GE(report["details"]["chain_stamps"].size(), 1u);
  for (const auto& stamp : report["details"]["chain_stamps"]) EXPECT_TRUE(stamp["ok"]) << stamp.dump();

  // The marker's still is the overlaid frame, as a PNG.
  const json marker = json::parse(mark.out);
  EXPECT_EQ(marker["step"], "product_page");
  const std::string png = read_text(out / marker["still"].get<std::string>());
  EXPECT_EQ(png.substr(1, 3), "PNG");
  EXPECT_TRUE(report["details"]["markers"][0]["still_ok"]);

  // The time burned into the picture, read back as a person would read it (OCR), is the NTP reference's
  // time of that moment within a second.
  const std::string stamp_line = read_stamp_line(out / marker["still"].get<std::string>());
  std::smatch shown;  // OCR may read the decimal point as a comma or with a space beside it
  ASSERT_TRUE(std::regex_search(stamp_line, shown, std::regex(R"((\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) ?[.,] ?(\d{3}))"))) << stamp_line;
  const auto overlay_time = parse_iso8601(shown[1].str() + "T" + shown[2].str() + "." + shown[3].str() + "+08:00", "overlay");
  ASSERT_TRUE(overlay_time.ok()) << shown[0];
  EXPECT_GE(to_utc_us(*overlay_time), before_mark - 1'000'000) << shown[0];
  EXPECT_LE(to_utc_us(*overlay_time), after_mark + 1'000'000) << shown[0];
  EXPECT_EQ(to_utc_us(*overlay_time) / 1000, marker["utc_us"].get<std::int64_t>() / 1000);  // the marker's own time, to the ms

  // Trusted time: the first frame's time lies between two readings of the NTP reference taken around the run.
  const json manifest = json::parse(read_text(out / "manifest.json"));
  const std::int64_t started = manifest["started_utc_us"];
  EXPECT_GT(started, to_utc_us(before.trusted_receive()) - 1'000'000);
  EXPECT_LT(started, to_utc_us(after.trusted_receive()));
  EXPECT_TRUE(manifest["time"]["verified_at_start"]);
  EXPECT_LT(manifest["time"]["samples"][0]["at_ms"].get<std::int64_t>(), 0);  // asked before the first frame
  // Each fragment's capture times follow the NTP reference within a second.
  for (const auto& line : journal_lines(out)) {
    if (line["first_frame"] < 0) continue;
    EXPECT_GE(line["start_utc_us"].get<std::int64_t>(), started);
    EXPECT_LE(line["end_utc_us"].get<std::int64_t>(), to_utc_us(after.trusted_receive()) + 1'000'000);
  }
}

TEST(RecordingTest, APausedRecorderShowsOneGapOfThePauseAtItsPlace) {
  Xvfb x;
  Chronyd ntp;
  TestTsa tsa;
  TempDir dir;
  const fs::path out = dir.path() / "paused";
  Child recorder(record_args(out, x, ntp, tsa, {"--duration", "10"}), dir.path() / "record.log");
  wait_for_frames(out, 45);
  recorder.signal(SIGSTOP);
  std::this_thread::sleep_for(seconds(3));
  recorder.signal(SIGCONT);
  ASSERT_EQ(recorder.wait(), 0) << read_text(dir.path() / "record.log");

  const json report = verify_json(out, tsa.ca_file());
  EXPECT_FALSE(report["ok"]);
  EXPECT_FALSE(report["continuous"]);
  EXPECT_TRUE(report["hash_chain_ok"]);  // a gap is reported, not hidden, and the file is intact
  EXPECT_TRUE(report["timestamp_token_ok"]);
  ASSERT_EQ(report["gaps"].size(), 1u) << report["gaps"].dump(2);
  const json gap = report["gaps"][0];
  EXPECT_NEAR(gap["duration_ms"].get<double>(), 3000, 400);
  EXPECT_GE(gap["frame"].get<int>(), 45);   // after the frames seen before the pause
  EXPECT_LE(gap["frame"].get<int>(), 75);
  EXPECT_EQ(gap["reason"], "capture_interval");
}

TEST(RecordingTest, AKilledRecordingStaysPlayableLosesAtMostOneAndAHalfSecondsAndIsUnsealed) {
  Xvfb x;
  Chronyd ntp;
  TestTsa tsa;
  TempDir dir;
  const fs::path out = dir.path() / "killed";
  Child recorder(record_args(out, x, ntp, tsa, {}), dir.path() / "record.log");
  wait_for_frames(out, 1);
  std::this_thread::sleep_for(seconds(10));
  const std::int64_t killed_at = to_utc_us(SystemClock().now());
  recorder.signal(SIGKILL);
  EXPECT_EQ(recorder.wait(), -SIGKILL);

  const json report = verify_json(out, tsa.ca_file());
  EXPECT_FALSE(report["ok"]);
  EXPECT_FALSE(report["sealed"]);
  EXPECT_TRUE(report["hash_chain_ok"]) << report.dump(2);  // every fragment written still verifies
  EXPECT_GE(report["container_frames"], report["frames"]);
  // An ordinary player's library reads it: libavformat demuxes at least every journaled frame.
  EXPECT_GE(frames_libavformat_reads(out / "recording.mp4"), report["frames"].get<std::int64_t>());
  EXPECT_GE(report["frames"].get<int>(), 120);
  // chronyd serves this machine's clock, so trusted time and the test's clock agree to the millisecond.
  const std::int64_t last_frame_at = journal_lines(out).back()["end_utc_us"];
  EXPECT_LE(killed_at - last_frame_at, 1'500'000) << "lost " << (killed_at - last_frame_at) / 1000 << " ms";
}

TEST(RecordingTest, ALostScreenIsAStallAtOnceAndEndsTheRecordingWithAnErrorButSealed) {
  // A number no other test's Xvfb will pick: were the number taken over once this screen is gone, the
  // recorder would reconnect and record that other screen (seen: a 1.2 s gap, then 40 s of another test).
  auto x = Xvfb::on_a_number_of_its_own();
  Chronyd ntp;
  TestTsa tsa;
  TempDir dir;
  const fs::path out = dir.path() / "lost";
  Child recorder(record_args(out, *x, ntp, tsa, {}), dir.path() / "record.log");
  wait_for_frames(out, 15);
  x->stop();
  // The watchdog gives up after 10 s (the gap below says so): a non-zero exit, never a silent "recording".
  // The bound leaves room for a loaded machine under AddressSanitizer.
  EXPECT_EQ(recorder.wait(seconds(60)), 1) << read_text(dir.path() / "record.log");
  const std::string log = read_text(dir.path() / "record.log");
  EXPECT_NE(log.find("录制停滞：采集"), std::string::npos) << log;  // said at once (after 2 s), before giving up
  EXPECT_LT(log.find("录制停滞"), log.find("录制失败")) << log;

  const json report = verify_json(out, tsa.ca_file());
  EXPECT_FALSE(report["ok"]);
  EXPECT_TRUE(report["sealed"]);  // what was recorded is sealed and stamped
  EXPECT_TRUE(report["hash_chain_ok"]);
  EXPECT_TRUE(report["timestamp_token_ok"]);
  ASSERT_EQ(report["gaps"].size(), 1u) << report["gaps"].dump(2);
  EXPECT_EQ(report["gaps"][0]["reason"], "gave_up:capture");
  EXPECT_GE(report["gaps"][0]["duration_ms"].get<int>(), 10'000);
}

TEST(RecordingTest, NoTimestampAuthorityAnsweringIsSaidInTheManifestAndByVerify) {
  Xvfb x;
  Chronyd ntp;
  TestTsa tsa;
  TempDir dir;
  const fs::path out = dir.path() / "unstamped";
  const std::string closed = "http://127.0.0.1:" + std::to_string(free_port(SOCK_STREAM)) + "/tsa";
  Child recorder({NETSAMPLE_BIN, "record", "--source", "x11:" + x.display(), "--out", out.string(), "--ntp",
                  "127.0.0.1:" + std::to_string(ntp.port()), "--tsa", closed, "--duration", "3"},
                 dir.path() / "record.log");
  ASSERT_EQ(recorder.wait(), 0) << read_text(dir.path() / "record.log");  // the video itself is fine and sealed
  EXPECT_NE(read_text(dir.path() / "record.log").find("没有任何时间戳服务应答"), std::string::npos);

  const json manifest = json::parse(read_text(out / "manifest.json"));
  EXPECT_TRUE(manifest["timestamp"]["configured"]);
  EXPECT_FALSE(manifest["timestamp"]["answered_before_seal"]);
  EXPECT_FALSE(fs::exists(out / "manifest.tsr"));
  const json report = verify_json(out, tsa.ca_file());
  EXPECT_FALSE(report["ok"]);
  EXPECT_FALSE(report["timestamp_token_ok"]);
  EXPECT_TRUE(report["hash_chain_ok"]);
  EXPECT_TRUE(report["continuous"]);
  EXPECT_NE(report["errors"].dump().find("没有可信时间戳"), std::string::npos) << report["errors"].dump();
}

// One short sealed recording, copied for each way of tampering with it.
class TamperTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    x_ = new Xvfb();
    ntp_ = new Chronyd();
    tsa_ = new TestTsa();
    dir_ = new TempDir();
    for (const char* name : {"original", "other"}) {
      Child recorder(record_args(dir_->path() / name, *x_, *ntp_, *tsa_, {"--duration", "4"}), dir_->path() / (std::string(name) + ".log"));
      ASSERT_EQ(recorder.wait(), 0) << read_text(dir_->path() / (std::string(name) + ".log"));
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete tsa_;
    delete ntp_;
    delete x_;
  }
  fs::path copy() {
    const fs::path target = scratch_.path() / "copy";
    fs::copy(dir_->path() / "original", target, fs::copy_options::recursive);
    for (const auto& entry : fs::recursive_directory_iterator(target)) fs::permissions(entry.path(), fs::perms::owner_write, fs::perm_options::add);
    return target;
  }
  static json fragment(const fs::path& dir, int index) { return journal_lines(dir).at(static_cast<size_t>(index)); }
  static std::string errors(const json& report) { return report["errors"].dump(); }

  static Xvfb* x_;
  static Chronyd* ntp_;
  static TestTsa* tsa_;
  static TempDir* dir_;
  TempDir scratch_;
};
Xvfb* TamperTest::x_ = nullptr;
Chronyd* TamperTest::ntp_ = nullptr;
TestTsa* TamperTest::tsa_ = nullptr;
TempDir* TamperTest::dir_ = nullptr;

TEST_F(TamperTest, TheUntouchedRecordingVerifies) {
  const json report = verify_json(dir_->path() / "original", tsa_->ca_file());
  EXPECT_TRUE(report["ok"]) << report.dump(2);
}

TEST_F(TamperTest, OneByteFlippedInAFragmentIsNamed) {
  const fs::path dir = copy();
  const json f = fragment(dir, 2);
  std::fstream media(dir / "recording.mp4", std::ios::in | std::ios::out | std::ios::binary);
  media.seekg(f["offset"].get<std::int64_t>() + f["size"].get<std::int64_t>() / 2);
  char byte = 0;
  media.get(byte);
  media.seekp(f["offset"].get<std::int64_t>() + f["size"].get<std::int64_t>() / 2);
  media.put(static_cast<char>(byte ^ 0x01));
  media.close();
  const json report = verify_json(dir, tsa_->ca_file());
  EXPECT_FALSE(report["ok"]);
  EXPECT_FALSE(report["hash_chain_ok"]);
  EXPECT_NE(errors(report).find("片段 2"), std::string::npos) << errors(report);
}

// The playback copy (recorder/playback.h): the same frames as the recording, which the verifier proves; a copy
// that differs by one byte of one frame is named, and one that is missing leaves the recording's verdict alone.
TEST_F(TamperTest, ThePlaybackCopyHoldsTheRecordingsFramesAndADifferingCopyIsNamed) {
  const json untouched = verify_json(dir_->path() / "original", tsa_->ca_file());
  ASSERT_TRUE(fs::exists(dir_->path() / "original" / "playback.mp4"));
  EXPECT_TRUE(untouched["details"]["playback"]["same_frames"]) << untouched.dump(2);
  EXPECT_EQ(untouched["details"]["playback"]["packets"], untouched["frames"]);
  // Index in front: a player knows every frame's place before the first frame's bytes.
  const std::string copy_bytes = read_text(dir_->path() / "original" / "playback.mp4");
  EXPECT_LT(copy_bytes.find("moov"), copy_bytes.find("mdat"));
  EXPECT_EQ(copy_bytes.find("moof"), std::string::npos);

  const fs::path dir = copy();
  std::fstream media(dir / "playback.mp4", std::ios::in | std::ios::out | std::ios::binary);
  const auto at = static_cast<std::streamoff>(copy_bytes.size() - 2000);  // in the last frames' data
  media.seekg(at);
  char byte = 0;
  media.get(byte);
  media.seekp(at);
  media.put(static_cast<char>(byte ^ 0x01));
  media.close();
  const json flipped = verify_json(dir, tsa_->ca_file());
  EXPECT_FALSE(flipped["ok"]);
  EXPECT_TRUE(flipped["hash_chain_ok"]) << "the evidence itself is untouched";
  EXPECT_NE(errors(flipped).find("playback.mp4"), std::string::npos) << errors(flipped);
  EXPECT_NE(errors(flipped).find("的数据不同"), std::string::npos) << errors(flipped);

  fs::remove(dir / "playback.mp4");
  const json without = verify_json(dir, tsa_->ca_file());
  EXPECT_TRUE(without["ok"]) << errors(without);
  EXPECT_FALSE(without["details"].contains("playback"));
}

TEST_F(TamperTest, ARemovedFragmentIsNamed) {
  const fs::path dir = copy();
  const json f = fragment(dir, 2);
  std::string bytes = read_text(dir / "recording.mp4");
  bytes.erase(f["offset"].get<size_t>(), f["size"].get<size_t>());
  fs::remove(dir / "recording.mp4");
  write_text(dir / "recording.mp4", bytes);
  const json report = verify_json(dir, tsa_->ca_file());
  EXPECT_FALSE(report["ok"]);
  EXPECT_FALSE(report["hash_chain_ok"]);
  EXPECT_NE(errors(report).find("片段 2"), std::string::npos) << errors(report);
}

TEST_F(TamperTest, TwoSwappedFragmentsAreNamed) {
  const fs::path dir = copy();
  const json a = fragment(dir, 2), b = fragment(dir, 3);
  const std::string bytes = read_text(dir / "recording.mp4");
  const size_t a_at = a["offset"], a_size = a["size"], b_at = b["offset"], b_size = b["size"];
  const std::string swapped = bytes.substr(0, a_at) + bytes.substr(b_at, b_size) + bytes.substr(a_at, a_size) + bytes.substr(b_at + b_size);
  fs::remove(dir / "recording.mp4");
  write_text(dir / "recording.mp4", swapped);
  const json report = verify_json(dir, tsa_->ca_file());
  EXPECT_FALSE(report["ok"]);
  EXPECT_FALSE(report["hash_chain_ok"]);
  EXPECT_NE(errors(report).find("片段 2"), std::string::npos) << errors(report);
  EXPECT_NE(errors(report).find("片段 3"), std::string::npos) << errors(report);
}

TEST_F(TamperTest, AnEditedManifestFailsItsToken) {
  const fs::path dir = copy();
  std::string manifest = read_text(dir / "manifest.json");
  const auto at = manifest.find("\"dropped_frames\": 0");
  ASSERT_NE(at, std::string::npos);
  manifest.replace(at, 19, "\"dropped_frames\": 1");
  fs::remove(dir / "manifest.json");
  write_text(dir / "manifest.json", manifest);
  const json report = verify_json(dir, tsa_->ca_file());
  EXPECT_FALSE(report["ok"]);
  EXPECT_FALSE(report["timestamp_token_ok"]);
  EXPECT_NE(errors(report).find("manifest.tsr"), std::string::npos) << errors(report);
}

TEST_F(TamperTest, ATokenForAnotherManifestIsRefused) {
  const fs::path dir = copy();
  fs::remove(dir / "manifest.tsr");
  fs::copy_file(dir_->path() / "other" / "manifest.tsr", dir / "manifest.tsr");
  const json report = verify_json(dir, tsa_->ca_file());
  EXPECT_FALSE(report["ok"]);
  EXPECT_FALSE(report["timestamp_token_ok"]);
  EXPECT_NE(errors(report).find("manifest.tsr"), std::string::npos) << errors(report);
}

TEST_F(TamperTest, ATokenFromAnUntrustedAuthorityIsRefused) {
  TempDir other_ca;
  make_test_ca(other_ca.path(), "stranger");
  const json report = verify_json(dir_->path() / "original", other_ca.path() / "stranger.pem");
  EXPECT_FALSE(report["timestamp_token_ok"]);
  EXPECT_NE(errors(report).find("manifest.tsr"), std::string::npos) << errors(report);
}

TEST(RecordCommandTest, RefusesADirectoryThatHoldsARecordingAlready) {
  TempDir dir;
  write_text(dir.path() / "recording.mp4", "x");
  const auto result = run_process({NETSAMPLE_BIN, "record", "--source", "x11::0", "--out", dir.path().string()});
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_NE(result.err.find("第35条"), std::string::npos) << result.err;
}

TEST(RecordCommandTest, BadOptionsNameTheOption) {
  TempDir dir;
  auto result = run_process({NETSAMPLE_BIN, "record", "--source", "x11::0", "--out", (dir.path() / "r").string(), "--fps", "0"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("--fps"), std::string::npos) << result.err;
  result = run_process({NETSAMPLE_BIN, "record", "--source", "x11:nodisplay", "--out", (dir.path() / "r").string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("--source"), std::string::npos) << result.err;
  result = run_process({NETSAMPLE_BIN, "record", "--source", "x11::0", "--region", "1281x720+0+0", "--out", (dir.path() / "r").string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("--region"), std::string::npos) << result.err;
  result = run_process({NETSAMPLE_BIN, "record", "--source", "gdigrab:desktop", "--out", (dir.path() / "r").string(), "--ntp", "127.0.0.1:1"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("Windows"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(dir.path() / "r" / "recording.mp4"));
}

TEST(RecordCommandTest, MarkWithoutARunningRecorderSaysSo) {
  TempDir dir;
  const auto result = run_process({NETSAMPLE_BIN, "record", "mark", dir.path().string(), "search"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("没有录制程序"), std::string::npos) << result.err;
}

TEST(RecordCommandTest, AnUnknownScreenIsAClearError) {
  TempDir dir;
  const auto result = run_process({NETSAMPLE_BIN, "record", "--source", "x11::4321", "--out", (dir.path() / "r").string(), "--ntp", "127.0.0.1:1"});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("x11::4321"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace netsample::testing
