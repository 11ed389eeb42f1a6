// WebSocket framing after the handshake (src/ws, net/ws_session.cpp), seen from a raw TCP client that writes
// its own frames: fragments and pings reassembled and answered, many frames in one TCP write, each bad frame
// failing its connection with its RFC 6455 code, and the close handshake both ways.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include "signaling_harness.hpp"

namespace sb::itest {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// A server frame as read off the wire.
struct ServerFrame {
  std::uint8_t opcode = 0;
  std::string payload;
};

// A WebSocket client that writes raw frames. Blocking reads are bounded by a receive timeout on the socket.
class RawWs {
 public:
  explicit RawWs(std::uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    const timeval tv{5, 0};
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const std::string request =
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    asio::write(socket_, asio::buffer(request));
    asio::read_until(socket_, buffer_, "\r\n\r\n");
    const std::string head(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    response_ = head.substr(0, head.find("\r\n\r\n") + 4);
    buffer_.consume(response_.size());
  }
  const std::string& response() const { return response_; }

  // A masked frame; `first` is FIN/RSV/opcode.
  static std::string frame(std::uint8_t first, std::string_view payload, bool masked = true) {
    std::string f(1, static_cast<char>(first));
    const char bit = masked ? static_cast<char>(0x80) : 0;
    if (payload.size() < 126) {
      f.push_back(static_cast<char>(bit | static_cast<char>(payload.size())));
    } else if (payload.size() <= 0xFFFF) {
      f.push_back(static_cast<char>(bit | 126));
      f.push_back(static_cast<char>(payload.size() >> 8));
      f.push_back(static_cast<char>(payload.size() & 0xFF));
    } else {
      f.push_back(static_cast<char>(bit | 127));
      for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>((payload.size() >> (8 * i)) & 0xFF));
    }
    const char key[4] = {0x0a, 0x3c, 0x55, 0x7e};
    if (masked) f.append(key, 4);
    for (std::size_t i = 0; i < payload.size(); ++i) f.push_back(masked ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i]);
    return f;
  }
  static std::string text(std::string_view p) { return frame(0x81, p); }

  void write(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }

  // The next server frame; nullopt when the server closed the TCP connection (or nothing came in 5 s).
  std::optional<ServerFrame> next() {
    if (!fill(2)) return std::nullopt;
    const auto* p = static_cast<const unsigned char*>(buffer_.data().data());
    EXPECT_EQ(p[1] & 0x80, 0) << "a server frame must not be masked";
    std::size_t len = p[1] & 0x7F, head = 2;
    if (len == 126) {
      if (!fill(4)) return std::nullopt;
      p = static_cast<const unsigned char*>(buffer_.data().data());
      len = (std::size_t{p[2]} << 8) | p[3];
      head = 4;
    }
    if (!fill(head + len)) return std::nullopt;
    p = static_cast<const unsigned char*>(buffer_.data().data());
    ServerFrame f{static_cast<std::uint8_t>(p[0] & 0x0F), std::string(reinterpret_cast<const char*>(p) + head, len)};
    buffer_.consume(head + len);
    return f;
  }
  // The next frame that is not a server ping.
  std::optional<ServerFrame> next_data() {
    for (;;) {
      auto f = next();
      if (!f || f->opcode != 9) return f;
    }
  }
  // Whether the server closed the TCP connection (after any frames still to read).
  bool ended() {
    while (next()) {
    }
    return !socket_.is_open() || eof_;
  }

 private:
  bool fill(std::size_t n) {
    while (buffer_.size() < n) {
      boost::system::error_code ec;
      const std::size_t got = socket_.read_some(buffer_.prepare(4096), ec);
      if (ec) {
        eof_ = ec == asio::error::eof || ec == asio::error::connection_reset;
        return false;
      }
      buffer_.commit(got);
    }
    return true;
  }
  asio::io_context io_;
  tcp::socket socket_;
  asio::streambuf buffer_;
  std::string response_;
  bool eof_ = false;
};

