// The WebSocket framing core: client frames as a browser sends them, every violation with its close code, and
// the server's frame headers.
#include "ws/frame.hpp"
#include "ws/subprotocol.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sb::ws {
namespace {

using Kind = Event::Kind;

// A masked client frame (RFC 6455 §5.2), with `first` as the first byte (FIN, RSV, opcode).
std::string client_frame(std::uint8_t first, std::string_view payload, bool masked = true, int force_len_bytes = 0) {
  std::string f;
  f.push_back(static_cast<char>(first));
  const std::uint8_t mask_bit = masked ? 0x80 : 0;
  const std::size_t n = payload.size();
  if ((n < 126 && force_len_bytes == 0) || force_len_bytes == 1) {
    f.push_back(static_cast<char>(mask_bit | n));
  } else if ((n <= 0xFFFF && force_len_bytes == 0) || force_len_bytes == 2) {
    f.push_back(static_cast<char>(mask_bit | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n & 0xFF));
  } else {
    f.push_back(static_cast<char>(mask_bit | 127));
    for (int i = 0; i < 8; ++i) f.push_back(static_cast<char>((static_cast<std::uint64_t>(n) >> (56 - 8 * i)) & 0xFF));
  }
  const char key[4] = {0x12, 0x34, 0x56, 0x78};
  if (masked) f.append(key, 4);
  for (std::size_t i = 0; i < n; ++i) f.push_back(masked ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i]);
  return f;
}
std::string text(std::string_view p) { return client_frame(0x81, p); }

Event parse(Reader& r, std::string& bytes) { return r.next(std::span<char>(bytes.data(), bytes.size())); }

TEST(WsReader, TextFrameIsReturnedUnmaskedInPlace) {
  Reader r(1024);
  std::string in = text(R"({"type":"join","room":"r"})");
  const Event e = parse(r, in);
  ASSERT_EQ(e.kind, Kind::message);
  EXPECT_FALSE(e.binary);
  EXPECT_EQ(e.payload, R"({"type":"join","room":"r"})");
  EXPECT_EQ(e.consumed, in.size());
  EXPECT_GE(e.payload.data(), in.data());  // a view into the input, not a copy
  EXPECT_LT(e.payload.data(), in.data() + in.size());
}

TEST(WsReader, SeveralFramesInOneReadComeOneAtATime) {
  Reader r(100000);
  const std::string big(70000, 'x');  // a 64-bit length
  std::string in = text("a") + client_frame(0x82, std::string(300, 'b')) + text(big);
  std::size_t off = 0;
  std::vector<std::size_t> sizes;
  for (;;) {
    const Event e = r.next(std::span<char>(in.data() + off, in.size() - off));
    off += e.consumed;
    if (e.kind == Kind::need_more) break;
    ASSERT_EQ(e.kind, Kind::message);
    sizes.push_back(e.payload.size());
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{1, 300, 70000}));
  EXPECT_EQ(off, in.size());
}

TEST(WsReader, PartialFrameAsksForMoreAndSaysHowMuch) {
  Reader r(1024);
  const std::string whole = text(std::string(200, 'q'));
  std::string part = whole.substr(0, 1);
  EXPECT_EQ(parse(r, part).kind, Kind::need_more);
  part = whole.substr(0, 10);
  const Event e = parse(r, part);
  EXPECT_EQ(e.kind, Kind::need_more);
  EXPECT_EQ(e.consumed, 0u);
  EXPECT_EQ(e.need, whole.size());
  std::string all = whole;
  EXPECT_EQ(parse(r, all).kind, Kind::message);
}

TEST(WsReader, FragmentedMessageIsReassembledAcrossCallsWithControlFramesBetween) {
  Reader r(1024);
  std::string in = client_frame(0x01, "hel") + client_frame(0x89, "p1");  // text, not final; then a ping
  Event e = parse(r, in);
  ASSERT_EQ(e.kind, Kind::ping);
  EXPECT_EQ(e.payload, "p1");
  EXPECT_EQ(e.consumed, in.size());
  std::string rest = client_frame(0x00, "lo ") + client_frame(0x80, "world");
  e = parse(r, rest);
  ASSERT_EQ(e.kind, Kind::message);
  EXPECT_EQ(e.payload, "hello world");
  EXPECT_EQ(e.consumed, rest.size());
  std::string after = text("next");
  EXPECT_EQ(parse(r, after).payload, "next");
}

TEST(WsReader, CloseCarriesCodeAndReason) {
  Reader r(1024);
  std::string in = client_frame(0x88, std::string("\x03\xE8", 2) + "bye");
  Event e = parse(r, in);
  ASSERT_EQ(e.kind, Kind::close);
  EXPECT_EQ(e.code, 1000);
  EXPECT_EQ(e.payload, "bye");
  Reader r2(1024);
  std::string empty = client_frame(0x88, "");
  e = parse(r2, empty);
  ASSERT_EQ(e.kind, Kind::close);
  EXPECT_EQ(e.code, close_code::none);
}

struct Bad {
  const char* name;
  std::string bytes;
  std::uint16_t code;
};

