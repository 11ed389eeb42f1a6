#include "signaling/counters.hpp"

#include <string>

#include "signaling/router.hpp"

namespace sb::signaling {

const char* to_string(RelayedType t) {
  switch (t) {
    case RelayedType::offer: return "offer";
    case RelayedType::answer: return "answer";
    case RelayedType::candidate: return "candidate";
    case RelayedType::other: return "other";
  }
  return "unknown";
}

namespace {
constexpr const char* kClosedHelp = "Connections closed by the server, by cause.";
}  // namespace

Counters::Counters(metrics::Registry& r)
    : connections(r.gauge("signalbox_connections", "Open signaling WebSocket connections.")),
      connections_total(r.counter("signalbox_connections_total", "WebSocket connections accepted since start.")),
      connections_moved_total(r.counter(
          "signalbox_connections_moved_total",
          "WebSocket connections moved to their room's I/O thread before the handshake (/ws?room=NAME).")),
      messages_received_total(
          r.counter("signalbox_messages_received_total", "Frames received from signaling clients.")),
      messages_rate_limited_total(r.counter(
          "signalbox_messages_rate_limited_total",
          "Frames refused or dropped by the per-connection rate limit (also in signalbox_messages_received_total).")),
      relayed_total(r.counter_family<RelayedType, kRelayedTypeCount>(
          "signalbox_messages_relayed_total", "Messages relayed to another peer, by type.", "type",
          [](RelayedType t) { return to_string(t); })),
      errors_total(r.counter_family<ErrorCode, kErrorCodeCount>(
          "signalbox_errors_total", "Protocol errors sent to clients, by code.", "code",
          [](ErrorCode c) { return std::string(to_string(c)); })),
      closed_rate_limit_total(r.counter("signalbox_closed_total", kClosedHelp, {{"cause", "rate-limit"}})),
      closed_too_big_total(r.counter("signalbox_closed_total", kClosedHelp, {{"cause", "too-big"}})),
      closed_overflow_total(r.counter("signalbox_closed_total", kClosedHelp, {{"cause", "send-queue-overflow"}})),
      closed_timeout_total(r.counter("signalbox_closed_total", kClosedHelp, {{"cause", "idle-timeout"}})) {}

void register_router_gauges(metrics::Registry& r, std::shared_ptr<const Router> router) {
  r.gauge_fn("signalbox_rooms", "Rooms with at least one peer.", {},
             [router] { return static_cast<double>(router->room_count()); });
  r.gauge_fn("signalbox_peers", "Peers joined to a room.", {},
             [router] { return static_cast<double>(router->peer_count()); });
}

}  // namespace sb::signaling
