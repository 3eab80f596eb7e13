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

int FrameComposer::convert_changed(const std::uint8_t* now, int now_stride, const std::uint8_t* before, int before_stride,
                                   int top, int bottom, int first_column, int end_column, int frame_offset) {
  const int columns = macroblock_columns();
  const size_t span_start = static_cast<size_t>(first_column) * 64;
  const size_t span_bytes = static_cast<size_t>(std::min(end_column * 16, width_)) * 4 - span_start;
  const int span_columns = end_column - first_column;
  int converted = 0;
  for (int row_top = top; row_top < bottom; row_top += 16) {
    const int rows = std::min(16, bottom - row_top);
    changed_row_.assign(static_cast<size_t>(columns), 0);
    int changed = 0;
    for (int line = row_top; line < row_top + rows && changed < span_columns; ++line) {
      const std::uint8_t* a = now + static_cast<std::ptrdiff_t>(line) * now_stride + span_start;
      const std::uint8_t* b = before + static_cast<std::ptrdiff_t>(line) * before_stride + span_start;
      if (std::memcmp(a, b, span_bytes) == 0) continue;  // most lines of a still page: one comparison
      for (int column = first_column; column < end_column; ++column) {
        if (changed_row_[static_cast<size_t>(column)]) continue;
        const size_t at = static_cast<size_t>(column - first_column) * 64;
        if (std::memcmp(a + at, b + at, std::min<size_t>(64, span_bytes - at)) != 0) {
          changed_row_[static_cast<size_t>(column)] = 1;
          ++changed;
        }
      }
    }
    const size_t row_index = static_cast<size_t>((frame_offset + row_top) / 16) * static_cast<size_t>(columns);
    for (int column = first_column; column < end_column;) {  // convert each run of changed macroblocks in one call
      unchanged_[row_index + static_cast<size_t>(column)] = !changed_row_[static_cast<size_t>(column)];
      if (!changed_row_[static_cast<size_t>(column)]) {
        ++column;
        continue;
      }
      int end = column + 1;
      while (end < end_column && changed_row_[static_cast<size_t>(end)]) {
        unchanged_[row_index + static_cast<size_t>(end)] = 0;
        ++end;
      }
      const int x = column * 16, w = std::min(end * 16, width_) - x;
      convert_block(now, now_stride, x, row_top, w, rows, frame_offset + row_top);
      column = end;
    }
    converted += changed;
  }
  return converted;
}

void FrameComposer::convert_strip(const StampStrip::Image& strip) {
  const int columns = macroblock_columns(), strip_rows = strip_height_ / 16;
  const size_t bytes = static_cast<size_t>(strip.stride) * static_cast<size_t>(strip_height_);
  if (previous_strip_.size() != bytes) {  // the first frame: all of it
    convert_block(strip.pixels, strip.stride, 0, 0, width_, strip_height_, 0);
    std::fill(unchanged_.begin(), unchanged_.begin() + static_cast<std::ptrdiff_t>(strip_rows) * columns, 0);
    previous_strip_.assign(strip.pixels, strip.pixels + bytes);
    return;
  }
  // Only the macroblocks the strip drew again are compared and converted (mostly the time on line one).
  std::fill(unchanged_.begin(), unchanged_.begin() + static_cast<std::ptrdiff_t>(strip_rows) * columns, 1);
  const int first_column = strip.dirty_x / 16, end_column = std::min(columns, (strip.dirty_x + strip.dirty_width + 15) / 16);
  const int top = strip.dirty_y / 16 * 16, bottom = std::min(strip_height_, (strip.dirty_y + strip.dirty_height + 15) / 16 * 16);
  if (end_column <= first_column || bottom <= top) return;
  convert_changed(strip.pixels, strip.stride, previous_strip_.data(), strip.stride, top, bottom, first_column, end_column, 0);
  const size_t x_bytes = static_cast<size_t>(first_column) * 64;
  const size_t w_bytes = static_cast<size_t>(std::min(end_column * 16, width_)) * 4 - x_bytes;
  for (int line = top; line < bottom; ++line) {
    const size_t at = static_cast<size_t>(line) * static_cast<size_t>(strip.stride) + x_bytes;
    std::memcpy(previous_strip_.data() + at, strip.pixels + at, w_bytes);
  }
}

void FrameComposer::convert_tracked(const AVFrame& captured) {
  const int changed = convert_changed(captured.data[0], captured.linesize[0], previous_->data[0], previous_->linesize[0], 0,
                                      picture_height_, 0, macroblock_columns(), strip_height_);
  const int total = macroblock_columns() * ((picture_height_ + 15) / 16);
  converted_share_ = static_cast<double>(changed) / static_cast<double>(total);
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