TEST(WsReader, EveryViolationFailsWithItsCode) {
  const std::vector<Bad> cases = {
      {"unmasked", client_frame(0x81, "x", false), 1002},
      {"rsv1", client_frame(0xC1, "x"), 1002},
      {"reserved opcode 3", client_frame(0x83, "x"), 1002},
      {"reserved control opcode 11", client_frame(0x8B, "x"), 1002},
      {"fragmented ping", client_frame(0x09, "x"), 1002},
      {"ping over 125", client_frame(0x89, std::string(126, 'p')), 1002},
      {"continuation of nothing", client_frame(0x80, "x"), 1002},
      {"new message inside fragments", client_frame(0x01, "a") + client_frame(0x81, "b"), 1002},
      {"16-bit length for 5 bytes", client_frame(0x81, "hello", true, 2), 1002},
      {"64-bit length for 5 bytes", client_frame(0x81, "hello", true, 8), 1002},
      {"close of one byte", client_frame(0x88, "\x03"), 1002},
      {"close code 1005", client_frame(0x88, std::string("\x03\xED", 2)), 1002},
      {"close code 999", client_frame(0x88, std::string("\x03\xE7", 2)), 1002},
      {"close reason not UTF-8", client_frame(0x88, std::string("\x03\xE8\xFF", 3)), 1007},
      {"text not UTF-8", text("\xC0\xAF"), 1007},
      {"fragmented text not UTF-8", client_frame(0x01, "\xE2\x82") + client_frame(0x80, "\x28"), 1007},
      {"too big", text(std::string(101, 'z')), 1009},
      {"too big across fragments", client_frame(0x01, std::string(60, 'z')) + client_frame(0x80, std::string(41, 'z')),
       1009},
  };
  for (auto c : cases) {
    Reader r(100);
    Event e;
    std::size_t off = 0;
    do {
      e = r.next(std::span<char>(c.bytes.data() + off, c.bytes.size() - off));
      off += e.consumed;
    } while (e.kind != Kind::error && e.kind != Kind::need_more);
    ASSERT_EQ(e.kind, Kind::error) << c.name;
    EXPECT_EQ(e.code, c.code) << c.name << ": " << e.payload;
    // A failed reader stays failed.
    std::string good = text("ok");
    EXPECT_EQ(parse(r, good).kind, Kind::error) << c.name;
  }
}

TEST(WsReader, TooBigIsFoundFromTheHeaderBeforeThePayloadArrives) {
  Reader r(1000);
  std::string header = text(std::string(5000, 'z')).substr(0, 8);  // header and mask only
  const Event e = parse(r, header);
  EXPECT_EQ(e.kind, Kind::error);
  EXPECT_EQ(e.code, 1009);
}

TEST(WsReader, LimitCanBeRaisedAfterAdmission) {
  Reader r(10);
  r.set_max_message(100);
  std::string in = text(std::string(50, 'a'));
  EXPECT_EQ(parse(r, in).kind, Kind::message);
}

TEST(WsUtf8, AcceptsWellFormedAndRefusesTheRest) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("plain ascii, longer than eight bytes"));
  EXPECT_TRUE(valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  EXPECT_TRUE(valid_utf8("\xF4\x8F\xBF\xBF"));   // U+10FFFF
  EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));      // a surrogate
  EXPECT_FALSE(valid_utf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(valid_utf8("\xC3"));              // cut short
  EXPECT_FALSE(valid_utf8("abcdefgh\x80"));      // a stray continuation after an ASCII run
}

TEST(WsWriter, HeadersUseTheShortestLength) {
  std::uint8_t h[kMaxHeader];
  ASSERT_EQ(write_header(h, Opcode::text, 5), 2u);
  EXPECT_EQ(h[0], 0x81);
  EXPECT_EQ(h[1], 5);
  ASSERT_EQ(write_header(h, Opcode::text, 300), 4u);
  EXPECT_EQ(h[1], 126);
  EXPECT_EQ((h[2] << 8) | h[3], 300);
  ASSERT_EQ(write_header(h, Opcode::binary, 70000), 10u);
  EXPECT_EQ(h[0], 0x82);
  EXPECT_EQ(h[1], 127);
  EXPECT_EQ((h[7] << 16) | (h[8] << 8) | h[9], 70000);
  ASSERT_EQ(write_header(h, Opcode::close, 2), 2u);
  EXPECT_EQ(h[0], 0x88);
}

TEST(WsWriter, ClosePayloadCutsTheReasonOnACharacterBoundary) {
  EXPECT_EQ(close_payload(1001, "going"), std::string("\x03\xE9going", 7));
  std::string long_reason(122, 'a');
  long_reason += "\xC3\xA9";  // 124 bytes: the two-byte character would straddle byte 123
  const std::string p = close_payload(1000, long_reason);
  EXPECT_EQ(p.size(), 2u + 122u);
  EXPECT_TRUE(valid_utf8(std::string_view(p).substr(2)));
}

TEST(WsSubprotocol, FindsTheNameInTheClientsList) {
  EXPECT_TRUE(offers_subprotocol("peerjs", "peerjs"));
  EXPECT_TRUE(offers_subprotocol("token.abc,  signalbox.v1 ", "signalbox.v1"));
  EXPECT_FALSE(offers_subprotocol("signalbox.v10, x", "signalbox.v1"));
  EXPECT_FALSE(offers_subprotocol("", "signalbox.v1"));
  EXPECT_FALSE(offers_subprotocol(",,", "signalbox.v1"));
}

}  // namespace
}  // namespace sb::ws
