#include "client/doctor_http.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <memory>
#include <optional>

#include "client/doctor_link.hpp"

namespace sb::client::doctor {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// Connect (+ TLS), write, read; each step's completion recorded in `done`.
template <class Stream>
struct Exchange : std::enable_shared_from_this<Exchange<Stream>> {
  Stream stream;
  http::request<http::string_body> req;
  http::response<http::string_body> res;
  beast::flat_buffer buffer;
  std::optional<error_code> done;
  std::string stage = "connect";
  std::chrono::steady_clock::time_point written;

  template <class... A>
  explicit Exchange(A&&... a) : stream(std::forward<A>(a)...) {}

  auto& lowest() { return beast::get_lowest_layer(stream); }

  void start(const tcp::resolver::results_type& endpoints, const std::string& host, bool verify) {
    lowest().async_connect(endpoints, [self = this->shared_from_this(), host, verify](error_code ec, auto) {
      if (ec) return self->finish(ec);
      self->handshake(host, verify);
    });
  }
  void handshake(const std::string& host, bool verify) {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      write();
    } else {
      stage = "TLS handshake";
      SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
      if (verify) stream.set_verify_callback(asio::ssl::host_name_verification(host));
      stream.async_handshake(asio::ssl::stream_base::client, [self = this->shared_from_this()](error_code ec) {
        if (ec) return self->finish(ec);
        self->write();
      });
    }
  }
  void write() {
    stage = "request";
    written = std::chrono::steady_clock::now();
    http::async_write(stream, req, [self = this->shared_from_this()](error_code ec, std::size_t) {
      if (ec) return self->finish(ec);
      self->stage = "response";
      http::async_read(self->stream, self->buffer, self->res,
                       [self](error_code ec2, std::size_t) { self->finish(ec2); });
    });
  }
  void finish(error_code ec) { done = ec; }
};

template <class Stream, class... A>
HttpResult run(asio::io_context& io, const ServerUrl& url, bool verify, http::request<http::string_body> req,
               std::chrono::steady_clock::duration timeout, A&&... stream_args) {
  HttpResult out;
  tcp::resolver resolver(io);
  error_code ec;
  const auto endpoints = resolver.resolve(url.host, url.port, ec);
  if (ec) {
    out.error = "cannot resolve " + url.host + ": " + ec.message();
    return out;
  }
  auto x = std::make_shared<Exchange<Stream>>(std::forward<A>(stream_args)...);
  x->req = std::move(req);
  x->lowest().expires_after(timeout);  // Beast's own timeout covers every step
  x->start(endpoints, url.host, verify);
  run_until(io, [&] { return x->done.has_value(); }, timeout + std::chrono::seconds(1));
  if (!x->done) {
    x->lowest().cancel();
    run_until(io, [&] { return x->done.has_value(); }, std::chrono::seconds(2));
    out.error = "no answer within the time limit (" + x->stage + ")";
    return out;
  }
  if (*x->done) {
    out.error = x->stage + " failed: " + x->done->message();
    return out;
  }
  out.status = x->res.result_int();
  out.body = std::move(x->res.body());
  out.rtt_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - x->written).count();
  return out;
}

}  // namespace

HttpResult http_request(asio::io_context& io, const ServerUrl& url, bool verify_certificate, const std::string& method,
                        const std::string& target, const std::string& body, std::chrono::steady_clock::duration timeout) {
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, url.host + ":" + url.port);
  req.set(http::field::user_agent, "signalbox-client doctor");
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.keep_alive(false);
  req.prepare_payload();
  if (!url.tls) return run<beast::tcp_stream>(io, url, false, std::move(req), timeout, io);
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->set_default_verify_paths();
  ctx->set_verify_mode(verify_certificate ? asio::ssl::verify_peer : asio::ssl::verify_none);
  return run<beast::ssl_stream<beast::tcp_stream>>(io, url, verify_certificate, std::move(req), timeout, io, *ctx);
}

}  // namespace sb::client::doctor
