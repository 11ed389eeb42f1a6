// A tiny HTTP/1.1 GET (and POST) for tests (/healthz, /metrics, the web client), plain or TLS without verification.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace sb::itest {

struct HttpResponse {
  int status = 0;  // 0 when the request failed; `error` says why
  std::string content_type;
  std::string body;
  std::string error;
};

// `authorization`: the Authorization header to send, none when empty.
HttpResponse http_get(const std::string& host, std::uint16_t port, const std::string& target, bool tls = false,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(5000),
                      const std::string& authorization = {});

// The same as a POST with a JSON body, plain HTTP.
HttpResponse http_post(const std::string& host, std::uint16_t port, const std::string& target, const std::string& body,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

}  // namespace sb::itest
