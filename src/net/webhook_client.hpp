// The auth webhook's HTTP client (docs/auth.md): one POST per join, over http or https (OpenSSL, the
// server's certificate verified against the system's or a configured CA bundle, the host name checked, SNI
// sent), bounded by one deadline for resolve, connect, handshake, request and response together. Nothing
// blocks: the call's sockets run on the io_context it is given (the joining connection's I/O thread) and
// the reply is posted to the executor it is given (the connection's strand).
//
// Thread-safe: any I/O thread may start calls. At most `max_in_flight` run at once.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "auth/webhook.hpp"

namespace sb::net {

struct WebhookClientOptions {
  std::string url;                        // http://HOST[:PORT]/PATH or https://...
  std::chrono::milliseconds timeout{5000};
  std::uint32_t max_in_flight = 100;
  std::string ca_file;                    // PEM bundle; "" = the system's default trust store
  std::size_t max_response_bytes = 64 * 1024;
};

class WebhookClient {
 public:
  // Throws std::runtime_error for a URL that is not http(s) or an unreadable CA bundle.
  explicit WebhookClient(WebhookClientOptions options);
  ~WebhookClient();
  WebhookClient(const WebhookClient&) = delete;
  WebhookClient& operator=(const WebhookClient&) = delete;

  using Done = std::function<void(auth::WebhookReply)>;
  // POSTs `body` (application/json). `done` runs exactly once, through `done_ex`. Returns false, without
  // calling `done`, when `max_in_flight` calls are already running.
  bool post(boost::asio::io_context& io, std::string body, boost::asio::any_io_executor done_ex, Done done);

  std::uint32_t in_flight() const { return shared_->in_flight.load(std::memory_order_relaxed); }

  // Shared with the calls, which may outlive the client by a moment at shutdown.
  struct Shared {
    WebhookClientOptions options;
    bool tls = false;
    std::string host;
    std::string port;
    std::string target;
    std::string host_header;
    std::shared_ptr<boost::asio::ssl::context> ssl;
    std::atomic<std::uint32_t> in_flight{0};
  };

 private:
  std::shared_ptr<Shared> shared_;
};

}  // namespace sb::net
