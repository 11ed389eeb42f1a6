// PeerSession: pipeline construction and the offer/answer flow (JSEP, RFC 8829 section 5), on the loop.
// The GStreamer-thread callbacks are in peer_callbacks.cpp.
#include "client/peer_session.hpp"

#include <gst/sdp/sdp.h>
#include <spdlog/spdlog.h>

#include <utility>

#include "client/ice_restart.hpp"
#include "client/peer_renewal.hpp"

namespace sb::client {
namespace {

struct SdpScan {
  std::vector<std::string> mids;  // per m-line
  bool sends_video = false;       // from the point of view of the description's author
  bool sends_audio = false;
};

// Reads a=mid and the direction of every m-line (RFC 8866 section 6.7; sendrecv when absent).
SdpScan scan_sdp(const GstSDPMessage* sdp) {
  SdpScan out;
  for (guint i = 0; i < gst_sdp_message_medias_len(sdp); ++i) {
    const GstSDPMedia* m = gst_sdp_message_get_media(sdp, i);
    const gchar* mid = gst_sdp_media_get_attribute_val(m, "mid");
    out.mids.emplace_back(mid ? mid : "");
    bool sends = gst_sdp_media_get_port(m) != 0;
    for (guint a = 0; a < gst_sdp_media_attributes_len(m); ++a) {
      std::string key = gst_sdp_media_get_attribute(m, a)->key;
      if (key == "recvonly" || key == "inactive") sends = false;
    }
    std::string kind = gst_sdp_media_get_media(m);
    if (kind == "video") out.sends_video = out.sends_video || sends;
    if (kind == "audio") out.sends_audio = out.sends_audio || sends;
  }
  return out;
}

}  // namespace

PeerSession::PeerSession(boost::asio::any_io_executor loop, PeerConfig config, Events events)
    : loop_(std::move(loop)),
      config_(std::move(config)),
      events_(std::move(events)),
      counters_(config_.counters ? config_.counters : std::make_shared<MediaCounters>()),
      relay_hold_timer_(loop_) {
  relay_hold_over_ = config_.relay_only || config_.relay_candidate_delay.count() <= 0;
}

PeerSession::~PeerSession() { stop(); }

std::shared_ptr<PeerSession> PeerSession::start(boost::asio::any_io_executor loop, PeerConfig config,
                                                Events events, StartError* error) {
  auto s = std::make_shared<PeerSession>(std::move(loop), std::move(config), std::move(events));
  if (auto e = s->build()) {
    *error = *e;
    return nullptr;
  }
  return s;
}

std::optional<PeerSession::StartError> PeerSession::build() {
  pipeline_.reset(GST_ELEMENT(gst_object_ref_sink(gst_pipeline_new("signalbox-client"))));
  webrtc_ = gst_element_factory_make("webrtcbin", "webrtc");
  if (!webrtc_) return StartError{"GStreamer element webrtcbin is missing (gstreamer1.0-plugins-bad)"};
  gst_bin_add(GST_BIN(pipeline_.get()), webrtc_);
  // One transport for everything, as browsers do (RFC 8843).
  gst_util_set_object_arg(G_OBJECT(webrtc_), "bundle-policy", "max-bundle");
  if (config_.relay_only) gst_util_set_object_arg(G_OBJECT(webrtc_), "ice-transport-policy", "relay");
  configure_ice();
  receive_ = std::make_shared<ReceiveSide>(pipeline_.get(), config_.sink, counters_);
  try {
    if (auto e = add_local_media()) return e;
  } catch (const std::exception& e) {
    return StartError{e.what()};
  }
  connect_signals();
  GstBus* bus = gst_element_get_bus(pipeline_.get());
  gst_bus_set_sync_handler(bus, &PeerSession::cb_bus, new Link(link()), &Link::destroy);
  gst_object_unref(bus);
  // The data channel must exist before the offer is created so that it gets its m=application line.
  if (gst_element_set_state(pipeline_.get(), GST_STATE_READY) == GST_STATE_CHANGE_FAILURE)
    return StartError{"pipeline failed to reach READY"};
  if (config_.offerer) create_data_channel();
  if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    return StartError{"pipeline failed to start"};
  return std::nullopt;
}

void PeerSession::configure_ice() {
  if (!config_.ice_servers.stun.empty())
    g_object_set(webrtc_, "stun-server", config_.ice_servers.stun.front().c_str(), nullptr);
  for (const auto& uri : config_.ice_servers.turn) {
    gboolean ok = FALSE;
    g_signal_emit_by_name(webrtc_, "add-turn-server", uri.c_str(), &ok);
    if (!ok) spdlog::warn("webrtcbin rejected a TURN server URI");
  }
  if (!config_.add_loopback) return;
  // libnice skips loopback interfaces when it enumerates local addresses; on a loopback-only host it
  // would gather nothing. An explicitly added address is used as a host candidate.
  GstWebRTCICE* ice = nullptr;
  g_object_get(webrtc_, "ice-agent", &ice, nullptr);
  if (ice && g_signal_lookup("add-local-ip-address", G_OBJECT_TYPE(ice)) != 0) {
    gboolean ok = FALSE;
    g_signal_emit_by_name(ice, "add-local-ip-address", "127.0.0.1", &ok);
    spdlog::info("ICE: added local address 127.0.0.1 ({})", ok ? "ok" : "refused");
  }
  if (ice) gst_object_unref(ice);
}

std::optional<PeerSession::StartError> PeerSession::add_local_media() {
  struct Kind {
    const SourceSpec& spec;
    bool video;
  };
  for (const Kind& k : {Kind{config_.video, true}, Kind{config_.audio, false}}) {
    if (k.spec.kind == SourceSpec::Kind::none) {
      // Still receive what the peer sends.
      gst::CapsPtr caps = k.video ? video_rtp_caps() : audio_rtp_caps();
      GstWebRTCRTPTransceiver* t = nullptr;
      g_signal_emit_by_name(webrtc_, "add-transceiver", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps.get(),
                            &t);
      if (t) gst_object_unref(t);
      continue;
    }
    StartError err;
    gst::ElementPtr bin = k.video ? make_video_send_bin(k.spec, config_.encode, &err.message, &err.no_device)
                                  : make_audio_send_bin(k.spec, &err.message, &err.no_device);
    if (!bin) return err;
    gst_bin_add(GST_BIN(pipeline_.get()), bin.get());
    gst::PadPtr src(gst_element_get_static_pad(bin.get(), "src"));
    gst::PadPtr sink(gst_element_request_pad_simple(webrtc_, "sink_%u"));
    if (!sink || gst_pad_link(src.get(), sink.get()) != GST_PAD_LINK_OK)
      return StartError{std::string("cannot link the ") + (k.video ? "video" : "audio") + " source to webrtcbin"};
    bin.release();  // now owned by the pipeline
  }
  return std::nullopt;
}

void PeerSession::on_negotiation_needed() {
  // One offer per peer connection, by the newcomer. When the media path breaks, the client makes a new peer
  // connection (peer_renewal.hpp) rather than offering again on this one.
  if (!config_.offerer || offer_started_ || stopped_) return;
  offer_started_ = true;
  GstPromise* p = gst_promise_new_with_change_func(&PeerSession::cb_offer_created, new Link(link()), &Link::destroy);
  g_signal_emit_by_name(webrtc_, "create-offer", nullptr, p);
}

void PeerSession::create_answer() {
  GstPromise* p =
      gst_promise_new_with_change_func(&PeerSession::cb_answer_created, new Link(link()), &Link::destroy);
  g_signal_emit_by_name(webrtc_, "create-answer", nullptr, p);
}

void PeerSession::on_description_created(bool is_offer, GstWebRTCSessionDescription* desc) {
  if (stopped_) return;
  const bool restart = std::exchange(ice_restart_, false);
  // webrtcbin would reuse its last credentials; setting the description hands the new ones to the agent.
  if (restart) set_ice_credentials(desc->sdp, fresh_ice_credentials());
  GstPromise* p = gst_promise_new();
  g_signal_emit_by_name(webrtc_, "set-local-description", desc, p);
  gst_promise_unref(p);
  local_mids_ = scan_sdp(desc->sdp).mids;
  gst::GCharPtr text(gst_sdp_message_as_text(desc->sdp));
  events_.on_local_description(is_offer, text.get());
  if (restart) resend_local_candidates();
}

void PeerSession::begin_ice_restart() {
  ice_restart_ = true;
  if (!restart_ice_agent(webrtc_)) spdlog::warn("ICE restart: no libnice agent under webrtcbin to restart");
}

// libnice does not gather again after a restart: the peer forgot our candidates, so they are signalled again.
void PeerSession::resend_local_candidates() {
  const auto candidates = local_ice_candidates(webrtc_);
  spdlog::info("ICE restart: signalling {} local candidate(s) again", candidates.size());
  for (const auto& [mline, candidate] : candidates) on_local_candidate(mline, candidate);
  events_.on_local_candidate(std::nullopt);
}

void PeerSession::apply_remote_description(bool is_offer, const std::string& sdp) {
  if (stopped_) return;
  GstSDPMessage* msg = nullptr;
  if (gst_sdp_message_new_from_text(sdp.c_str(), &msg) != GST_SDP_OK || !msg) {
    if (msg) gst_sdp_message_free(msg);
    return fail("the peer's SDP does not parse");
  }
  SdpScan scan = scan_sdp(msg);
  auto ufrag = ice_ufrag(msg);
  if (is_offer && remote_set_ && ufrag != remote_ufrag_) {
    spdlog::info("ICE restart offer from the peer: restarting ICE here too");
    begin_ice_restart();
  }
  remote_ufrag_ = std::move(ufrag);
  if (is_offer) remote_session_ = sdp_session_id(msg);
  remote_mids_ = scan.mids;
  remote_sends_video_ = scan.sends_video;
  remote_sends_audio_ = scan.sends_audio;
  try {
    if (auto e = receive_->prepare_recording(scan.sends_video, scan.sends_audio); !e.empty()) return fail(e);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  GstWebRTCSessionDescription* desc =
      gst_webrtc_session_description_new(is_offer ? GST_WEBRTC_SDP_TYPE_OFFER : GST_WEBRTC_SDP_TYPE_ANSWER, msg);
  GstPromise* p = gst_promise_new_with_change_func(&PeerSession::cb_remote_set, new Link(link()), &Link::destroy);
  g_signal_emit_by_name(webrtc_, "set-remote-description", desc, p);
  gst_webrtc_session_description_free(desc);
}

void PeerSession::on_remote_set(std::string error) {
  if (stopped_) return;
  if (!error.empty()) return fail("set-remote-description failed: " + error);
  remote_set_ = true;
  if (!relay_hold_over_) {
    relay_hold_timer_.expires_after(config_.relay_candidate_delay);
    relay_hold_timer_.async_wait([w = weak_from_this()](const boost::system::error_code& ec) {
      if (auto s = w.lock(); s && !ec) s->release_relay_candidates();
    });
  }
  while (!pending_candidates_.empty()) {
    add_candidate_now(pending_candidates_.front());
    pending_candidates_.pop_front();
  }
  if (events_.on_remote_description_set) events_.on_remote_description_set();
  if (!config_.offerer) create_answer();
}

void PeerSession::add_remote_candidate(const std::optional<signaling::IceCandidate>& c) {
  if (!c || c->candidate.empty()) return;  // end of candidates: libnice needs no signal for it
  if (remote_set_) return add_candidate_now(*c);
  if (pending_candidates_.size() >= config_.max_pending_candidates) {
    spdlog::warn("dropping a remote candidate: {} already queued before the remote description",
                 pending_candidates_.size());
    return;
  }
  pending_candidates_.push_back(*c);
}

bool PeerSession::hold_relay_candidate(const signaling::IceCandidate& c) {
  if (relay_hold_over_) return false;
  if (held_relay_candidates_.size() >= config_.max_pending_candidates) {
    spdlog::warn("dropping a remote relay candidate: {} already held", held_relay_candidates_.size());
    return true;
  }
  spdlog::debug("holding a remote relay candidate for up to {} ms", config_.relay_candidate_delay.count());
  held_relay_candidates_.push_back(c);
  return true;
}

void PeerSession::release_relay_candidates() {
  if (stopped_ || relay_hold_over_) return;
  relay_hold_over_ = true;
  if (!held_relay_candidates_.empty())
    spdlog::info("ICE: adding {} remote relay candidate(s) held for {} ms", held_relay_candidates_.size(),
                 config_.relay_candidate_delay.count());
  while (!held_relay_candidates_.empty()) {
    add_candidate_now(held_relay_candidates_.front());
    held_relay_candidates_.pop_front();
  }
}

void PeerSession::add_candidate_now(const signaling::IceCandidate& c) {
  const auto type = candidate_type(c.candidate);
  if (type == "relay" && hold_relay_candidate(c)) return;
  guint mline = 0;
  if (c.sdp_mline_index) {
    mline = *c.sdp_mline_index;
  } else if (c.sdp_mid) {
    for (std::size_t i = 0; i < remote_mids_.size(); ++i)
      if (remote_mids_[i] == *c.sdp_mid) mline = static_cast<guint>(i);
  }
  spdlog::debug("remote candidate (m-line {}): {}", mline, c.candidate);
  if (type) types_seen_.remote.insert(*type);
  g_signal_emit_by_name(webrtc_, "add-ice-candidate", mline, c.candidate.c_str());
}

void PeerSession::on_local_candidate(guint mline, std::string candidate) {
  if (stopped_) return;
  spdlog::debug("local candidate (m-line {}): {}", mline, candidate);
  if (auto t = candidate_type(candidate)) types_seen_.local.insert(*t);
  signaling::IceCandidate c;
  c.candidate = std::move(candidate);
  c.sdp_mline_index = static_cast<std::uint16_t>(mline);
  if (mline < local_mids_.size() && !local_mids_[mline].empty()) c.sdp_mid = local_mids_[mline];
  events_.on_local_candidate(std::move(c));
}

void PeerSession::fail(std::string error) {
  if (stopped_) return;
  if (events_.on_error) events_.on_error(std::move(error));
}

void PeerSession::stop() {
  if (stopped_ || !pipeline_) return;
  stopped_ = true;
  relay_hold_timer_.cancel();
  if (receive_) receive_->finish_recording();
  GstBus* bus = gst_element_get_bus(pipeline_.get());
  gst_bus_set_sync_handler(bus, nullptr, nullptr, nullptr);
  gst_object_unref(bus);
  gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
  if (channel_) gst_object_unref(channel_);
  channel_ = nullptr;
  pipeline_.reset();
}

}  // namespace sb::client
