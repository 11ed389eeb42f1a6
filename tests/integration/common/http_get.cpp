#include "common/http_get.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace sb::itest {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

// Runs connect → (TLS handshake) → write → read on `stream`; every step is bounded by the tcp_stream expiry.
template <class Stream>
HttpResponse exchange(net::io_context& ioc, Stream& stream, const tcp::endpoint& ep, const std::string& target,
                      std::chrono::milliseconds timeout, const std::string& authorization,
                      const std::string* body = nullptr) {
  HttpResponse out;
  http::request<http::string_body> req{body ? http::verb::post : http::verb::get, target, 11};
  if (!authorization.empty()) req.set(http::field::authorization, authorization);
  req.set(http::field::host, ep.address().to_string() + ":" + std::to_string(ep.port()));
  req.set(http::field::connection, "close");
  if (body) {
    req.set(http::field::content_type, "application/json");
    req.body() = *body;
    req.prepare_payload();
  }
  http::response<http::string_body> res;
  beast::flat_buffer buffer;
  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_after(timeout);
  auto fail = [&](const char* step, beast::error_code ec) { out.error = std::string(step) + ": " + ec.message(); };
  auto on_written = [&](beast::error_code ec, std::size_t) {
    if (ec) return fail("write", ec);
    http::async_read(stream, buffer, res, [&](beast::error_code ec, std::size_t) {
      if (ec) return fail("read", ec);
      out.status = static_cast<int>(res.result_int());
      out.content_type = std::string(res[http::field::content_type]);
      out.body = res.body();
    });
  };
  lowest.async_connect(ep, [&](beast::error_code ec) {
    if (ec) return fail("connect", ec);
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      http::async_write(stream, req, on_written);
    } else {
      stream.async_handshake(net::ssl::stream_base::client, [&](beast::error_code ec) {
        if (ec) return fail("tls handshake", ec);
        http::async_write(stream, req, on_written);
      });
    }
  });
  ioc.run();
  return out;
}

}  // namespace

HttpResponse http_get(const std::string& host, std::uint16_t port, const std::string& target, bool tls,
                      std::chrono::milliseconds timeout, const std::string& authorization) {
  net::io_context ioc;
  beast::error_code ec;
  auto address = net::ip::make_address(host, ec);
  if (ec) return HttpResponse{0, "", "", "bad address " + host};
  tcp::endpoint ep(address, port);
  if (!tls) {
    beast::tcp_stream stream(ioc);
    return exchange(ioc, stream, ep, target, timeout, authorization);
  }
  net::ssl::context ctx(net::ssl::context::tls_client);
  ctx.set_verify_mode(net::ssl::verify_none);  // self-signed test certificates
  beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
  return exchange(ioc, stream, ep, target, timeout, authorization);
}

HttpResponse http_post(const std::string& host, std::uint16_t port, const std::string& target, const std::string& body,
                       std::chrono::milliseconds timeout) {
  net::io_context ioc;
  beast::error_code ec;
  auto address = net::ip::make_address(host, ec);
  if (ec) return HttpResponse{0, "", "", "bad address " + host};
  beast::tcp_stream stream(ioc);
  return exchange(ioc, stream, tcp::endpoint(address, port), target, timeout, "", &body);
}

}  // namespace sb::itest
