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

void expect_peerjs_id_taken(WsClient& thief, WsClient& holder, WsClient& sender, const std::string& id,
                            const std::string& sender_id) {
  const auto taken = expect_message(thief, "ID-TAKEN");
  EXPECT_EQ(taken["payload"]["msg"], "ID is taken");
  EXPECT_TRUE(thief.wait_closed(kWait));
  ASSERT_TRUE(sender.send_json({{"type", "OFFER"}, {"dst", id}, {"payload", 1}}));
  EXPECT_EQ(str_field(expect_message(holder, "OFFER"), "src"), sender_id);
  EXPECT_FALSE(holder.closed());
}

std::string unused_peer_id() { return "0123456789abcdef0123456789abcdef"; }

Resumable join_resumable(std::unique_ptr<WsClient> ws, const std::string& room) {
  Resumable r{std::move(ws), "", nullptr, 0};
  EXPECT_TRUE(r.ws->send_json({{"type", "join"}, {"room", room}, {"resume", true}}));
  auto joined = expect_message(*r.ws, "joined");
  if (joined.is_null()) return r;
  r.id = str_field(joined, "id");
  r.ticket = joined["resume"];
  EXPECT_TRUE(r.ticket.is_object()) << joined.dump();
  return r;
}

nlohmann::json next_numbered(Resumable& r, const std::string& type) {
  auto m = expect_message(*r.ws, type);
  if (m.is_null()) return m;
  EXPECT_EQ(m.value("seq", std::uint64_t{0}), r.seq + 1) << m.dump();
  r.seq = m.value("seq", r.seq);
  return m;
}

bool send_resume(WsClient& ws, const Resumable& r, const std::string& secret) {
  return ws.send_json({{"type", "resume"},
                       {"session", r.ticket.value("session", "")},
                       {"secret", secret.empty() ? r.ticket.value("secret", "") : secret},
                       {"seq", r.seq}});
}

nlohmann::json test_candidate(int i) {
  return {{"candidate", "candidate:" + std::to_string(i) + " 1 udp 2122260223 192.0.2.1 " +
                            std::to_string(40000 + i) + " typ host"},
          {"sdpMid", "0"},
          {"sdpMLineIndex", 0}};
}

}  // namespace sb::itest
