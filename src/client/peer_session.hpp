// One peer connection: a GStreamer pipeline around webrtcbin, driven through the offer/answer flow.
//
// Threading: every public member function is called on the client's event loop (an Asio io_context,
// one thread). webrtcbin calls back from its own threads; each such callback only copies its arguments
// and posts to the loop through a LoopLink (gst_util.hpp), so the rest of this class - and the
// WebSocket behind Events - is only ever touched by the loop thread. Two exceptions do no signaling and
// must run synchronously: pad-added links the decode branch before data flows into an unlinked pad, and
// on-data-channel connects the channel's signals before its first message can arrive.
#pragma once

#include <gst/gst.h>
#define GST_USE_UNSTABLE_API  // GstWebRTC headers are marked unstable in 1.22
#include <gst/webrtc/webrtc.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/gst_util.hpp"
#include "client/ice_config.hpp"
#include "client/media.hpp"
#include "client/stats.hpp"
#include "signaling/protocol.hpp"

namespace sb::client {

struct PeerConfig {
  SourceSpec video;
  SourceSpec audio;
  SinkSpec sink;
  EncodeSettings encode;
  GstIceServers ice_servers;
  bool offerer = false;       // the newcomer offers (same rule as the web client)
  bool relay_only = false;    // ice-transport-policy relay
  bool add_loopback = false;  // add-local-ip-address 127.0.0.1 (loopback-only hosts)
  std::size_t max_pending_candidates = 256;
  // Remote relay candidates are held this long after the remote description is set (0: not held).
  std::chrono::milliseconds relay_candidate_delay{1000};
  // Where decoded media is counted; shared by the peer connections of one call (peer_renewal.hpp). Null: its own.
  std::shared_ptr<MediaCounters> counters;
};

class PeerSession : public std::enable_shared_from_this<PeerSession> {
 public:
  // All run on the event loop.
  struct Events {
    std::function<void(bool is_offer, std::string sdp)> on_local_description;
    std::function<void(std::optional<signaling::IceCandidate>)> on_local_candidate;  // nullopt: gathering done
    std::function<void()> on_remote_description_set;
    std::function<void(GstWebRTCICEConnectionState)> on_ice_state;
    std::function<void(std::string kind)> on_remote_track;
    std::function<void()> on_channel_open;
    std::function<void(std::string text)> on_channel_message;
    std::function<void(std::string error)> on_error;  // fatal for this session
  };

  struct StartError {
    std::string message;
    bool no_device = false;
  };

  // Builds the pipeline, adds local media and (offerer) the data channel, and sets it PLAYING.
  static std::shared_ptr<PeerSession> start(boost::asio::any_io_executor loop, PeerConfig config, Events events,
                                            StartError* error);
  ~PeerSession();
  PeerSession(const PeerSession&) = delete;
  PeerSession& operator=(const PeerSession&) = delete;

  // A description from the peer. An offer whose ICE credentials differ from the last one's is an ICE restart
  // (RFC 8445 section 9): this side restarts as well and answers with new credentials. (An offer of a new
  // session is not for this peer connection: the client checks remote_session_id() first, peer_renewal.hpp.)
  void apply_remote_description(bool is_offer, const std::string& sdp);
  // The o= session id of the last remote offer applied; nullopt before one.
  const std::optional<std::string>& remote_session_id() const { return remote_session_; }
  // Trickle ICE: applied at once when the remote description is set, queued (bounded) until then.
  void add_remote_candidate(const std::optional<signaling::IceCandidate>& candidate);
  // False when the channel is not open.
  bool send_text(const std::string& text);
  // One get-stats round trip; `done` runs on the loop.
  void request_stats(std::function<void(StatsSample)> done);
  // Finishes the recording and stops the pipeline. Idempotent; the destructor calls it.
  void stop();

  const MediaCounters& counters() const { return *counters_; }
  const CandidateTypesSeen& candidate_types() const { return types_seen_; }
  bool remote_sends_video() const { return remote_sends_video_; }
  bool remote_sends_audio() const { return remote_sends_audio_; }

  explicit PeerSession(boost::asio::any_io_executor loop, PeerConfig config, Events events);

