// One HTTP(S) request from the native doctor to the server it came from (GET /doctor/config, POST
// /doctor/report), Boost.Beast on the doctor's io_context, bounded by a timeout.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <string>

#include "client/options.hpp"

namespace sb::client::doctor {

struct HttpResult {
  unsigned status = 0;  // 0: no answer (see error)
  std::string body;
  std::string error;
  double rtt_ms = 0;  // from the request's first byte written to the whole answer read
};

// `url` gives scheme (wss → https), host and port; `target` the path.
HttpResult http_request(boost::asio::io_context& io, const ServerUrl& url, bool verify_certificate,
                        const std::string& method, const std::string& target, const std::string& body,
                        std::chrono::steady_clock::duration timeout);

}  // namespace sb::client::doctor
