#include "common/hook_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>

#include "common/io_thread.hpp"

namespace sb::itest {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

}  // namespace

struct HookServer::Impl : std::enable_shared_from_this<HookServer::Impl> {
  explicit Impl(asio::io_context& c) : ioc(c), acceptor(c) {}
  asio::io_context& ioc;
  Handler handler;
  std::shared_ptr<asio::ssl::context> tls;
  tcp::acceptor acceptor;
  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::vector<HookRequest> requests;  // guarded by mu

  void accept() {
    acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket s) {
      if (ec) return;
      if (self->tls) {
        auto stream = std::make_shared<asio::ssl::stream<tcp::socket>>(std::move(s), *self->tls);
        stream->async_handshake(asio::ssl::stream_base::server, [self, stream](beast::error_code e) {
          if (!e) self->serve(stream);
        });
      } else {
        self->serve(std::make_shared<tcp::socket>(std::move(s)));
      }
      self->accept();
    });
  }

  template <class Stream>
  void serve(std::shared_ptr<Stream> stream) {
    auto buffer = std::make_shared<beast::flat_buffer>();
    auto req = std::make_shared<http::request<http::string_body>>();
    http::async_read(*stream, *buffer, *req, [self = shared_from_this(), stream, buffer, req](beast::error_code ec,
                                                                                              std::size_t) {
      if (ec) return;
      HookRequest r{std::string(req->method_string()), std::string(req->target()),
                    std::string((*req)[http::field::content_type]), req->body()};
      {
        std::lock_guard lock(self->mu);
        self->requests.push_back(r);
      }
      self->cv.notify_all();
      auto answer = std::make_shared<HookResponse>(self->handler(r));
      auto timer = std::make_shared<asio::steady_timer>(self->ioc, answer->delay);
      timer->async_wait([self, stream, answer, timer](beast::error_code) { self->respond(stream, answer); });
    });
  }

  template <class Stream>
  void respond(std::shared_ptr<Stream> stream, std::shared_ptr<HookResponse> answer) {
    if (!answer->raw.empty()) {
      auto raw = std::make_shared<std::string>(answer->raw);
      asio::async_write(*stream, asio::buffer(*raw), [stream, raw](beast::error_code, std::size_t) {
        beast::error_code ignored;
        beast::get_lowest_layer(*stream).close(ignored);
      });
      return;
    }
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(answer->status), 11);
    res->set(http::field::content_type, "application/json");
    res->body() = answer->body;
    res->keep_alive(false);
    res->prepare_payload();
    http::async_write(*stream, *res, [stream, res](beast::error_code, std::size_t) {
      beast::error_code ignored;
      beast::get_lowest_layer(*stream).close(ignored);
    });
  }
};

HookServer::HookServer(Handler handler, std::shared_ptr<asio::ssl::context> tls, const std::string& address)
    : io_(std::make_unique<IoThread>()), impl_(std::make_shared<Impl>(io_->context())), tls_(tls != nullptr),
      address_(address) {
  impl_->handler = std::move(handler);
  impl_->tls = std::move(tls);
  const tcp::endpoint ep(asio::ip::make_address(address), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  port_ = impl_->acceptor.local_endpoint().port();
  asio::post(io_->context(), [impl = impl_] { impl->accept(); });
}

HookServer::~HookServer() {
  // Stopping the loop destroys the pending handlers, and with the last of them the connections and impl_.
  impl_.reset();
  io_.reset();
}

std::string HookServer::url(const std::string& path) const {
  return std::string(tls_ ? "https" : "http") + "://" + address_ + ":" + std::to_string(port_) + path;
}

std::vector<HookRequest> HookServer::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->requests;
}

bool HookServer::wait_requests(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->requests.size() >= n; });
}

}  // namespace sb::itest
