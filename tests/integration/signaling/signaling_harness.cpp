#include "signaling_harness.hpp"

#include <regex>

namespace sb::itest {

void SignalingTest::start_server(std::vector<std::string> args) {
  ServerOptions o;
  o.args = {"--listen", "127.0.0.1:0", "--log-level", "warn"};
  o.args.insert(o.args.end(), args.begin(), args.end());
  // Signaling only; unknown SIGNALBOX_* variables are ignored, so this stays valid before TURN exists.
  o.env = {{"SIGNALBOX_NO_STUN", "true"}, {"SIGNALBOX_NO_TURN", "true"}};
  for (const auto& a : args) tls_ = tls_ || a == "--self-signed" || a == "--tls-cert";
  server_ = std::make_unique<ServerProcess>(std::move(o));
}

std::unique_ptr<WsClient> SignalingTest::connect(WsOptions options) {
  options.tls = tls_;
  const auto& l = server_->listener(tls_ ? "https" : "http");
  return std::make_unique<WsClient>(l.host, l.port, options);
}

HttpResponse SignalingTest::get(const std::string& target) {
  const auto& l = server_->listener(tls_ ? "https" : "http");
  return http_get(l.host, l.port, target, tls_);
}

Metrics SignalingTest::metrics() {
  auto r = get("/metrics");
  EXPECT_EQ(r.status, 200) << r.error;
  return parse_prometheus(r.body);
}

void SignalingTest::TearDown() {
  if (!server_) return;
  ExitStatus s = server_->stop();
  EXPECT_TRUE(s.clean()) << "signalbox ended with " << s.describe() << "; output:\n" << server_->output();
  if (HasFailure()) std::cerr << "--- signalbox output ---\n" << server_->output() << "---\n";
}

nlohmann::json expect_message(WsClient& c, const std::string& type, milliseconds timeout) {
  auto m = c.receive_json(timeout);
  if (!m) {
    ADD_FAILURE() << "expected `" << type << "`, got nothing within " << timeout.count() << " ms"
                  << (c.closed() ? " (connection closed: " + c.last_error() + ")" : "");
    return nullptr;
  }
  if (type_of(*m) != type) {
    ADD_FAILURE() << "expected `" << type << "`, got " << m->dump();
    return nullptr;
  }
  return *m;
}

std::string join(WsClient& c, const std::string& room, const std::string& name) {
  json j = {{"type", "join"}, {"room", room}};
  if (!name.empty()) j["name"] = name;
  EXPECT_TRUE(c.send_json(j));
  auto m = expect_message(c, "joined");
  if (m.is_null()) return "";
  EXPECT_EQ(str_field(m, "room"), room);
  return str_field(m, "id");
}

void expect_error(WsClient& c, const std::string& code, const std::string& field, const std::string& ref) {
  auto m = expect_message(c, "error");
  if (m.is_null()) return;
  EXPECT_EQ(str_field(m, "code"), code) << m.dump();
  EXPECT_FALSE(str_field(m, "message").empty()) << m.dump();
  if (!field.empty()) {
    EXPECT_EQ(str_field(m, "field"), field) << m.dump();
  }
  if (!ref.empty()) {
    EXPECT_EQ(str_field(m, "ref"), ref) << m.dump();
  }
}

void expect_open(WsClient& c) {
  EXPECT_TRUE(c.send_json({{"type", "ping"}}));
  expect_message(c, "pong");
}

void expect_silence(WsClient& c, milliseconds quiet) {
  auto m = c.receive(quiet);
  EXPECT_FALSE(m.has_value()) << "unexpected message: " << *m;
}

std::string unused_peer_id() { return "0123456789abcdef0123456789abcdef"; }

}  // namespace sb::itest
