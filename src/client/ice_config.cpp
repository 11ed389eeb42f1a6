#include "client/ice_config.hpp"

#include <glib.h>

#include <memory>

namespace sb::client {
namespace {

std::string escape(const std::string& s) {
  std::unique_ptr<gchar, decltype(&g_free)> e(g_uri_escape_string(s.c_str(), nullptr, FALSE), &g_free);
  return e.get();
}

std::string join(const std::set<std::string>& s) {
  if (s.empty()) return "none";
  std::string out;
  for (const auto& t : s) out += (out.empty() ? "" : ",") + t;
  return out;
}

}  // namespace

GstIceServers to_gst_ice_servers(const std::vector<signaling::IceServer>& servers) {
  GstIceServers out;
  for (const auto& server : servers) {
    for (const auto& url : server.urls) {
      auto colon = url.find(':');
      std::string scheme = url.substr(0, colon);
      std::string rest = colon == std::string::npos ? "" : url.substr(colon + 1);
      if (rest.starts_with("//")) rest.erase(0, 2);
      if (rest.empty()) {
        out.skipped.push_back(url + " (no host)");
      } else if (scheme == "stun") {
        out.stun.push_back("stun://" + rest.substr(0, rest.find('?')));
      } else if (scheme == "turn" || scheme == "turns") {
        if (!server.username || !server.credential) {
          out.skipped.push_back(url + " (TURN without credentials)");
          continue;
        }
        out.turn.push_back(scheme + "://" + escape(*server.username) + ":" + escape(*server.credential) + "@" +
                           rest);
      } else {
        out.skipped.push_back(url + " (unknown scheme)");
      }
    }
  }
  return out;
}

std::optional<std::string> candidate_type(std::string_view c) {
  // candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...
  auto pos = c.find(" typ ");
  if (pos == std::string_view::npos) return std::nullopt;
  c.remove_prefix(pos + 5);
  auto end = c.find(' ');
  std::string_view t = c.substr(0, end);
  if (t.empty()) return std::nullopt;
  return std::string(t);
}

std::string CandidateTypesSeen::describe() const {
  return "local " + join(local) + "; remote " + join(remote);
}

}  // namespace sb::client
