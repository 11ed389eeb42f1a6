#include "net/webhook_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <limits>
#include <optional>
#include <stdexcept>
#include <type_traits>

#include "util/address.hpp"

namespace sb::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Reply = auth::WebhookReply;
using CallStrand = asio::strand<asio::io_context::executor_type>;
using TcpSocket = asio::basic_stream_socket<tcp, CallStrand>;
using TlsSocket = asio::ssl::stream<TcpSocket>;

// One POST. Every handler runs on the call's own strand; the timer and the I/O chain race, and whichever
// ends first settles the call (the other then finds `settled_`).
template <class Stream>
class Call : public std::enable_shared_from_this<Call<Stream>> {
 public:
  Call(asio::io_context& io, std::shared_ptr<WebhookClient::Shared> shared, std::string body,
       asio::any_io_executor done_ex, WebhookClient::Done done)
      : strand_(asio::make_strand(io)),
        shared_(std::move(shared)),
        resolver_(strand_),
        timer_(strand_),
        stream_(make_stream()),
        done_ex_(std::move(done_ex)),
        done_(std::move(done)) {
    request_.method(http::verb::post);
    request_.target(shared_->target);
    request_.set(http::field::host, shared_->host_header);
    request_.set(http::field::user_agent, "signalbox");
    request_.set(http::field::content_type, "application/json");
    request_.set(http::field::accept, "application/json");
    request_.keep_alive(false);
    request_.body() = std::move(body);
    request_.prepare_payload();
    parser_.body_limit(std::numeric_limits<std::uint64_t>::max());  // on_read checks the size as the body grows
  }

  void start() {
    asio::dispatch(strand_, [self = this->shared_from_this()] { self->begin(); });
  }

 private:
  Stream make_stream() {
    if constexpr (std::is_same_v<Stream, TlsSocket>) {
      return Stream(TcpSocket(strand_), *shared_->ssl);
    } else {
      return Stream(strand_);
    }
  }
  TcpSocket& socket() {
    if constexpr (std::is_same_v<Stream, TlsSocket>) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  void begin() {
    timer_.expires_after(shared_->options.timeout);
    timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (!ec) self->settle(Reply{Reply::Kind::timeout, 0, {}, "no answer in time"});
    });
    resolver_.async_resolve(shared_->host, shared_->port,
                            [self = this->shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
                              self->on_resolve(ec, std::move(r));
                            });
  }

  void on_resolve(beast::error_code ec, const tcp::resolver::results_type& results) {
    if (ec) return fail("resolve", ec);
    asio::async_connect(socket(), results, [self = this->shared_from_this()](beast::error_code e, const tcp::endpoint&) {
      self->on_connect(e);
    });
  }

  void on_connect(beast::error_code ec) {
    if (ec) return fail("connect", ec);
    if constexpr (std::is_same_v<Stream, TlsSocket>) {
      // SNI (for a name; RFC 6066 §3 leaves IP literals out), and the certificate must name the host we asked
      // for (X509_check_host, or X509_check_ip for an IP literal).
      if (!util::parse_ip(shared_->host) && SSL_set_tlsext_host_name(stream_.native_handle(), shared_->host.c_str()) != 1) {
        return fail("tls", beast::error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()));
      }
      stream_.set_verify_mode(asio::ssl::verify_peer);
      stream_.set_verify_callback(asio::ssl::host_name_verification(shared_->host));
      stream_.async_handshake(asio::ssl::stream_base::client,
                              [self = this->shared_from_this()](beast::error_code e) { self->on_ready(e); });
    } else {
      on_ready({});
    }
  }

  void on_ready(beast::error_code ec) {
    if (ec) return fail("tls handshake", ec);
    http::async_write(stream_, request_, [self = this->shared_from_this()](beast::error_code e, std::size_t) {
      self->on_written(e);
    });
  }

  void on_written(beast::error_code ec) {
    if (ec) return fail("write", ec);
    http::async_read_header(stream_, buffer_, parser_, [self = this->shared_from_this()](beast::error_code e, std::size_t) {
      self->on_read(e);
    });
  }

  // The body is read piece by piece and its size checked as it grows: Beast 1.74's parser does not enforce
  // body_limit on every path (e.g. a Content-Length response read from a stream), and an answer must never
  // grow without bound while the deadline runs.
  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream) return fail("read (closed without an answer)", ec);
    if (ec && ec.category() == http::make_error_code(http::error::bad_version).category()) {
      return settle(Reply{Reply::Kind::garbled, 0, {}, "response: " + ec.message()});  // not HTTP
    }
    if (ec) return fail("read", ec);
    const auto limit = shared_->options.max_response_bytes;
    if (parser_.content_length().value_or(0) > limit || parser_.get().body().size() > limit) {
      return settle(Reply{Reply::Kind::garbled, 0, {}, "response: the body exceeds " + std::to_string(limit) + " bytes"});
    }
    if (!parser_.is_done()) {
      http::async_read_some(stream_, buffer_, parser_, [self = this->shared_from_this()](beast::error_code e, std::size_t) {
        self->on_read(e);
      });
      return;
    }
    auto& res = parser_.get();
    settle(Reply{Reply::Kind::answered, res.result_int(), std::move(res.body()), {}});
  }

  void fail(const char* step, beast::error_code ec) {
    settle(Reply{Reply::Kind::unreachable, 0, {}, std::string(step) + ": " + ec.message()});
  }

  void settle(Reply reply) {
    if (settled_) return;
    settled_ = true;
    beast::error_code ignored;
    timer_.cancel();
    resolver_.cancel();
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
    shared_->in_flight.fetch_sub(1, std::memory_order_relaxed);
    asio::post(done_ex_, [done = std::move(done_), r = std::move(reply)]() mutable { done(std::move(r)); });
  }

  CallStrand strand_;
  std::shared_ptr<WebhookClient::Shared> shared_;
  tcp::resolver resolver_;
  asio::basic_waitable_timer<std::chrono::steady_clock, asio::wait_traits<std::chrono::steady_clock>, CallStrand>
      timer_;
  Stream stream_;
  http::request<http::string_body> request_{http::verb::post, "/", 11};
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
  asio::any_io_executor done_ex_;
  WebhookClient::Done done_;
  bool settled_ = false;
};

