#include "client/media.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace sb::client {
namespace {

// Opens the source (NULL → READY), which is where v4l2src, pulsesrc and alsasrc open their device.
bool device_opens(GstElement* bin, std::string* error) {
  gst::ElementPtr src(gst_bin_get_by_name(GST_BIN(bin), "src"));
  if (!src) return true;
  GstStateChangeReturn r = gst_element_set_state(src.get(), GST_STATE_READY);
  gst_element_set_state(src.get(), GST_STATE_NULL);
  if (r != GST_STATE_CHANGE_FAILURE) return true;
  *error = fmt::format("cannot open {}", GST_OBJECT_NAME(gst_element_get_factory(src.get())));
  return false;
}

gst::ElementPtr parse_bin(const std::string& desc, const SourceSpec& src, std::string* error, bool* no_device) {
  GError* raw = nullptr;
  GstElement* bin = gst_parse_bin_from_description(desc.c_str(), TRUE, &raw);
  gst::ErrorPtr err(raw);
  if (!bin) {
    *error = fmt::format("cannot build '{}': {}", desc, err ? err->message : "unknown error");
    return nullptr;
  }
  gst::ElementPtr out(GST_ELEMENT(gst_object_ref_sink(bin)));
  if (!src.device.empty()) {
    gst::ElementPtr s(gst_bin_get_by_name(GST_BIN(bin), "src"));
    g_object_set(s.get(), "device", src.device.c_str(), nullptr);
  }
  if (src.kind != SourceSpec::Kind::test && !device_opens(bin, error)) {
    *error += src.device.empty() ? " (default device)" : " device " + src.device;
    *no_device = true;
    return nullptr;
  }
  return out;
}

// The probe's user data keeps the counters alive for as long as the pad has the probe.
struct ProbeData {
  std::shared_ptr<MediaCounters> counters;
  std::atomic<std::uint64_t>* counter;  // points into *counters
  static void destroy(gpointer p) { delete static_cast<ProbeData*>(p); }
};

GstPadProbeReturn count_buffer(GstPad*, GstPadProbeInfo*, gpointer user_data) {
  static_cast<ProbeData*>(user_data)->counter->fetch_add(1, std::memory_order_relaxed);
  return GST_PAD_PROBE_OK;
}

void add_counter(GstElement* decoder, std::shared_ptr<MediaCounters> counters, bool video) {
  gst::PadPtr src(gst_element_get_static_pad(decoder, "src"));
  auto* counter = video ? &counters->video_frames : &counters->audio_buffers;
  auto* data = new ProbeData{std::move(counters), counter};
  gst_pad_add_probe(src.get(), GST_PAD_PROBE_TYPE_BUFFER, count_buffer, data, &ProbeData::destroy);
}

GstElement* make(const char* factory) {
  GstElement* e = gst_element_factory_make(factory, nullptr);
  if (!e) throw std::runtime_error(fmt::format("GStreamer element '{}' is not installed", factory));
  return e;
}

}  // namespace

gst::ElementPtr make_video_send_bin(const SourceSpec& src, const EncodeSettings& enc, std::string* error,
                                    bool* no_device) {
  std::string caps = fmt::format("video/x-raw,width={},height={},framerate={}/1", enc.width, enc.height, enc.fps);
  std::string source = src.kind == SourceSpec::Kind::test
                           ? "videotestsrc name=src is-live=true pattern=ball ! " + caps
                           : "v4l2src name=src ! videoconvert ! videoscale ! videorate ! " + caps;
  // Realtime VP8 (deadline=1, cpu-used=8): this machine class has two cores for everything.
  std::string desc = fmt::format(
      "{} ! videoconvert ! queue max-size-buffers=2 leaky=downstream ! "
      "vp8enc deadline=1 cpu-used=8 threads=2 target-bitrate={} keyframe-max-dist={} error-resilient=partitions ! "
      "rtpvp8pay pt={} picture-id-mode=15-bit ! "
      "capsfilter caps=\"application/x-rtp,media=video,encoding-name=VP8,payload={},clock-rate=90000\"",
      source, enc.video_kbps * 1000, enc.fps * 2, kVp8PayloadType, kVp8PayloadType);
  return parse_bin(desc, src, error, no_device);
}

gst::ElementPtr make_audio_send_bin(const SourceSpec& src, std::string* error, bool* no_device) {
  std::string source = src.kind == SourceSpec::Kind::test   ? "audiotestsrc name=src is-live=true wave=sine volume=0.2"
                       : src.kind == SourceSpec::Kind::pulse ? "pulsesrc name=src"
                                                             : "alsasrc name=src";
  std::string desc = fmt::format(
      "{} ! audioconvert ! audioresample ! queue max-size-time=100000000 leaky=downstream ! "
      "opusenc bitrate=32000 ! rtpopuspay pt={} ! "
      "capsfilter caps=\"application/x-rtp,media=audio,encoding-name=OPUS,payload={},clock-rate=48000\"",
      source, kOpusPayloadType, kOpusPayloadType);
  return parse_bin(desc, src, error, no_device);
}

