// The plain-HTTP side of the one port: /healthz, /metrics, admin routes, and the web client for the rest.
// (/ws never gets here: src/net upgrades it to a WebSocket.)
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/http_handler.hpp"
#include "server/admin_acl.hpp"
#include "util/metrics.hpp"
#include "server/static_files.hpp"

namespace sb::server {

class HttpRoutes final : public net::HttpHandler {
 public:
  // admin: loopback or `admin-allow` only (403 otherwise), and the `admin-token` when set (401 otherwise).
  enum class Access { open, admin };
  using Route = std::function<net::HttpResponse(const net::HttpRequest&)>;

  HttpRoutes(std::shared_ptr<const StaticFiles> files, std::shared_ptr<const metrics::Registry> metrics,
             AdminAcl acl);

  // Exact-path routes (query ignored). Register before serving; e.g. a TURN admin endpoint:
  //   routes.add("/admin/turn/allocations", HttpRoutes::Access::admin, handler);
  void add(std::string path, Access access, Route route);
  // Routes that decide for themselves which paths are theirs (PeerJS's <path>/<key>/id): asked in order after
  // the exact-path routes and before the files; nullopt means not mine. Open access.
  using Matcher = std::function<std::optional<net::HttpResponse>(const net::HttpRequest&)>;
  void add_matcher(Matcher matcher);
  // A POST route (the request body is in HttpRequest::body). GET on it answers 405, and POST elsewhere too.
  void add_post(std::string path, Access access, Route route);

  net::HttpResponse handle(const net::HttpRequest& request) override;

 private:
  net::HttpResponse serve_file(const net::HttpRequest& request) const;
  std::optional<net::HttpResponse> refuse_admin(const net::HttpRequest& request) const;

  std::shared_ptr<const StaticFiles> files_;
  std::shared_ptr<const metrics::Registry> metrics_;
  AdminAcl acl_;
  std::unordered_map<std::string, std::pair<Access, Route>> routes_;  // fixed once serving
  std::vector<Matcher> matchers_;                                     // fixed once serving
  std::unordered_map<std::string, std::pair<Access, Route>> post_routes_;  // fixed once serving
};

net::HttpResponse text_response(unsigned status, std::string body);

}  // namespace sb::server