 private:
  using Link = gst::LoopLink<PeerSession>;
  Link link() { return Link{loop_, weak_from_this()}; }

  std::optional<StartError> build();
  std::optional<StartError> add_local_media();
  void configure_ice();
  void connect_signals();
  void create_data_channel();
  void adopt_channel(GstWebRTCDataChannel* channel);

  // Loop-side halves of webrtcbin callbacks.
  void on_negotiation_needed();
  void on_description_created(bool is_offer, GstWebRTCSessionDescription* desc);
  void create_answer();
  void on_remote_set(std::string error);
  void on_local_candidate(guint mline, std::string candidate);
  void on_bus_message(GstMessage* msg);
  void add_candidate_now(const signaling::IceCandidate& c);
  void begin_ice_restart();
  void resend_local_candidates();
  bool hold_relay_candidate(const signaling::IceCandidate& c);  // c is a relay candidate; true: held or dropped
  void release_relay_candidates();
  void fail(std::string error);

  // GStreamer-thread halves (static: C callbacks).
  static void cb_negotiation_needed(GstElement*, gpointer link);
  static void cb_ice_candidate(GstElement*, guint mline, gchar* candidate, gpointer link);
  static void cb_ice_state(GObject*, GParamSpec*, gpointer link);
  static void cb_gathering_state(GObject*, GParamSpec*, gpointer link);
  static void cb_pad_added(GstElement*, GstPad* pad, gpointer link);
  static void cb_data_channel(GstElement*, GstWebRTCDataChannel* channel, gpointer link);
  static void cb_channel_open(GObject*, gpointer link);
  static void cb_channel_message(GObject*, gchar* text, gpointer link);
  static void cb_channel_error(GObject*, GError* error, gpointer link);
  static void description_created(GstPromise* promise, gpointer link, bool is_offer);
  static void cb_offer_created(GstPromise* promise, gpointer link);
  static void cb_answer_created(GstPromise* promise, gpointer link);
  static void cb_remote_set(GstPromise* promise, gpointer link);
  static void cb_stats(GstPromise* promise, gpointer link);
  static GstBusSyncReply cb_bus(GstBus*, GstMessage* msg, gpointer link);

  boost::asio::any_io_executor loop_;
  PeerConfig config_;
  Events events_;
  std::shared_ptr<MediaCounters> counters_;
  gst::ElementPtr pipeline_;
  GstElement* webrtc_ = nullptr;  // owned by pipeline_
  std::shared_ptr<ReceiveSide> receive_;
  GstWebRTCDataChannel* channel_ = nullptr;  // a reference we own
  bool channel_open_ = false;
  bool offer_started_ = false;
  bool remote_set_ = false;
  bool stopped_ = false;
  bool remote_sends_video_ = false;
  bool remote_sends_audio_ = false;
  bool ice_restart_ = false;  // the description being made restarts ICE: it gets fresh credentials
  std::optional<std::string> remote_ufrag_;  // of the last remote description
  std::optional<std::string> remote_session_;  // o= session id of the last remote offer
  std::deque<signaling::IceCandidate> pending_candidates_;  // bounded by max_pending_candidates
  // Why relay candidates wait: libnice under webrtcbin nominates (regular nomination) as soon as it has
  // two valid pairs, and through a TURN relay a pair is valid after one round trip, while a direct
  // srflx/srflx pair behind address-dependent filtering NATs needs both sides' checks to cross first.
  // Without the hold, two port-preserving NATs would often end up relayed although a direct path works.
  // (The same idea as a minimum wait before accepting a relayed pair in other ICE agents.)
  boost::asio::steady_timer relay_hold_timer_;
  bool relay_hold_over_ = false;
  std::deque<signaling::IceCandidate> held_relay_candidates_;  // bounded by max_pending_candidates
  std::vector<std::string> local_mids_;   // a=mid per m-line of the local description
  std::vector<std::string> remote_mids_;  // and of the remote one (to map sdpMid → m-line)
  CandidateTypesSeen types_seen_;
  std::function<void(StatsSample)> stats_done_;
};

}  // namespace sb::client
