#include "h264_encoder.h"

#include <cstdlib>
#include <cstring>

extern "C" {
#include <x264.h>
}

namespace netsample::recorder {

void H264Encoder::Close::operator()(x264_t* encoder) const { x264_encoder_close(encoder); }

Result<std::unique_ptr<H264Encoder>> H264Encoder::open(const H264Settings& settings) {
  if (settings.width <= 0 || settings.height <= 0 || settings.width % 2 || settings.height % 2)
    return make_error(ErrorCode::internal, "encoder", "H.264 4:2:0 的画面宽高必须是正偶数");
  x264_param_t param;
  if (x264_param_default_preset(&param, settings.preset.c_str(), "zerolatency") < 0)
    return make_error(ErrorCode::invalid_input, "encoder", "x264 没有预设 " + settings.preset);
  param.i_csp = X264_CSP_I420;
  param.i_bitdepth = 8;
  param.i_width = settings.width;
  param.i_height = settings.height;
  param.i_fps_num = static_cast<uint32_t>(settings.fps);
  param.i_fps_den = 1;
  param.i_timebase_num = 1;  // pts in ms, as the file's timeline
  param.i_timebase_den = 1000;
  param.i_keyint_max = settings.fps * 10;  // keyframes are forced at every fragment start; this is only the cap
  param.i_bframe = 0;
  param.i_threads = X264_THREADS_AUTO;
  param.rc.i_rc_method = X264_RC_CRF;
  param.rc.f_rf_constant = static_cast<float>(settings.crf);
  param.b_repeat_headers = 0;  // SPS/PPS in the init segment (MP4)
  param.b_annexb = 1;
  param.analyse.b_mb_info = 1;  // the unchanged macroblocks we pass with each picture
  param.i_log_level = X264_LOG_NONE;
  int sar_num = std::max(1, settings.sample_aspect_ratio.num), sar_den = std::max(1, settings.sample_aspect_ratio.den);
  av_reduce(&sar_num, &sar_den, sar_num, sar_den, 65535);
  param.vui.i_sar_width = sar_num;
  param.vui.i_sar_height = sar_den;

  std::unique_ptr<H264Encoder> encoder(new H264Encoder());
  encoder->x264_.reset(x264_encoder_open(&param));
  if (!encoder->x264_) return make_error(ErrorCode::internal, "encoder", "无法打开 H.264 编码器（x264）");
  encoder->width_ = settings.width;
  encoder->height_ = settings.height;
  x264_nal_t* nals = nullptr;
  int count = 0;
  if (x264_encoder_headers(encoder->x264_.get(), &nals, &count) < 0)
    return make_error(ErrorCode::internal, "encoder", "x264 没有给出序列头（SPS/PPS）");
  for (int i = 0; i < count; ++i) {
    const std::string nal(reinterpret_cast<const char*>(nals[i].p_payload), static_cast<size_t>(nals[i].i_payload));
    (nals[i].i_type == NAL_SEI ? encoder->sei_ : encoder->extradata_) += nal;
  }
  return encoder;
}

H264Encoder::~H264Encoder() = default;

Result<av::Packet> H264Encoder::packet_from(int size, void* nals_out, const void* picture_out) {
  if (size < 0) return make_error(ErrorCode::internal, "encoder", "H.264 编码失败（x264）");
  if (size == 0) return av::Packet();
  const auto* nals = static_cast<x264_nal_t*>(nals_out);
  const auto* out = static_cast<const x264_picture_t*>(picture_out);
  av::Packet packet = av::make_packet();
  const size_t extra = sei_.size();
  if (av_new_packet(packet.get(), size + static_cast<int>(extra)) < 0) return make_error(ErrorCode::internal, "encoder", "内存不足");
  std::memcpy(packet->data, sei_.data(), extra);
  std::memcpy(packet->data + extra, nals[0].p_payload, static_cast<size_t>(size));  // a picture's NAL units are contiguous
  sei_.clear();
  packet->pts = out->i_pts;
  packet->dts = out->i_dts;
  if (out->b_keyframe) packet->flags |= AV_PKT_FLAG_KEY;
  return packet;
}

Result<av::Packet> H264Encoder::encode(const AVFrame& picture, std::int64_t pts_ms, bool keyframe, const std::uint8_t* constant) {
  x264_picture_t in;
  x264_picture_init(&in);
  in.img.i_csp = X264_CSP_I420;
  in.img.i_plane = 3;
  for (int p = 0; p < 3; ++p) {
    in.img.plane[p] = picture.data[p];
    in.img.i_stride[p] = picture.linesize[p];
  }
  in.i_pts = pts_ms;
  in.i_type = keyframe ? X264_TYPE_IDR : X264_TYPE_AUTO;
  if (constant) {
    // x264 frees the array when it is done with the picture (it may keep it past this call).
    const size_t count = static_cast<size_t>(macroblock_columns()) * static_cast<size_t>(macroblock_rows());
    auto* info = static_cast<std::uint8_t*>(std::malloc(count));
    if (!info) return make_error(ErrorCode::internal, "encoder", "内存不足");
    for (size_t i = 0; i < count; ++i) info[i] = constant[i] ? X264_MBINFO_CONSTANT : 0;
    in.prop.mb_info = info;
    in.prop.mb_info_free = std::free;
  }
  x264_nal_t* nals = nullptr;
  int count = 0;
  x264_picture_t out;
  const int size = x264_encoder_encode(x264_.get(), &nals, &count, &in, &out);
  return packet_from(size, nals, &out);
}

Result<av::Packet> H264Encoder::flush() {
  if (x264_encoder_delayed_frames(x264_.get()) <= 0) return av::Packet();
  x264_nal_t* nals = nullptr;
  int count = 0;
  x264_picture_t out;
  const int size = x264_encoder_encode(x264_.get(), &nals, &count, nullptr, &out);
  return packet_from(size, nals, &out);
}

}  // namespace netsample::recorder