std::shared_ptr<asio::ssl::context> client_tls(const std::string& ca_file) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  beast::error_code ec;
  if (ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
  } else {
    ctx->load_verify_file(ca_file, ec);
  }
  if (ec) throw std::runtime_error("--auth-webhook-ca " + ca_file + ": " + ec.message());
  ctx->set_verify_mode(asio::ssl::verify_peer);
  return ctx;
}

}  // namespace

WebhookClient::WebhookClient(WebhookClientOptions options) : shared_(std::make_shared<Shared>()) {
  auto url = util::parse_url(options.url);
  if (!url || (url->scheme != "http" && url->scheme != "https")) {
    throw std::runtime_error("--auth-webhook '" + options.url + "' is not an http:// or https:// URL");
  }
  Shared& s = *shared_;
  s.tls = url->scheme == "https";
  s.host = url->host;
  s.port = url->port ? std::to_string(*url->port) : (s.tls ? "443" : "80");
  s.target = url->target.empty() ? "/" : url->target;
  const std::string host = url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host;
  s.host_header = url->port ? host + ":" + s.port : host;
  if (s.tls) s.ssl = client_tls(options.ca_file);
  s.options = std::move(options);
}

WebhookClient::~WebhookClient() = default;

bool WebhookClient::post(asio::io_context& io, std::string body, asio::any_io_executor done_ex, Done done) {
  auto& count = shared_->in_flight;
  std::uint32_t now = count.load(std::memory_order_relaxed);
  do {
    if (now >= shared_->options.max_in_flight) return false;
  } while (!count.compare_exchange_weak(now, now + 1, std::memory_order_relaxed));
  if (shared_->tls) {
    std::make_shared<Call<TlsSocket>>(io, shared_, std::move(body), std::move(done_ex), std::move(done))->start();
  } else {
    std::make_shared<Call<TcpSocket>>(io, shared_, std::move(body), std::move(done_ex), std::move(done))->start();
  }
  return true;
}

}  // namespace sb::net