std::uint16_t close_code_of(const ServerFrame& f) {
  return f.payload.size() >= 2 ? static_cast<std::uint16_t>((static_cast<unsigned char>(f.payload[0]) << 8) |
                                                             static_cast<unsigned char>(f.payload[1]))
                               : 1005;
}

class SignalingFraming : public SignalingTest {
 protected:
  void SetUp() override { start_server(); }
  std::uint16_t port() { return server().port(); }
};

TEST_F(SignalingFraming, HandshakeIsAnsweredByTheRfcExample) {
  RawWs c(port());
  EXPECT_EQ(c.response().rfind("HTTP/1.1 101", 0), 0u) << c.response();
  // RFC 6455 §1.3: this key's accept value.
  EXPECT_NE(c.response().find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos) << c.response();
}

TEST_F(SignalingFraming, FragmentsAndAPingBetweenThemMakeOneMessage) {
  RawWs c(port());
  c.write(RawWs::frame(0x01, R"({"type":"jo)") + RawWs::frame(0x89, "are you there") +
          RawWs::frame(0x00, R"(in","room":"fr)") + RawWs::frame(0x80, R"(ag"})"));
  auto pong = c.next_data();
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->opcode, 10);
  EXPECT_EQ(pong->payload, "are you there");
  auto joined = c.next_data();
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->opcode, 1);
  EXPECT_EQ(type_of(nlohmann::json::parse(joined->payload)), "joined") << joined->payload;
}

TEST_F(SignalingFraming, ManyFramesInOneWriteAreEachAnswered) {
  RawWs c(port());
  std::string burst;
  for (int i = 0; i < 50; ++i) burst += RawWs::text(R"({"type":"ping"})");
  c.write(burst);
  for (int i = 0; i < 50; ++i) {
    auto f = c.next_data();
    ASSERT_TRUE(f) << "after " << i << " pongs";
    EXPECT_EQ(type_of(nlohmann::json::parse(f->payload)), "pong");
  }
}

TEST_F(SignalingFraming, EachBadFrameFailsItsConnectionWithItsCode) {
  struct Case {
    const char* name;
    std::string bytes;
    std::uint16_t code;
  };
  const std::vector<Case> cases = {
      {"unmasked", RawWs::frame(0x81, R"({"type":"ping"})", false), 1002},
      {"reserved bit", RawWs::frame(0xC1, R"({"type":"ping"})"), 1002},
      {"reserved opcode", RawWs::frame(0x83, "x"), 1002},
      {"continuation of nothing", RawWs::frame(0x80, "x"), 1002},
      {"ping over 125 bytes", RawWs::frame(0x89, std::string(126, 'p')), 1002},
      {"text not UTF-8", RawWs::text("{\"type\":\"ping\",\"x\":\"\xC0\xAF\"}"), 1007},
      // Only the header and a little of the payload are sent: the limit is read from the header.
      {"over --max-message-bytes", RawWs::text(std::string(70000, ' ')).substr(0, 200), 1009},
  };
  auto watcher = connect();
  join(*watcher, "framing");
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    RawWs bad(port());
    bad.write(c.bytes);
    auto f = bad.next_data();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->opcode, 8);
    EXPECT_EQ(close_code_of(*f), c.code) << f->payload;
    EXPECT_TRUE(bad.ended());
  }
  expect_open(*watcher);  // nobody else noticed
}

TEST_F(SignalingFraming, ClientCloseIsEchoedAndThePeerSeesAGoodbye) {
  auto b = connect();
  join(*b, "closing");
  RawWs a(port());
  a.write(RawWs::text(R"({"type":"join","room":"closing"})"));
  auto joined = a.next_data();
  ASSERT_TRUE(joined);
  expect_message(*b, "peer-joined");
  a.write(RawWs::frame(0x88, std::string("\x03\xE8", 2) + "done"));
  auto echo = a.next_data();
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->opcode, 8);
  EXPECT_EQ(close_code_of(*echo), 1000);
  EXPECT_TRUE(a.ended());
  auto left = expect_message(*b, "peer-left");
  EXPECT_EQ(str_field(left, "reason"), "disconnect") << left.dump();
}

}  // namespace
}  // namespace sb::itest
