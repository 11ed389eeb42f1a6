// The media ends of the pipeline: local capture → encode → RTP (into webrtcbin), and RTP from
// webrtcbin → decode → render / record. VP8 and Opus only, so that browsers negotiate with us.
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "client/gst_util.hpp"
#include "client/options.hpp"

namespace sb::client {

inline constexpr int kVp8PayloadType = 96;
inline constexpr int kOpusPayloadType = 111;

struct EncodeSettings {
  std::uint32_t width = 640;
  std::uint32_t height = 480;
  std::uint32_t fps = 30;
  std::uint32_t video_kbps = 1000;
};

// Decoded-media counters, written by streaming threads (pad probes), read on the event loop.
struct MediaCounters {
  std::atomic<std::uint64_t> video_frames{0};
  std::atomic<std::uint64_t> audio_buffers{0};
};

// A bin "capture → encode → RTP" with one ghost src pad, or nullptr with `error` set. For a camera or
// microphone the device is opened once here (NULL → READY) so that a missing device is reported as
// such (`*no_device` = true) rather than as a pipeline error later.
gst::ElementPtr make_video_send_bin(const SourceSpec& src, const EncodeSettings& enc, std::string* error,
                                    bool* no_device);
gst::ElementPtr make_audio_send_bin(const SourceSpec& src, std::string* error, bool* no_device);

// Opens the camera and microphone named by the options once (and closes them again), so that a missing
// device is reported at start-up rather than when a peer arrives. Returns the error, empty when fine or
// when only test sources are used.
std::string check_capture_devices(const SourceSpec& video, const SourceSpec& audio, const EncodeSettings& enc);

// Caps webrtcbin needs for a receive-only transceiver of that kind.
gst::CapsPtr video_rtp_caps();
gst::CapsPtr audio_rtp_caps();

// Receive side. Owns the optional WebM recorder. Used from webrtcbin's pad-added (a streaming thread)
// and from the event loop; GStreamer's bin API is thread-safe, and `recorder_` is created before any
// pad can be added (prepare_recording) and not changed afterwards.
class ReceiveSide {
 public:
  ReceiveSide(GstElement* pipeline, SinkSpec sink, std::shared_ptr<MediaCounters> counters)
      : pipeline_(pipeline), sink_(std::move(sink)), counters_(std::move(counters)) {}

  // For --sink FILE.webm: creates webmmux ! filesink, and one muxer pad per kind the peer will send
  // (from the remote description). Call before the remote description is applied.
  std::string prepare_recording(bool expect_video, bool expect_audio);

  // Links a new webrtcbin src pad (RTP) to depayload → decode → sink. Returns the kind ("video",
  // "audio") or an empty string (with `error`) when the pad is not VP8/Opus.
  std::string link_rtp_pad(GstPad* pad, std::string* error);

  // Ends the recording: EOS into the muxer pads so that the WebM file gets its index.
  void finish_recording();

 private:
  GstElement* make_sink(bool video);
  GstPad* take_mux_pad(bool video);

  GstElement* pipeline_;  // not owned
  SinkSpec sink_;
  std::shared_ptr<MediaCounters> counters_;
  GstElement* mux_ = nullptr;  // owned by the pipeline
  GstPad* mux_video_pad_ = nullptr;
  GstPad* mux_audio_pad_ = nullptr;
  std::atomic<bool> video_pad_taken_{false};
  std::atomic<bool> audio_pad_taken_{false};
};

}  // namespace sb::client
