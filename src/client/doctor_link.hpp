// The native doctor's sockets to signalbox's STUN/TURN ports (docs/doctor.md): one client socket over UDP,
// TCP or TLS that sends STUN messages and hands back the next one received (RFC 8489 §6.2.2 framing on
// streams; ChannelData is skipped, the doctor never binds channels). Boost.Asio on the doctor's own
// io_context; each blocking-looking helper below runs that context for at most its timeout (the
// io_context::run_for pattern of Asio's blocking UDP client example), so every step has a bound.
//
// Single-threaded: one io_context, run by the thread that calls the helpers.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "stun/address.hpp"
#include "stun/message.hpp"

namespace sb::client::doctor {

using Clock = std::chrono::steady_clock;
using Endpoint = boost::asio::ip::udp::endpoint;  // also names TCP peers (address + port)

stun::TransportAddress to_transport(const Endpoint& e);
Endpoint to_endpoint(const stun::TransportAddress& a);

class StunLink {
 public:
  enum class Kind { udp, tcp, tls };
  // A message, or nullopt when the socket failed or was cancelled; `from` is the sender (UDP) or the server.
  using Handler = std::function<void(std::optional<stun::Message> message, Endpoint from)>;

  virtual ~StunLink() = default;
  virtual Kind kind() const = 0;
  // Streams: TCP connect (and TLS handshake, SNI `server_name`) within `timeout`. UDP: binds an
  // ephemeral port of the server's family and connects nothing. Empty on success, else why not.
  virtual std::string open(const Endpoint& server, const std::string& server_name, Clock::duration timeout) = 0;
  // Queues `bytes` to `to` (ignored on streams: they go to the server).
  virtual void send(std::vector<std::uint8_t> bytes, const Endpoint& to) = 0;
  // Calls `h` once with the next STUN message received.
  virtual void async_next(Handler h) = 0;
  // Cancels what is pending; handlers run with nullopt.
  virtual void cancel() = 0;
  virtual Endpoint local_endpoint() const = 0;
};

// `tls` is needed for Kind::tls only (client context; verification as the caller set it up).
std::unique_ptr<StunLink> make_link(boost::asio::io_context& io, StunLink::Kind kind,
                                    std::shared_ptr<boost::asio::ssl::context> tls = nullptr);

// Runs `io` until `done()` holds or `timeout` passes; true when done. Work left pending is not cancelled.
bool run_until(boost::asio::io_context& io, const std::function<bool()>& done, Clock::duration timeout);

// The next STUN message on `link` within `timeout` (anything else pending is cancelled on timeout).
std::optional<stun::Message> next_message(boost::asio::io_context& io, StunLink& link, Clock::duration timeout,
                                          Endpoint* from = nullptr);

// Sends `request` to `to` and waits for the answer with the same transaction id, ignoring other
// messages. UDP retransmits at 0, 0.5, 1.5 s (RFC 8489 §6.2.1's doubling, cut short) within `timeout`;
// streams send once. `rtt` gets the time from the last transmission to the answer.
std::optional<stun::Message> transact(boost::asio::io_context& io, StunLink& link, const stun::Message& request,
                                      const Endpoint& to, Clock::duration timeout, double* rtt_ms = nullptr,
                                      Endpoint* from = nullptr);

}  // namespace sb::client::doctor
