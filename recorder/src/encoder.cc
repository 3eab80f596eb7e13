#include "encoder.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace netsample::recorder {
namespace fs = std::filesystem;

namespace {
constexpr AVRational kMillisecond{1, 1000};
}  // namespace

Result<std::unique_ptr<FragmentedEncoder>> FragmentedEncoder::open(const EncoderSettings& settings, const fs::path& media,
                                                                   std::function<void()> on_write, FragmentSink on_fragment) {
  std::unique_ptr<FragmentedEncoder> encoder(new FragmentedEncoder());
  encoder->on_write_ = std::move(on_write);
  encoder->on_fragment_ = std::move(on_fragment);
  encoder->preset_ = settings.preset;
  encoder->preset_crf_ = settings.crf;
  encoder->fps_ = settings.fps;
  NETSAMPLE_ASSIGN(encoder->strip_, StampStrip::create(settings.width & ~1, settings.height & ~1, settings.case_number));
  ComposerSettings composing{settings.width, settings.height, settings.pixel_format, encoder->strip_->height(), settings.track_changes};
  NETSAMPLE_ASSIGN(FrameComposer composer, FrameComposer::create(composing));
  encoder->composer_ = std::make_unique<FrameComposer>(std::move(composer));
  H264Settings h264{encoder->composer_->width(), encoder->composer_->height(), settings.fps, settings.preset, settings.crf,
                    settings.sample_aspect_ratio};
  NETSAMPLE_ASSIGN(encoder->encoder_, H264Encoder::open(h264));
  NETSAMPLE_TRY(encoder->open_muxer(settings, media));
  return encoder;
}

FragmentedEncoder::~FragmentedEncoder() = default;

int FragmentedEncoder::write_callback(void* opaque, std::uint8_t* data, int size) {
  auto* self = static_cast<FragmentedEncoder*>(opaque);
  if (!self->write_error_.ok()) return AVERROR(EIO);
  Status written = write_all(self->fd_.get(), std::string_view(reinterpret_cast<const char*>(data), static_cast<size_t>(size)), self->media_);
  if (!written.ok()) {
    self->write_error_ = written;
    return AVERROR(EIO);
  }
  self->fragment_hash_.update(data, static_cast<size_t>(size));
  self->bytes_written_ += static_cast<std::uint64_t>(size);
  if (self->on_write_) self->on_write_();
  return size;
}

