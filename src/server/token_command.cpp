#include "server/token_command.hpp"

#include <CLI/CLI.hpp>

#include <chrono>

#include "auth/mint.hpp"
#include "server/config.hpp"

namespace sb::server {
namespace {

struct TokenArgs {
  std::string room;
  std::string identity;
  std::string ttl = "1h";
  std::string kid;  // "" = the first --jwt-secret
  bool turn = false;
  std::string name;
  std::string meta;
  std::uint32_t max_peers = 0;
  std::string link;  // base URL of the web client
};

void add_flags(CLI::App& app, TokenArgs& a) {
  app.add_option("--room", a.room, "room the token admits to: a name, a prefix ending in *, or *")->required();
  app.add_option("--identity", a.identity, "who the holder is (the `sub` claim, shown to peers)")->required();
  app.add_option("--ttl", a.ttl, "lifetime: 90s, 15m, 1h, 7d")->capture_default_str();
  app.add_option("--kid", a.kid, "key id of the --jwt-secret to sign with (default: the first)");
  app.add_flag("--turn", a.turn, "allow TURN credentials");
  app.add_option("--name", a.name, "display name peers see");
  app.add_option("--meta", a.meta, "JSON passed to peers, e.g. '{\"role\":\"host\"}'");
  app.add_option("--max-peers", a.max_peers, "room size for this holder (capped by --max-peers-per-room)");
  app.add_option("--link", a.link, "print BASE?room=ROOM&token=TOKEN for the web client at BASE instead");
}

// The secret for `kid` among the configured KID:SECRET values ("" kid: the first).
bool find_secret(const std::vector<std::string>& secrets, std::string& kid, std::string& secret) {
  for (const auto& s : secrets) {
    std::string k, v;
    if (!split_kid(s, &k, &v)) continue;
    if (kid.empty() || kid == k) {
      kid = k;
      secret = v;
      return true;
    }
  }
  return false;
}

std::string link_for(const std::string& base, const std::string& room, const std::string& token) {
  // Room names and tokens use only URL-safe characters ([A-Za-z0-9_.-], base64url and '.').
  return base + (base.find('?') == std::string::npos ? "?" : "&") + "room=" + room + "&token=" + token;
}

}  // namespace

int run_token_command(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"signalbox token: mint a join token with a configured --jwt-secret (docs/auth.md). Server "
               "options (--jwt-secret, --config, --jwt-audience, --jwt-issuer) are read as the server reads them.",
               "signalbox token"};
  app.allow_extras();
  TokenArgs a;
  add_flags(app, a);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e, out, err);
  }
  std::vector<std::string> rest = app.remaining();
  rest.insert(rest.begin(), "signalbox");
  std::vector<const char*> server_argv;
  for (const auto& s : rest) server_argv.push_back(s.c_str());
  auto loaded = load_config(static_cast<int>(server_argv.size()), server_argv.data());
  if (!loaded.error.empty() || loaded.exit_now) {
    err << "signalbox token: " << (loaded.exit_now ? "unexpected option" : loaded.error) << "\n";
    return 2;
  }
  auth::MintRequest r;
  r.kid = a.kid;
  if (!find_secret(loaded.config.auth.jwt_secrets, r.kid, r.secret)) {
    err << "signalbox token: " << (a.kid.empty() ? "no --jwt-secret KID:SECRET is configured" : "no --jwt-secret with kid " + a.kid) << "\n";
    return 2;
  }
  if (!a.link.empty() && a.room.back() == '*') {
    err << "signalbox token: --link needs an exact --room (a link opens one room)\n";
    return 2;
  }
  const auto ttl = auth::parse_duration(a.ttl);
  if (!ttl) {
    err << "signalbox token: --ttl must be like 90s, 15m, 1h or 7d\n";
    return 2;
  }
  r.identity = a.identity;
  r.room = a.room;
  r.ttl_s = *ttl;
  r.turn = a.turn;
  r.name = a.name;
  r.meta_json = a.meta;
  r.max_peers = a.max_peers;
  r.audience = loaded.config.auth.jwt_audience;
  r.issuer = loaded.config.auth.jwt_issuer;
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  const auto minted = auth::mint_token(r, now);
  if (!minted.error.empty()) {
    err << "signalbox token: " << minted.error << "\n";
    return 2;
  }
  out << (a.link.empty() ? minted.token : link_for(a.link, a.room, minted.token)) << "\n";
  return 0;
}

}  // namespace sb::server
