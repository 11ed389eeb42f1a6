// PeerSession's GStreamer-thread callbacks. Each copies what it needs and posts to the event loop
// (see the threading note in peer_session.hpp); only pad-added and on-data-channel do work in place.
#include <spdlog/spdlog.h>

#include "client/peer_session.hpp"

namespace sb::client {
namespace {

using Link = gst::LoopLink<PeerSession>;
const Link& as_link(gpointer p) { return *static_cast<const Link*>(p); }

using DescPtr = std::shared_ptr<GstWebRTCSessionDescription>;
using MessagePtr = std::shared_ptr<GstMessage>;
using StructurePtr = std::shared_ptr<GstStructure>;

// Reply of a promise, or the reason there is none.
const GstStructure* reply_of(GstPromise* promise, std::string* error) {
  if (gst_promise_wait(promise) != GST_PROMISE_RESULT_REPLIED) {
    *error = "promise interrupted";
    return nullptr;
  }
  const GstStructure* reply = gst_promise_get_reply(promise);
  GError* err = nullptr;
  if (reply && gst_structure_has_field(reply, "error") &&
      gst_structure_get(reply, "error", G_TYPE_ERROR, &err, nullptr)) {
    *error = err ? err->message : "unknown error";
    if (err) g_error_free(err);
    return nullptr;
  }
  return reply;
}

}  // namespace

void PeerSession::description_created(GstPromise* promise, gpointer link, bool is_offer) {
  std::string error;
  const GstStructure* reply = reply_of(promise, &error);
  GstWebRTCSessionDescription* desc = nullptr;
  if (reply) gst_structure_get(reply, is_offer ? "offer" : "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, nullptr);
  gst_promise_unref(promise);
  DescPtr owned(desc, [](GstWebRTCSessionDescription* d) {
    if (d) gst_webrtc_session_description_free(d);
  });
  as_link(link).post([is_offer, owned, error](PeerSession& s) {
    if (owned) return s.on_description_created(is_offer, owned.get());
    s.fail(std::string(is_offer ? "create-offer" : "create-answer") + " failed: " + error);
  });
}

void PeerSession::cb_offer_created(GstPromise* promise, gpointer link) { description_created(promise, link, true); }
void PeerSession::cb_answer_created(GstPromise* promise, gpointer link) { description_created(promise, link, false); }

void PeerSession::cb_remote_set(GstPromise* promise, gpointer link) {
  std::string error;
  reply_of(promise, &error);
  gst_promise_unref(promise);
  as_link(link).post([error](PeerSession& s) { s.on_remote_set(error); });
}

void PeerSession::cb_stats(GstPromise* promise, gpointer link) {
  std::string error;
  const GstStructure* reply = reply_of(promise, &error);
  StructurePtr copy(reply ? gst_structure_copy(reply) : nullptr, [](GstStructure* st) {
    if (st) gst_structure_free(st);
  });
  gst_promise_unref(promise);
  as_link(link).post([copy](PeerSession& s) {
    auto done = std::move(s.stats_done_);
    s.stats_done_ = nullptr;
    if (done && copy) done(parse_webrtc_stats(copy.get()));
  });
}

void PeerSession::cb_negotiation_needed(GstElement*, gpointer link) {
  as_link(link).post([](PeerSession& s) { s.on_negotiation_needed(); });
}

void PeerSession::cb_ice_candidate(GstElement*, guint mline, gchar* candidate, gpointer link) {
  as_link(link).post([mline, c = std::string(candidate ? candidate : "")](PeerSession& s) mutable {
    s.on_local_candidate(mline, std::move(c));
  });
}

void PeerSession::cb_ice_state(GObject* webrtc, GParamSpec*, gpointer link) {
  GstWebRTCICEConnectionState state{};
  g_object_get(webrtc, "ice-connection-state", &state, nullptr);
  as_link(link).post([state](PeerSession& s) {
    if (!s.stopped_ && s.events_.on_ice_state) s.events_.on_ice_state(state);
  });
}

void PeerSession::cb_gathering_state(GObject* webrtc, GParamSpec*, gpointer link) {
  GstWebRTCICEGatheringState state{};
  g_object_get(webrtc, "ice-gathering-state", &state, nullptr);
  if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) return;
  as_link(link).post([](PeerSession& s) {
    if (!s.stopped_) s.events_.on_local_candidate(std::nullopt);  // end of candidates
  });
}

// Synchronous: the decode branch must be linked before webrtcbin pushes into this pad.
struct PadAddedData {
  std::shared_ptr<ReceiveSide> receive;
  Link link;
  static void destroy(gpointer p, GClosure*) { delete static_cast<PadAddedData*>(p); }
};

void PeerSession::cb_pad_added(GstElement*, GstPad* pad, gpointer data) {
  if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC) return;
  auto* d = static_cast<PadAddedData*>(data);
  std::string error, kind;
  try {
    kind = d->receive->link_rtp_pad(pad, &error);
  } catch (const std::exception& e) {
    error = e.what();
  }
  d->link.post([kind, error](PeerSession& s) {
    if (!kind.empty() && s.events_.on_remote_track) s.events_.on_remote_track(kind);
    if (kind.empty()) spdlog::warn("remote track not rendered: {}", error);
  });
}