std::string check_capture_devices(const SourceSpec& video, const SourceSpec& audio, const EncodeSettings& enc) {
  std::string error;
  bool no_device = false;
  if (video.kind == SourceSpec::Kind::v4l2 && !make_video_send_bin(video, enc, &error, &no_device)) return error;
  if ((audio.kind == SourceSpec::Kind::pulse || audio.kind == SourceSpec::Kind::alsa) &&
      !make_audio_send_bin(audio, &error, &no_device))
    return error;
  return {};
}

gst::CapsPtr video_rtp_caps() {
  return gst::CapsPtr(gst_caps_from_string(
      fmt::format("capsfilter caps=\"application/x-rtp,media=video,encoding-name=VP8,payload={},clock-rate=90000\"", kVp8PayloadType)
          .c_str()));
}

gst::CapsPtr audio_rtp_caps() {
  return gst::CapsPtr(gst_caps_from_string(
      fmt::format("capsfilter caps=\"application/x-rtp,media=audio,encoding-name=OPUS,payload={},clock-rate=48000\"", kOpusPayloadType)
          .c_str()));
}

std::string ReceiveSide::prepare_recording(bool expect_video, bool expect_audio) {
  if (sink_.kind != SinkSpec::Kind::file || mux_) return {};
  mux_ = make("webmmux");
  GstElement* file = make("filesink");
  g_object_set(file, "location", sink_.path.c_str(), nullptr);
  gst_bin_add_many(GST_BIN(pipeline_), mux_, file, nullptr);
  if (!gst_element_link(mux_, file)) return "cannot link webmmux to filesink";
  // Pads are requested now: webmmux refuses new pads once it has started writing.
  if (expect_video) mux_video_pad_ = gst_element_request_pad_simple(mux_, "video_%u");
  if (expect_audio) mux_audio_pad_ = gst_element_request_pad_simple(mux_, "audio_%u");
  gst_element_sync_state_with_parent(file);
  gst_element_sync_state_with_parent(mux_);
  return {};
}

GstPad* ReceiveSide::take_mux_pad(bool video) {
  if (video) return video_pad_taken_.exchange(true) ? nullptr : mux_video_pad_;
  return audio_pad_taken_.exchange(true) ? nullptr : mux_audio_pad_;
}

GstElement* ReceiveSide::make_sink(bool video) {
  GstElement* sink = nullptr;
  if (sink_.kind == SinkSpec::Kind::automatic) {
    sink = make(video ? "autovideosink" : "autoaudiosink");
  } else {
    sink = make("fakesink");
    g_object_set(sink, "sync", FALSE, nullptr);
  }
  return sink;
}

std::string ReceiveSide::link_rtp_pad(GstPad* pad, std::string* error) {
  gst::CapsPtr caps(gst_pad_get_current_caps(pad));
  if (!caps) caps.reset(gst_pad_query_caps(pad, nullptr));
  const GstStructure* s = gst_caps_get_structure(caps.get(), 0);
  const gchar* enc = gst_structure_get_string(s, "encoding-name");
  std::string encoding = enc ? enc : "";
  bool video = encoding == "VP8";
  if (!video && encoding != "OPUS") {
    *error = "unsupported remote codec '" + encoding + "'";
    return {};
  }
  GstElement* queue = make("queue");
  GstElement* depay = make(video ? "rtpvp8depay" : "rtpopusdepay");
  GstElement* tee = make("tee");
  GstElement* queue2 = make("queue");
  GstElement* dec = make(video ? "vp8dec" : "opusdec");
  GstElement* conv = make(video ? "videoconvert" : "audioconvert");
  GstElement* sink = make_sink(video);
  gst_bin_add_many(GST_BIN(pipeline_), queue, depay, tee, queue2, dec, conv, sink, nullptr);
  if (!gst_element_link_many(queue, depay, tee, queue2, dec, conv, sink, nullptr)) {
    *error = "cannot link the decode branch";
    return {};
  }
  add_counter(dec, counters_, video);
  if (GstPad* mux_pad = mux_ ? take_mux_pad(video) : nullptr) {
    GstElement* queue3 = make("queue");
    gst_bin_add(GST_BIN(pipeline_), queue3);
    gst_element_link(tee, queue3);
    gst::PadPtr q3src(gst_element_get_static_pad(queue3, "src"));
    gst_pad_link(q3src.get(), mux_pad);
    gst_element_sync_state_with_parent(queue3);
  }
  for (GstElement* e : {sink, conv, dec, queue2, tee, depay, queue}) gst_element_sync_state_with_parent(e);
  gst::PadPtr qsink(gst_element_get_static_pad(queue, "sink"));
  if (gst_pad_link(pad, qsink.get()) != GST_PAD_LINK_OK) {
    *error = "cannot link webrtcbin's pad";
    return {};
  }
  return video ? "video" : "audio";
}

void ReceiveSide::finish_recording() {
  if (!mux_) return;
  for (GstPad* p : {mux_video_pad_, mux_audio_pad_}) {
    if (p) gst_pad_send_event(p, gst_event_new_eos());
  }
}

}  // namespace sb::client
