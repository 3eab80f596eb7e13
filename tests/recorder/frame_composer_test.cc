// The frame the encoder gets: converting only the macroblocks that changed gives exactly the frame a whole
// conversion gives, the unchanged map never calls a changed macroblock unchanged, and the stamp strip covers none
// of the picture (issue #21).
#include "frame_composer.h"

#include <gtest/gtest.h>
#include <libyuv/convert_from_argb.h>

#include <cstring>
#include <random>

#include "stamp_strip.h"

namespace netsample::recorder {
namespace {

// A 32-bit BGR screen that changes in rectangles, as a page does.
struct Screen {
  int width, height;
  av::Frame frame;
  Screen(int w, int h) : width(w), height(h), frame(av::make_frame()) {
    frame->format = AV_PIX_FMT_BGR0;
    frame->width = w;
    frame->height = h;
    EXPECT_EQ(av_frame_get_buffer(frame.get(), 32), 0);
  }
  // A new frame (the grabber hands a new buffer each time): a copy of this one, then `change` applied.
  av::Frame next() {
    av::Frame copy = av::make_frame();
    copy->format = frame->format;
    copy->width = width;
    copy->height = height;
    EXPECT_EQ(av_frame_get_buffer(copy.get(), 32), 0);
    av_frame_copy(copy.get(), frame.get());
    return copy;
  }
  static void paint(AVFrame& f, int x, int y, int w, int h, std::mt19937& random) {
    for (int row = y; row < y + h; ++row)
      for (int column = x; column < x + w; ++column)
        for (int c = 0; c < 4; ++c) f.data[0][row * f.linesize[0] + column * 4 + c] = static_cast<std::uint8_t>(random());
  }
};

bool planes_equal(const AVFrame& a, const AVFrame& b, std::string& where) {
  for (int p = 0; p < 3; ++p) {
    const int rows = p ? a.height / 2 : a.height, bytes = p ? a.width / 2 : a.width;
    for (int row = 0; row < rows; ++row)
      if (std::memcmp(a.data[p] + row * a.linesize[p], b.data[p] + row * b.linesize[p], static_cast<size_t>(bytes)) != 0) {
        where = "plane " + std::to_string(p) + " row " + std::to_string(row);
        return false;
      }
  }
  return true;
}

// Every macroblock whose Y, U or V samples differ between two frames.
std::vector<bool> differing_macroblocks(const AVFrame& a, const AVFrame& b) {
  const int columns = (a.width + 15) / 16, rows = (a.height + 15) / 16;
  std::vector<bool> differs(static_cast<size_t>(columns * rows), false);
  for (int p = 0; p < 3; ++p) {
    const int shift = p ? 1 : 0, size = 16 >> shift;
    for (int y = 0; y < (a.height >> shift); ++y)
      for (int x = 0; x < (a.width >> shift); ++x)
        if (a.data[p][y * a.linesize[p] + x] != b.data[p][y * b.linesize[p] + x]) differs[static_cast<size_t>((y / size) * columns + x / size)] = true;
  }
  return differs;
}

TEST(FrameComposer, ChangedMacroblocksOnlyGiveTheWholeConversionExactly) {
  // Odd sizes: 1367 wide (a part macroblock and an odd column, dropped), 771 tall.
  const int width = 1367, height = 771, strip_height = 64;
  std::mt19937 random(21);
  Screen screen(width, height);
  Screen::paint(*screen.frame, 0, 0, width, height, random);
  auto tracked = FrameComposer::create({width, height, AV_PIX_FMT_BGR0, strip_height, true});
  auto whole = FrameComposer::create({width, height, AV_PIX_FMT_BGR0, strip_height, false});
  ASSERT_TRUE(tracked.ok() && whole.ok());
  std::vector<std::uint8_t> strip(static_cast<size_t>(width) * 4 * strip_height, 40);
  av::Frame before = av::make_frame();
  for (int n = 0; n < 60; ++n) {
    av::Frame frame = screen.next();
    const int kind = n % 6;
    if (kind == 1) Screen::paint(*frame, width - 1 - 1, height - 2, 1, 1, random);          // the last kept pixel
    if (kind == 2) Screen::paint(*frame, 17, 33, 1, 1, random);                             // one pixel at odd coordinates
    if (kind == 3) Screen::paint(*frame, 0, 0, width, height, random);                      // everything
    if (kind == 4)                                                                          // a few rectangles
      for (int r = 0; r < 5; ++r) {
        const int w = 1 + static_cast<int>(random() % 300), h = 1 + static_cast<int>(random() % 200);
        Screen::paint(*frame, static_cast<int>(random() % (width - w)), static_cast<int>(random() % (height - h)), w, h, random);
      }
    if (kind == 5) strip[static_cast<size_t>(random() % (static_cast<size_t>(width) * 4 * 16))] ^= 0x55;  // the strip alone
    // kind 0: nothing changed
    av_frame_copy(screen.frame.get(), frame.get());
    // The strip says what it drew: all of it on the first frame, else a band of line one (and what changed is in it).
    const StampStrip::Image image{strip.data(), width * 4, 0, 0, width, n == 0 ? strip_height : 16};
    auto a = tracked->compose(image, *frame);
    auto b = whole->compose(image, *frame);
    ASSERT_TRUE(a.ok() && b.ok());
    std::string where;
    ASSERT_TRUE(planes_equal(**a, **b, where)) << "frame " << n << " (kind " << kind << "): " << where;
    // The strip's rows are a whole conversion of the strip too (both composers take the strip the same way).
    av::Frame strip_alone = av::make_frame();
    strip_alone->format = AV_PIX_FMT_YUV420P;
    strip_alone->width = width & ~1;
    strip_alone->height = strip_height;
    ASSERT_EQ(av_frame_get_buffer(strip_alone.get(), 32), 0);
    libyuv::ARGBToI420(strip.data(), width * 4, strip_alone->data[0], strip_alone->linesize[0], strip_alone->data[1],
                       strip_alone->linesize[1], strip_alone->data[2], strip_alone->linesize[2], width & ~1, strip_height);
    av::Frame strip_rows = av::make_frame();
    ASSERT_EQ(av_frame_ref(strip_rows.get(), *a), 0);
    strip_rows->height = strip_height;  // the first rows of the composed frame
    ASSERT_TRUE(planes_equal(*strip_rows, *strip_alone, where)) << "frame " << n << " (kind " << kind << ") strip: " << where;
    if (n > 0) {  // no changed macroblock is ever called unchanged
      const auto differs = differing_macroblocks(**a, *before);
      const auto& unchanged = tracked->unchanged();
      ASSERT_EQ(unchanged.size(), differs.size());
      for (size_t i = 0; i < differs.size(); ++i) {
        ASSERT_FALSE(differs[i] && unchanged[i]) << "frame " << n << " macroblock " << i << " changed but marked unchanged";
      }
      if (kind == 0) {
        EXPECT_EQ(tracked->converted_share(), 0) << "a still screen converts nothing";
      }
      if (kind == 3) {
        EXPECT_EQ(tracked->converted_share(), 1);
      }
    }
    av_frame_unref(before.get());
    av_frame_ref(before.get(), b.value());
    ASSERT_EQ(av_frame_make_writable(before.get()), 0);  // a copy: the composer reuses its frame
  }
}

TEST(StampStrip, TheTimeFrameAndCaseAboveThePictureAndCaptionsInTurn) {
  auto strip = StampStrip::create(1280, 720, "渝抽〔2026〕001");
  ASSERT_TRUE(strip.ok()) << strip.error().describe();
  StampStrip& s = **strip;
  EXPECT_EQ(s.height() % 16, 0);
  EXPECT_GE(s.height(), 2 * s.line_height());
  EXPECT_LE(s.height(), 720 / 8) << "a band, not a second picture";
  // 2026-12-05 15:04:05.678 UTC is 23:04:05.678 in Beijing.
  const std::int64_t utc_us = 1796483045678000;
  EXPECT_EQ(s.stamp_text(42, utc_us), "北京时间 2026-12-05 23:04:05.678   帧 42   案件 渝抽〔2026〕001");

  auto count = [&](const StampStrip::Image& image, int y0, int y1, auto predicate) {
    int n = 0;
    for (int y = y0; y < y1; ++y)
      for (int x = 0; x < s.width(); ++x) {
        const std::uint8_t* p = image.pixels + y * image.stride + x * 4;
        n += predicate(p[2], p[1], p[0]);
      }
    return n;
  };
  auto white = [](int r, int g, int b) { return r > 200 && g > 200 && b > 200; };
  auto red = [](int r, int g, int b) { return r > 150 && g < 60 && b < 60; };  // NOLINT
  auto blue = [](int r, int, int b) { return b > 100 && r < 40; };
  const StampStrip::Image plain = s.render(42, utc_us, 0);
  EXPECT_GT(count(plain, 0, s.line_height(), white), 200) << "the stamp is drawn on line one";
  EXPECT_EQ(count(plain, 0, s.height(), red), 0);
  EXPECT_EQ(count(plain, s.line_height(), s.height(), blue), 0) << "no caption yet";

  s.show_unverified_mark(true);
  s.set_caption("网络校时（第三十五条）：ntp.example 层级 1\n本机时差 +0.002 秒");
  const StampStrip::Image marked = s.render(43, utc_us, 1000);
  EXPECT_GT(count(marked, 0, s.line_height(), red), 1000) << "「时间未经网络校验」 in red";
  const int first_line = count(marked, s.line_height(), s.height(), white);
  EXPECT_GT(count(marked, s.line_height(), s.height(), blue), 1000);
  EXPECT_GT(first_line, 100);
  s.render(44, utc_us, 3100);  // the second line after two seconds, then nothing
  const StampStrip::Image after = s.render(45, utc_us, 1000 + 2 * StampStrip::kCaptionLineSeconds * 1000 + 1);
  EXPECT_EQ(count(after, s.line_height(), s.height(), blue), 0) << "a caption shows each line once";
}

TEST(StampStrip, DrawingOnlyTheTimeGivesWhatDrawingItAllGives) {
  auto incremental = StampStrip::create(1920, 1080, "渝抽〔2026〕001");
  ASSERT_TRUE(incremental.ok());
  (*incremental)->show_unverified_mark(true);
  (*incremental)->set_caption("取证环境检查：未发现异常\n[正常] 浏览器：全新配置");
  const std::int64_t utc_us = 1796483045678000;
  const auto first = (*incremental)->render(9, utc_us, 0);
  EXPECT_EQ(first.dirty_width * first.dirty_height, 1920 * (*incremental)->height()) << "the first frame draws it all";
  for (std::int64_t frame : {10, 11, 99, 100, 1000}) {  // the frame number grows wider and the time changes
    const auto image = (*incremental)->render(frame, utc_us + frame * 66'667, frame);
    EXPECT_LE(image.dirty_height, (*incremental)->line_height());
    EXPECT_LT(image.dirty_width, 1920 * 3 / 4) << "only the stamp's text, not the mark";
    auto whole = StampStrip::create(1920, 1080, "渝抽〔2026〕001");
    ASSERT_TRUE(whole.ok());
    (*whole)->show_unverified_mark(true);
    (*whole)->set_caption("取证环境检查：未发现异常\n[正常] 浏览器：全新配置");
    (*whole)->render(frame - 1, utc_us, 0);  // the caption's clock starts where the other's did
    const auto reference = (*whole)->render(frame, utc_us + frame * 66'667, frame);
    for (int y = 0; y < (*whole)->height(); ++y)
      for (int x = 0; x < 1920; ++x)
        ASSERT_EQ(std::memcmp(image.pixels + y * image.stride + x * 4, reference.pixels + y * image.stride + x * 4, 4), 0)
            << "frame " << frame << " differs at x " << x << " y " << y << " (dirty " << image.dirty_width << "x" << image.dirty_height << ")";
  }
}

}  // namespace
}  // namespace netsample::recorder