Status FragmentedEncoder::open_muxer(const EncoderSettings& settings, const fs::path& media) {
  media_ = media;
  fd_ = UniqueFd(::open(media.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd_.valid()) return io_error(media, "无法新建录像文件（已存在的录像不会被覆盖或续写）");
  AVFormatContext* raw = nullptr;
  int rc = avformat_alloc_output_context2(&raw, nullptr, "mp4", nullptr);
  if (rc < 0) return av::failure(ErrorCode::internal, "muxer", "无法建立 MP4 封装", rc);
  muxer_.reset(raw);
  constexpr int kBufferSize = 1 << 16;
  auto* buffer = static_cast<unsigned char*>(av_malloc(kBufferSize));
  io_.reset(avio_alloc_context(buffer, kBufferSize, 1, this, nullptr, &FragmentedEncoder::write_callback, nullptr));
  muxer_->pb = io_.get();
  muxer_->flags |= AVFMT_FLAG_CUSTOM_IO;
  AVStream* stream = avformat_new_stream(muxer_.get(), nullptr);
  AVCodecParameters& codec = *stream->codecpar;
  codec.codec_type = AVMEDIA_TYPE_VIDEO;
  codec.codec_id = AV_CODEC_ID_H264;
  codec.format = AV_PIX_FMT_YUV420P;
  codec.width = composer_->width();
  codec.height = composer_->height();
  codec.sample_aspect_ratio = AVRational{std::max(1, settings.sample_aspect_ratio.num), std::max(1, settings.sample_aspect_ratio.den)};
  const std::string& headers = encoder_->extradata();
  codec.extradata = static_cast<std::uint8_t*>(av_mallocz(headers.size() + AV_INPUT_BUFFER_PADDING_SIZE));
  if (!codec.extradata) return make_error(ErrorCode::internal, "muxer", "内存不足");
  std::memcpy(codec.extradata, headers.data(), headers.size());
  codec.extradata_size = static_cast<int>(headers.size());
  stream->time_base = kMillisecond;
  stream->avg_frame_rate = AVRational{settings.fps, 1};
  if (!settings.creation_time.empty()) av_dict_set(&muxer_->metadata, "creation_time", settings.creation_time.c_str(), 0);
  if (!settings.case_number.empty()) av_dict_set(&muxer_->metadata, "title", settings.case_number.c_str(), 0);
  av_dict_set(&muxer_->metadata, "encoder", "netsample", 0);
  av::Options options;
  // Fragments are cut by us (frag_custom) at the keyframe we force about every second; the init segment
  // has an empty moov, so every fragment written is playable without a trailer (none is written).
  options.set("movflags", "frag_custom+empty_moov+default_base_moof+skip_trailer");
  if ((rc = avformat_write_header(muxer_.get(), options.get())) < 0)
    return write_error_.ok() ? av::failure(ErrorCode::internal, "muxer", "无法写入 MP4 文件头", rc) : write_error_.error();
  avio_flush(io_.get());
  NETSAMPLE_TRY(write_error_);
  return cut_fragment();  // the init segment (ftyp + moov) is fragment 0
}

Status FragmentedEncoder::cut_fragment() {
  if (fragment_first_ >= 0) {
    const int rc = av_write_frame(muxer_.get(), nullptr);  // frag_custom: write the buffered moof + mdat now
    if (rc < 0) return write_error_.ok() ? av::failure(ErrorCode::io, media_.string(), "写入片段失败", rc) : write_error_.error();
  }
  avio_flush(io_.get());
  NETSAMPLE_TRY(write_error_);
  if (bytes_written_ == fragment_offset_) return {};
  if (::fdatasync(fd_.get()) != 0) return io_error(media_, "录像文件同步（fsync）失败");
  FragmentInput fragment{fragment_offset_, bytes_written_ - fragment_offset_, fragment_hash_.finish(),
                         fragment_first_, fragment_last_, fragment_start_us_, fragment_end_us_};
  fragment_hash_ = Sha256();
  fragment_offset_ = bytes_written_;
  fragment_first_ = fragment_last_ = -1;
  fragment_start_us_ = fragment_end_us_ = 0;
  return on_fragment_(fragment);
}

Status FragmentedEncoder::write_packet(av::Packet packet) {
  if (!packet) return {};
  if (in_encoder_.empty()) return make_error(ErrorCode::internal, "encoder", "编码器输出了未送入的帧");
  const FrameStamp stamp = in_encoder_.front();
  in_encoder_.pop_front();
  // A sample's duration in the file is the time to the next frame, so the container's frame times are
  // the capture times even across a gap at a fragment boundary: hold each packet until the next arrives.
  if (held_) {
    held_->duration = packet->pts - held_->pts;
    NETSAMPLE_TRY(write_held());
  }
  if (stamp.starts_fragment && (packet->flags & AV_PKT_FLAG_KEY) && fragment_first_ >= 0) NETSAMPLE_TRY(cut_fragment());
  held_ = std::move(packet);
  held_stamp_ = stamp;
  return {};
}

Status FragmentedEncoder::write_held() {
  const FrameStamp& stamp = held_stamp_;
  if (fragment_first_ < 0) {
    fragment_first_ = stamp.index;
    fragment_start_us_ = stamp.utc_us;
  }
  fragment_last_ = stamp.index;
  fragment_end_us_ = stamp.utc_us;
  held_->stream_index = 0;
  av_packet_rescale_ts(held_.get(), kMillisecond, muxer_->streams[0]->time_base);
  const int rc = av_write_frame(muxer_.get(), held_.get());
  held_.reset();
  if (rc < 0) return write_error_.ok() ? av::failure(ErrorCode::io, media_.string(), "写入录像失败", rc) : write_error_.error();
  return {};
}

void FragmentedEncoder::show_unverified_mark(bool shown) { strip_->show_unverified_mark(shown); }

Status FragmentedEncoder::set_caption(const std::string& text) {
  strip_->set_caption(text);
  return {};
}

Result<const AVFrame*> FragmentedEncoder::add(const AVFrame& captured, const FrameStamp& stamp) {
  const StampStrip::Image strip = strip_->render(stamp.index, stamp.utc_us, stamp.relative_ms);
  NETSAMPLE_ASSIGN(const AVFrame* frame, composer_->compose(strip, captured));
  in_encoder_.push_back(stamp);
  // A keyframe has no reference to skip from: x264 ignores the unchanged map there, so none is built for it.
  const std::uint8_t* unchanged = stamp.starts_fragment ? nullptr : composer_->unchanged().data();
  NETSAMPLE_ASSIGN(av::Packet packet, encoder_->encode(*frame, stamp.relative_ms, stamp.starts_fragment, unchanged));
  NETSAMPLE_TRY(write_packet(std::move(packet)));
  return frame;
}

Status FragmentedEncoder::finish() {
  if (finished_) return {};
  finished_ = true;
  for (;;) {
    NETSAMPLE_ASSIGN(av::Packet packet, encoder_->flush());
    if (!packet) break;
    NETSAMPLE_TRY(write_packet(std::move(packet)));
  }
  if (held_) {  // the last frame lasts one frame interval
    held_->duration = av_rescale_q(1, AVRational{1, fps_}, kMillisecond);
    NETSAMPLE_TRY(write_held());
  }
  NETSAMPLE_TRY(cut_fragment());
  const int rc = av_write_trailer(muxer_.get());
  if (rc < 0) return av::failure(ErrorCode::io, media_.string(), "结束录像文件失败", rc);
  NETSAMPLE_TRY(cut_fragment());  // anything the trailer wrote (nothing, with skip_trailer) is journaled too
  if (::fsync(fd_.get()) != 0) return io_error(media_, "录像文件同步（fsync）失败");
  return {};
}

std::string FragmentedEncoder::codec_description() const {
  return "H.264 (libx264 preset " + preset_ + ", tune zerolatency, crf " + std::to_string(preset_crf_) + ") " +
         std::to_string(output_width()) + "x" + std::to_string(output_height()) + " yuv420p (stamp strip " +
         std::to_string(strip_height()) + " px above the picture), fragmented MP4";
}

}  // namespace netsample::recorder
