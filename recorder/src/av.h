// RAII around the FFmpeg C handles the recorder uses, and FFmpeg error codes as our Error. Internal to recorder/.
#pragma once

#include <memory>
#include <string>
#include <string_view>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include "netsample/core/error.h"

namespace netsample::recorder::av {

struct InputDeleter {
  void operator()(AVFormatContext* c) const { avformat_close_input(&c); }
};
struct OutputDeleter {  // the AVIO context is ours and freed by its own handle
  void operator()(AVFormatContext* c) const { avformat_free_context(c); }
};
struct CodecDeleter {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwsDeleter {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};
struct IoDeleter {
  void operator()(AVIOContext* io) const {
    if (io) av_freep(&io->buffer);
    avio_context_free(&io);
  }
};
struct DictDeleter {
  void operator()(AVDictionary* d) const { av_dict_free(&d); }
};

using Input = std::unique_ptr<AVFormatContext, InputDeleter>;
using Output = std::unique_ptr<AVFormatContext, OutputDeleter>;
using Codec = std::unique_ptr<AVCodecContext, CodecDeleter>;
using Frame = std::unique_ptr<AVFrame, FrameDeleter>;
using Packet = std::unique_ptr<AVPacket, PacketDeleter>;
using Sws = std::unique_ptr<SwsContext, SwsDeleter>;
using Io = std::unique_ptr<AVIOContext, IoDeleter>;

inline Frame make_frame() { return Frame(av_frame_alloc()); }
inline Packet make_packet() { return Packet(av_packet_alloc()); }

// An options dictionary that frees itself; `release` hands it to an FFmpeg call that consumes entries.
class Options {
 public:
  Options() = default;
  Options(const Options&) = delete;
  Options& operator=(const Options&) = delete;
  ~Options() { av_dict_free(&dict_); }
  void set(const char* key, const std::string& value) { av_dict_set(&dict_, key, value.c_str(), 0); }
  AVDictionary** get() { return &dict_; }
  // Keys FFmpeg did not recognise, for an error message ("" when all were used).
  std::string unused() const {
    std::string keys;
    const AVDictionaryEntry* e = nullptr;
    while ((e = av_dict_get(dict_, "", e, AV_DICT_IGNORE_SUFFIX))) keys += (keys.empty() ? "" : ", ") + std::string(e->key);
    return keys;
  }

 private:
  AVDictionary* dict_ = nullptr;
};

inline std::string error_text(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof text);
  return text;
}

// An FFmpeg failure as our Error: `what` says what we were doing, `field` names the input involved.
inline Error failure(ErrorCode code, std::string_view field, std::string_view what, int av_code) {
  return make_error(code, std::string(field), std::string(what) + "（FFmpeg：" + error_text(av_code) + "）");
}

}  // namespace netsample::recorder::av
