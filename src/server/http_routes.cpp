#include "server/http_routes.hpp"

namespace sb::server {

net::HttpResponse text_response(unsigned status, std::string body) {
  return net::HttpResponse{status, "text/plain; charset=utf-8", std::move(body), {}};
}

HttpRoutes::HttpRoutes(std::shared_ptr<const StaticFiles> files, std::shared_ptr<const metrics::Registry> metrics,
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

void HttpRoutes::add_post(std::string path, Access access, Route route) {
  post_routes_[std::move(path)] = {access, std::move(route)};
}

net::HttpResponse HttpRoutes::handle(const net::HttpRequest& request) {
  const std::string path = request.target.substr(0, request.target.find_first_of("?#"));
  auto allowed = [](const char* methods) {
    auto r = text_response(405, "method not allowed\n");
    r.headers.emplace_back("Allow", methods);
    return r;
  };
  auto dispatch = [&](const std::pair<Access, Route>& route) {
    if (route.first == Access::admin) {
      if (auto refused = refuse_admin(request)) return *refused;
    }
    return route.second(request);
  };
  if (auto post = post_routes_.find(path); post != post_routes_.end()) {
    return request.method == "POST" ? dispatch(post->second) : allowed("POST");
  }
  if (request.method != "GET" && request.method != "HEAD") return allowed("GET, HEAD");
  if (auto it = routes_.find(path); it != routes_.end()) return dispatch(it->second);
  if (path.starts_with("/admin/")) {
    // Unknown admin paths look the same as forbidden ones to outsiders.
    if (auto refused = refuse_admin(request)) return *refused;
    return text_response(404, "not found\n");
  }
  for (const auto& m : matchers_) {
    if (auto r = m(request)) return std::move(*r);
  }
  return serve_file(request);
}

std::optional<net::HttpResponse> HttpRoutes::refuse_admin(const net::HttpRequest& request) const {
  switch (acl_.check(request)) {
    case AdminAcl::Verdict::kAllowed: return std::nullopt;
    case AdminAcl::Verdict::kForbidden: return text_response(403, "forbidden\n");
    case AdminAcl::Verdict::kUnauthorized: break;
  }
  auto r = text_response(401, "unauthorized\n");
  r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"signalbox admin\"");
  return r;
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
