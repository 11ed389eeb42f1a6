#include "server/config.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include <unistd.h>

using namespace sb::server;

namespace {

struct Env {
  std::map<std::string, std::string> vars;
  std::function<const char*(const char*)> fn() const {
    return [this](const char* n) -> const char* {
      auto it = vars.find(n);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

OptionTable::Result parse(Config& cfg, std::vector<std::string> args, const Env& env = {}) {
  OptionTable t;
  register_options(t, cfg);
  args.insert(args.begin(), "signalbox");
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  return t.parse(static_cast<int>(argv.size()), argv.data(), env.fn());
}

std::string write_temp(const std::string& text) {
  char path[] = "/tmp/signalbox-config-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  ::close(fd);
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST(Config, EmbeddedDefaultsAreValid) {
  Config cfg;
  EXPECT_EQ(cfg.validate(), "");
  EXPECT_EQ(cfg.http.listen, "127.0.0.1:8080");
  EXPECT_EQ(cfg.signaling.max_peers_per_room, 2u);
  EXPECT_EQ(cfg.signaling.max_message_bytes, 65536u);
}

TEST(Config, CommandLineBeatsEnvironmentBeatsFile) {
  auto file = write_temp("listen = \"127.0.0.1:1111\"\nmax-rooms = 7\nrate-limit = 5\nice-server = [\"stun:a:1\", \"stun:b:2\"]\n");
  Env env;
  env.vars["SIGNALBOX_MAX_ROOMS"] = "8";
  env.vars["SIGNALBOX_RATE_LIMIT"] = "6";
  Config cfg;
  auto r = parse(cfg, {"--config", file, "--rate-limit", "9"}, env);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(cfg.http.listen, "127.0.0.1:1111");   // file only
  EXPECT_EQ(cfg.signaling.max_rooms, 8u);         // env over file
  EXPECT_DOUBLE_EQ(cfg.signaling.rate_limit, 9);  // CLI over env
  EXPECT_EQ(cfg.signaling.ice_servers, (std::vector<std::string>{"stun:a:1", "stun:b:2"}));
  std::remove(file.c_str());
}

TEST(Config, RepeatableAndFlagOptions) {
  Config cfg;
  auto r = parse(cfg, {"--admin-allow", "10.0.0.0/8", "--admin-allow", "::1", "--self-signed", "--no-stun"});
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(cfg.http.admin_allow.size(), 2u);
  EXPECT_TRUE(cfg.http.self_signed);
  EXPECT_TRUE(cfg.stun.disabled);
}

TEST(Config, UnknownKeysAndBadValuesAreClearErrors) {
  Config cfg;
  auto file = write_temp("lisen = \"x\"\n");
  auto r = parse(cfg, {"--config", file});
  EXPECT_NE(r.error.find("unknown key 'lisen'"), std::string::npos) << r.error;
  std::remove(file.c_str());

  auto file2 = write_temp("max-rooms = \"many\"\n");
  r = parse(cfg, {"--config", file2});
  EXPECT_NE(r.error.find("max-rooms"), std::string::npos) << r.error;
  std::remove(file2.c_str());

  r = parse(cfg, {"--no-such-flag"});
  EXPECT_FALSE(r.error.empty());
  r = parse(cfg, {"--max-rooms", "-3"});
  EXPECT_FALSE(r.error.empty());
}

TEST(Config, ValidateNamesEveryProblem) {
  Config cfg;
  cfg.http.listen = "nonsense";
  cfg.http.tls_cert = "cert.pem";
  cfg.signaling.max_peers_per_room = 0;
  cfg.signaling.idle_timeout_s = 1;
  cfg.signaling.ping_interval_s = 5;
  cfg.http.admin_allow = {"10.0.0.0/99"};
  cfg.stun.public_address = "turn.example.org:99999";
  cfg.http.threads = 100000;
  cfg.turn.threads = 257;
  auto e = cfg.validate();
  EXPECT_NE(e.find("--threads must be 0 (one per core) to 256"), std::string::npos) << e;
  EXPECT_NE(e.find("--turn-threads must be 0"), std::string::npos) << e;
  EXPECT_NE(e.find("--listen"), std::string::npos) << e;
  EXPECT_NE(e.find("--tls-key"), std::string::npos) << e;
  EXPECT_NE(e.find("--max-peers-per-room"), std::string::npos) << e;
  EXPECT_NE(e.find("--idle-timeout"), std::string::npos) << e;
  EXPECT_NE(e.find("--admin-allow"), std::string::npos) << e;
  EXPECT_NE(e.find("--stun-public-address"), std::string::npos) << e;
}

// Issue 10: an IPv6 relay address could not be configured. Now one per family, brackets allowed.
TEST(Config, RelayAddressesOnePerFamily) {
  Config cfg;
  auto r = parse(cfg, {"--turn-relay-address", "192.0.2.2", "--turn-relay-address", "[fd00::2]",
                       "--turn-external-address", "203.0.113.9"});
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(cfg.turn.relay_addresses, (std::vector<std::string>{"192.0.2.2", "fd00::2"}));
  cfg.turn.relay_addresses = {"192.0.2.2", "[fd00::2]"};
  EXPECT_EQ(cfg.validate(), "");
  cfg.turn.relay_addresses = {"192.0.2.2", "192.0.2.3"};
  EXPECT_NE(cfg.validate().find("--turn-relay-address: at most one IPv4 and one IPv6"), std::string::npos);
  cfg.turn.relay_addresses = {"fd00::2:0"};
  EXPECT_EQ(cfg.validate(), "");  // an IPv6 address whose last group is 0, not HOST:PORT
  cfg.turn.relay_addresses = {"relay.example.org"};
  EXPECT_NE(cfg.validate().find("'relay.example.org' is not an IP address"), std::string::npos);
}

TEST(Config, HelpListsEveryOptionWithItsDefault) {
  Config cfg;
  auto r = parse(cfg, {"--help"});
  ASSERT_TRUE(r.exit_now);
  OptionTable t;
  Config c2;
  register_options(t, c2);
  for (const auto& o : t.options()) {
    EXPECT_NE(r.output.find("--" + o.name), std::string::npos) << o.name;
  }
  EXPECT_NE(r.output.find("127.0.0.1:8080"), std::string::npos);
}

// docs/configuration.md is generated by `signalbox --print-config-doc`; this keeps it from going stale.
TEST(Config, ConfigurationDocIsUpToDate) {
  OptionTable t;
  Config cfg;
  register_options(t, cfg);
  std::ifstream in(std::string(SIGNALBOX_SOURCE_DIR) + "/docs/configuration.md");
  std::stringstream doc;
  doc << in.rdbuf();
  EXPECT_EQ(doc.str(), t.markdown()) << "regenerate with: signalbox --print-config-doc > docs/configuration.md";
}
