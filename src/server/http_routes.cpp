#include "server/http_routes.hpp"

namespace sb::server {

net::HttpResponse text_response(unsigned status, std::string body) {
  return net::HttpResponse{status, "text/plain; charset=utf-8", std::move(body), {}};
}

HttpRoutes::HttpRoutes(std::shared_ptr<const StaticFiles> files, std::shared_ptr<const MetricsRegistry> metrics,
                       AdminAcl acl)
    : files_(std::move(files)), metrics_(std::move(metrics)), acl_(std::move(acl)) {
  add("/healthz", Access::open, [](const net::HttpRequest&) { return text_response(200, "ok\n"); });
  add("/metrics", Access::admin, [this](const net::HttpRequest&) {
    return net::HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", metrics_->render(), {}};
  });
}

void HttpRoutes::add(std::string path, Access access, Route route) {
  routes_[std::move(path)] = {access, std::move(route)};
}

void HttpRoutes::add_matcher(Matcher matcher) { matchers_.push_back(std::move(matcher)); }

net::HttpResponse HttpRoutes::handle(const net::HttpRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    auto r = text_response(405, "method not allowed\n");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  const std::string path = request.target.substr(0, request.target.find_first_of("?#"));
  auto it = routes_.find(path);
  if (it != routes_.end()) {
    if (it->second.first == Access::admin && !acl_.allows(request.remote)) return text_response(403, "forbidden\n");
    return it->second.second(request);
  }
  for (const auto& m : matchers_) {
    if (auto r = m(request)) return std::move(*r);
  }
  if (path.starts_with("/admin/")) {
    // Unknown admin paths look the same as forbidden ones to outsiders.
    return acl_.allows(request.remote) ? text_response(404, "not found\n") : text_response(403, "forbidden\n");
  }
  return serve_file(request);
}

net::HttpResponse HttpRoutes::serve_file(const net::HttpRequest& request) const {
  auto path = static_path(request.target);
  if (!path) return text_response(404, "not found\n");
  auto content = files_->read(*path);
  if (!content) return text_response(404, "not found\n");
  net::HttpResponse r{200, std::string(mime_type(*path)), std::move(*content), {}};
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

}  // namespace sb::server
