#include "server/signaling_metrics.hpp"

namespace sb::server {
namespace {

double load(const std::atomic<std::uint64_t>& a) { return static_cast<double>(a.load(std::memory_order_relaxed)); }

void render(PromWriter& w, const signaling::Counters& c, const signaling::Router& router) {
  w.gauge("signalbox_connections", "Open signaling WebSocket connections.",
          static_cast<double>(c.connections.load(std::memory_order_relaxed)));
  w.gauge("signalbox_rooms", "Rooms with at least one peer.", static_cast<double>(router.room_count()));
  w.gauge("signalbox_peers", "Peers joined to a room.", static_cast<double>(router.peer_count()));
  w.counter("signalbox_connections_total", "WebSocket connections accepted since start.", load(c.connections_total));
  w.counter("signalbox_connections_moved_total",
            "WebSocket connections moved to their room's I/O thread before the handshake (/ws?room=NAME).",
            load(c.connections_moved_total));
  w.counter("signalbox_messages_received_total", "Frames received from signaling clients.",
            load(c.messages_received_total));
  w.counter("signalbox_messages_rate_limited_total",
            "Frames refused or dropped by the per-connection rate limit (also in signalbox_messages_received_total).",
            load(c.messages_rate_limited_total));
  std::vector<std::pair<PromWriter::Labels, double>> relayed;
  for (std::size_t i = 0; i < signaling::kRelayedTypeCount; ++i) {
    relayed.push_back({{{"type", signaling::to_string(static_cast<signaling::RelayedType>(i))}},
                       load(c.relayed_total[i])});
  }
  w.family("signalbox_messages_relayed_total", "counter", "Messages relayed to another peer, by type.", relayed);
  std::vector<std::pair<PromWriter::Labels, double>> errors;
  for (std::size_t i = 0; i < signaling::kErrorCodeCount; ++i) {
    errors.push_back({{{"code", std::string(signaling::to_string(static_cast<signaling::ErrorCode>(i)))}},
                      load(c.errors_total[i])});
  }
  w.family("signalbox_errors_total", "counter", "Protocol errors sent to clients, by code.", errors);
  w.family("signalbox_closed_total", "counter", "Connections closed by the server, by cause.",
           {{{{"cause", "rate-limit"}}, load(c.closed_rate_limit_total)},
            {{{"cause", "too-big"}}, load(c.closed_too_big_total)},
            {{{"cause", "send-queue-overflow"}}, load(c.closed_overflow_total)},
            {{{"cause", "idle-timeout"}}, load(c.closed_timeout_total)}});
}

}  // namespace

void register_signaling_metrics(MetricsRegistry& registry, std::shared_ptr<const signaling::Counters> counters,
                                std::shared_ptr<const signaling::Router> router) {
  registry.add("signaling", [counters, router](PromWriter& w) { render(w, *counters, *router); });
}

}  // namespace sb::server
