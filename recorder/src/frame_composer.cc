#include "frame_composer.h"

#include <libyuv/convert_from_argb.h>

#include <algorithm>
#include <cstring>

namespace netsample::recorder {

Result<FrameComposer> FrameComposer::create(const ComposerSettings& settings) {
  FrameComposer composer;
  composer.width_ = settings.width & ~1;
  composer.picture_height_ = settings.height & ~1;
  composer.strip_height_ = settings.strip_height;
  composer.pixel_format_ = settings.pixel_format;
  composer.track_changes_ = settings.track_changes;
  // libyuv's "ARGB" is B, G, R, A in memory: FFmpeg's bgra and bgr0, what screen grabbers deliver.
  composer.packed_bgr_ = settings.pixel_format == AV_PIX_FMT_BGRA || settings.pixel_format == AV_PIX_FMT_BGR0;
  if (composer.width_ <= 0 || composer.picture_height_ <= 0 || composer.strip_height_ % 16)
    return make_error(ErrorCode::internal, "overlay", "画面尺寸无效");
  composer.frame_ = av::make_frame();
  composer.frame_->format = AV_PIX_FMT_YUV420P;
  composer.frame_->width = composer.width_;
  composer.frame_->height = composer.height();
  if (av_frame_get_buffer(composer.frame_.get(), 32) < 0) return make_error(ErrorCode::internal, "overlay", "内存不足");
  if (!composer.packed_bgr_) {
    composer.sws_.reset(sws_getContext(composer.width_, composer.picture_height_, settings.pixel_format, composer.width_,
                                       composer.picture_height_, AV_PIX_FMT_YUV420P, SWS_FAST_BILINEAR, nullptr, nullptr, nullptr));
    if (!composer.sws_)
      return make_error(ErrorCode::invalid_input, "--source",
                        std::string("无法转换录制来源的像素格式 ") + (av_get_pix_fmt_name(settings.pixel_format) ? av_get_pix_fmt_name(settings.pixel_format) : "?"));
  }
  composer.unchanged_.assign(static_cast<size_t>(composer.macroblock_columns()) * static_cast<size_t>(composer.macroblock_rows()), 0);
  return composer;
}

void FrameComposer::convert_block(const std::uint8_t* source, int stride, int x, int y, int w, int h, int frame_y) {
  AVFrame& f = *frame_;
  libyuv::ARGBToI420(source + static_cast<std::ptrdiff_t>(y) * stride + x * 4, stride,
                     f.data[0] + static_cast<std::ptrdiff_t>(frame_y) * f.linesize[0] + x, f.linesize[0],
                     f.data[1] + static_cast<std::ptrdiff_t>(frame_y / 2) * f.linesize[1] + x / 2, f.linesize[1],
                     f.data[2] + static_cast<std::ptrdiff_t>(frame_y / 2) * f.linesize[2] + x / 2, f.linesize[2], w, h);
}

void FrameComposer::convert_strip(const StampStrip::Image& strip) {
  // Only the macroblocks the strip drew again are compared and converted (mostly the time on line one).
  const int columns = macroblock_columns();
  const size_t bytes = static_cast<size_t>(strip.stride) * static_cast<size_t>(strip_height_);
  const bool comparable = previous_strip_.size() == bytes;
  if (!comparable) previous_strip_.assign(bytes, 0);
  const int first_column = comparable ? strip.dirty_x / 16 : 0;
  const int end_column = comparable ? std::min(columns, (strip.dirty_x + strip.dirty_width + 15) / 16) : columns;
  const int first_row = comparable ? strip.dirty_y / 16 : 0;
  const int end_row = comparable ? std::min(strip_height_ / 16, (strip.dirty_y + strip.dirty_height + 15) / 16) : strip_height_ / 16;
  for (int row = 0; row < strip_height_ / 16; ++row)
    for (int column = 0; column < columns; ++column) {
      bool same = true;
      if (row >= first_row && row < end_row && column >= first_column && column < end_column) {
        same = comparable;
        const int x = column * 16, w = std::min(16, width_ - x);
        for (int line = row * 16; same && line < row * 16 + 16; ++line) {
          const size_t at = static_cast<size_t>(line) * static_cast<size_t>(strip.stride) + static_cast<size_t>(x) * 4;
          same = std::memcmp(strip.pixels + at, previous_strip_.data() + at, static_cast<size_t>(w) * 4) == 0;
        }
      }
      unchanged_[static_cast<size_t>(row) * columns + column] = same;
    }
  if (end_column <= first_column || end_row <= first_row) return;
  const int x = first_column * 16, w = std::min(end_column * 16, width_) - x, y = first_row * 16, h = (end_row - first_row) * 16;
  convert_block(strip.pixels, strip.stride, x, y, w, h, y);
  for (int line = y; line < y + h; ++line) {
    const size_t at = static_cast<size_t>(line) * static_cast<size_t>(strip.stride) + static_cast<size_t>(x) * 4;
    std::memcpy(previous_strip_.data() + at, strip.pixels + at, static_cast<size_t>(w) * 4);
  }
}

void FrameComposer::convert_tracked(const AVFrame& captured) {
  const int columns = macroblock_columns();
  const int first_row = strip_height_ / 16;
  const size_t line_bytes = static_cast<size_t>(width_) * 4;
  size_t converted = 0, total = 0;
  for (int row = 0; row * 16 < picture_height_; ++row) {
    const int top = row * 16, rows = std::min(16, picture_height_ - top);
    changed_row_.assign(static_cast<size_t>(columns), 0);
    int changed = 0;
    for (int line = top; line < top + rows && changed < columns; ++line) {
      const std::uint8_t* now = captured.data[0] + static_cast<std::ptrdiff_t>(line) * captured.linesize[0];
      const std::uint8_t* before = previous_->data[0] + static_cast<std::ptrdiff_t>(line) * previous_->linesize[0];
      if (std::memcmp(now, before, line_bytes) == 0) continue;  // most lines of a still page: one comparison
      for (int column = 0; column < columns; ++column) {
        if (changed_row_[static_cast<size_t>(column)]) continue;
        const size_t at = static_cast<size_t>(column) * 64;
        if (std::memcmp(now + at, before + at, std::min<size_t>(64, line_bytes - at)) != 0) {
          changed_row_[static_cast<size_t>(column)] = 1;
          ++changed;
        }
      }
    }
    for (int column = 0; column < columns;) {  // convert each run of changed macroblocks in one call
      unchanged_[static_cast<size_t>(first_row + row) * columns + column] = !changed_row_[static_cast<size_t>(column)];
      if (!changed_row_[static_cast<size_t>(column)]) {
        ++column;
        continue;
      }
      int end = column + 1;
      while (end < columns && changed_row_[static_cast<size_t>(end)]) {
        unchanged_[static_cast<size_t>(first_row + row) * columns + end] = 0;
        ++end;
      }
      const int x = column * 16, w = std::min(end * 16, width_) - x;
      convert_block(captured.data[0], captured.linesize[0], x, top, w, rows, strip_height_ + top);
      column = end;
    }
    converted += static_cast<size_t>(changed);
    total += static_cast<size_t>(columns);
  }
  converted_share_ = total ? static_cast<double>(converted) / static_cast<double>(total) : 0;
}

Status FrameComposer::convert_whole(const AVFrame& captured) {
  AVFrame& f = *frame_;
  if (packed_bgr_) {
    convert_block(captured.data[0], captured.linesize[0], 0, 0, width_, picture_height_, strip_height_);
  } else {
    std::uint8_t* planes[4] = {f.data[0] + static_cast<std::ptrdiff_t>(strip_height_) * f.linesize[0],
                               f.data[1] + static_cast<std::ptrdiff_t>(strip_height_ / 2) * f.linesize[1],
                               f.data[2] + static_cast<std::ptrdiff_t>(strip_height_ / 2) * f.linesize[2], nullptr};
    if (sws_scale(sws_.get(), captured.data, captured.linesize, 0, picture_height_, planes, f.linesize) <= 0)
      return make_error(ErrorCode::internal, "overlay", "画面格式转换失败");
  }
  const int columns = macroblock_columns();
  std::fill(unchanged_.begin() + static_cast<std::ptrdiff_t>(strip_height_ / 16) * columns, unchanged_.end(), 0);
  converted_share_ = 1;
  return {};
}

Result<const AVFrame*> FrameComposer::compose(const StampStrip::Image& strip, const AVFrame& captured) {
  if ((captured.width & ~1) != width_ || (captured.height & ~1) != picture_height_ || captured.format != pixel_format_)
    return make_error(ErrorCode::invalid_input, "--source", "录制来源的画面尺寸或格式在录制中变了，不能接续同一段录像");
  convert_strip(strip);
  if (packed_bgr_ && track_changes_ && previous_) convert_tracked(captured);
  else NETSAMPLE_TRY(convert_whole(captured));
  if (packed_bgr_ && track_changes_) previous_.reset(av_frame_clone(&captured));
  return static_cast<const AVFrame*>(frame_.get());
}

}  // namespace netsample::recorder
