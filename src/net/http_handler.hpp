// What the net layer asks the server for every plain HTTP request (anything but the /ws upgrade).
// Plain structs, no Beast types, so the routes in src/server are testable without sockets.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "util/address.hpp"

namespace sb::net {

struct HttpRequest {
  std::string method;  // "GET", "HEAD", ...
  std::string target;  // as sent: path plus optional query
  util::IpAddress remote;
  bool secure = false;        // arrived over TLS
  std::string authorization;  // the Authorization header, "" when absent
  std::string body;           // at most HttpOptions::max_body_bytes (a larger one closes the connection)
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // Thread-safe: called concurrently from every I/O thread.
  virtual HttpResponse handle(const HttpRequest& request) = 0;
};

}  // namespace sb::net