void PeerSession::cb_data_channel(GstElement*, GstWebRTCDataChannel* channel, gpointer link) {
  // Connect before returning: the channel's first message may follow immediately.
  gst::connect(channel, "on-open", G_CALLBACK(&PeerSession::cb_channel_open), as_link(link));
  gst::connect(channel, "on-message-string", G_CALLBACK(&PeerSession::cb_channel_message), as_link(link));
  gst::connect(channel, "on-error", G_CALLBACK(&PeerSession::cb_channel_error), as_link(link));
  gst_object_ref(channel);
  std::shared_ptr<GstWebRTCDataChannel> ref(channel, [](GstWebRTCDataChannel* c) { gst_object_unref(c); });
  GstWebRTCDataChannelState ready{};
  g_object_get(channel, "ready-state", &ready, nullptr);
  as_link(link).post([ref, ready](PeerSession& s) {
    s.adopt_channel(GST_WEBRTC_DATA_CHANNEL(gst_object_ref(ref.get())));
    // An incoming channel is usually open already when it is announced.
    if (ready == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN && !s.channel_open_) {
      s.channel_open_ = true;
      if (s.events_.on_channel_open) s.events_.on_channel_open();
    }
  });
}

void PeerSession::cb_channel_open(GObject*, gpointer link) {
  as_link(link).post([](PeerSession& s) {
    if (s.channel_open_ || s.stopped_) return;
    s.channel_open_ = true;
    if (s.events_.on_channel_open) s.events_.on_channel_open();
  });
}

void PeerSession::cb_channel_message(GObject*, gchar* text, gpointer link) {
  as_link(link).post([t = std::string(text ? text : "")](PeerSession& s) mutable {
    if (!s.stopped_ && s.events_.on_channel_message) s.events_.on_channel_message(std::move(t));
  });
}

void PeerSession::cb_channel_error(GObject*, GError* error, gpointer link) {
  std::string why = error ? error->message : "unknown";
  as_link(link).post([why](PeerSession&) { spdlog::warn("data channel error: {}", why); });
}

GstBusSyncReply PeerSession::cb_bus(GstBus*, GstMessage* msg, gpointer link) {
  MessagePtr m(gst_message_ref(msg), [](GstMessage* x) { gst_message_unref(x); });
  as_link(link).post([m](PeerSession& s) { s.on_bus_message(m.get()); });
  return GST_BUS_DROP;
}

void PeerSession::on_bus_message(GstMessage* msg) {
  if (stopped_) return;
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR || GST_MESSAGE_TYPE(msg) == GST_MESSAGE_WARNING) {
    GError* err = nullptr;
    gchar* debug = nullptr;
    bool is_error = GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR;
    if (is_error) gst_message_parse_error(msg, &err, &debug);
    else gst_message_parse_warning(msg, &err, &debug);
    std::string text = fmt::format("{}: {}", GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)), err ? err->message : "?");
    spdlog::debug("GStreamer debug: {}", debug ? debug : "");
    if (err) g_error_free(err);
    g_free(debug);
    if (is_error) return fail(text);
    spdlog::warn("GStreamer warning from {}", text);
  }
}

void PeerSession::connect_signals() {
  gst::connect(webrtc_, "on-negotiation-needed", G_CALLBACK(&PeerSession::cb_negotiation_needed), link());
  gst::connect(webrtc_, "on-ice-candidate", G_CALLBACK(&PeerSession::cb_ice_candidate), link());
  gst::connect(webrtc_, "notify::ice-connection-state", G_CALLBACK(&PeerSession::cb_ice_state), link());
  gst::connect(webrtc_, "notify::ice-gathering-state", G_CALLBACK(&PeerSession::cb_gathering_state), link());
  gst::connect(webrtc_, "on-data-channel", G_CALLBACK(&PeerSession::cb_data_channel), link());
  g_signal_connect_data(webrtc_, "pad-added", G_CALLBACK(&PeerSession::cb_pad_added),
                        new PadAddedData{receive_, link()}, &PadAddedData::destroy, GConnectFlags{});
}

void PeerSession::create_data_channel() {
  GstWebRTCDataChannel* channel = nullptr;
  g_signal_emit_by_name(webrtc_, "create-data-channel", "chat", nullptr, &channel);
  if (!channel) {
    spdlog::warn("webrtcbin could not create the data channel; continuing without it");
    return;
  }
  gst::connect(channel, "on-open", G_CALLBACK(&PeerSession::cb_channel_open), link());
  gst::connect(channel, "on-message-string", G_CALLBACK(&PeerSession::cb_channel_message), link());
  gst::connect(channel, "on-error", G_CALLBACK(&PeerSession::cb_channel_error), link());
  adopt_channel(channel);  // create-data-channel returns a reference we own
}

void PeerSession::adopt_channel(GstWebRTCDataChannel* channel) {
  if (channel_) gst_object_unref(channel_);
  channel_ = channel;
}

bool PeerSession::send_text(const std::string& text) {
  if (!channel_ || !channel_open_ || stopped_) return false;
  GError* err = nullptr;
  gboolean ok = gst_webrtc_data_channel_send_string_full(channel_, text.c_str(), &err);
  if (err) {
    spdlog::warn("data channel send failed: {}", err->message);
    g_error_free(err);
  }
  return ok;
}

void PeerSession::request_stats(std::function<void(StatsSample)> done) {
  if (stopped_ || stats_done_) return;  // one request in flight
  stats_done_ = std::move(done);
  GstPromise* p = gst_promise_new_with_change_func(&PeerSession::cb_stats, new Link(link()), &Link::destroy);
  g_signal_emit_by_name(webrtc_, "get-stats", nullptr, p);
}

}  // namespace sb::client
