// A small scripted HTTP(S) server for auth-webhook tests: each request is answered by a test-supplied
// function (status, body, delay, or raw bytes instead of HTTP), and every request body is recorded.
// Runs on its own thread, binds port 0 on the given loopback address, and stops in its destructor.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace sb::itest {

class IoThread;

struct HookRequest {
  std::string method;
  std::string target;
  std::string content_type;
  std::string body;
};

struct HookResponse {
  unsigned status = 200;
  std::string body = R"({"allowed":true})";
  std::chrono::milliseconds delay{0};  // before answering
  std::string raw = {};                // non-empty: sent as is instead of an HTTP response, then closed
};

class HookServer {
 public:
  using Handler = std::function<HookResponse(const HookRequest&)>;
  // `tls` null: plain HTTP.
  HookServer(Handler handler, std::shared_ptr<boost::asio::ssl::context> tls = nullptr,
             const std::string& address = "127.0.0.1");
  ~HookServer();
  HookServer(const HookServer&) = delete;
  HookServer& operator=(const HookServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/hook") const;  // http(s)://ADDRESS:PORT/path

  std::vector<HookRequest> requests() const;
  // Waits until `n` requests have arrived (bounded); true if they did.
  bool wait_requests(std::size_t n, std::chrono::milliseconds timeout) const;

  struct Impl;

 private:
  std::unique_ptr<IoThread> io_;  // declared first: destroyed last, with the handlers that hold impl_
  std::shared_ptr<Impl> impl_;
  std::uint16_t port_ = 0;
  bool tls_ = false;
  std::string address_;
};

}  // namespace sb::itest
