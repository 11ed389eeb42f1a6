// WebSocket framing (RFC 6455 §5) for the server side of a connection, with no I/O: bytes in, messages and
// control frames out; headers for the frames a server sends. The handshake stays with Boost.Beast; this is
// what runs for every frame after it (src/net/ws_session.cpp).
//
// What a client sends is checked as RFC 6455 requires of a server, and each violation has its close code:
//   1002 protocol error   an unmasked frame, a reserved bit or opcode, a control frame that is fragmented or
//                         over 125 bytes, a continuation with nothing to continue or a new message inside a
//                         fragmented one, a length not in its shortest form, a close frame of 1 byte or with a
//                         code no endpoint may send
//   1007 invalid payload  a text message or a close reason that is not UTF-8
//   1009 too big          a message (all its fragments) over the configured limit; the payload is never buffered
//                         before the check
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sb::ws {

enum class Opcode : std::uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t none = 1005;  // a close frame without a code (never sent on the wire)
inline constexpr std::uint16_t invalid_payload = 1007;
inline constexpr std::uint16_t too_big = 1009;
}  // namespace close_code

// Whether `text` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool valid_utf8(std::string_view text);

// What Reader::next found at the front of its input.
struct Event {
  enum class Kind : std::uint8_t {
    need_more,  // no complete frame yet: read more, then call again with the unconsumed bytes and the new ones
    message,    // a whole text or binary message in `payload`
    ping,       // `payload` is to be echoed in a pong
    pong,
    close,      // the peer's close: `code` (close_code::none if it gave none) and `payload` (its reason)
    error,      // the connection is to be failed with `code`; `payload` says why, for logs
  };
  Kind kind = Kind::need_more;
  bool binary = false;           // for message
  std::uint16_t code = 0;        // for close and error
  std::string_view payload;      // valid until the next call (it points into the input or the Reader)
  std::size_t consumed = 0;      // input bytes this call used up, whatever the kind (need_more: fragments)
  std::size_t need = 0;          // need_more: input bytes (from the same start) that the next frame fills, once
                                 // its header is known; 0 if not yet known
};

// Parses client-to-server frames. Each call looks at the front of `input` (unmasking it in place) and returns
// one event; the caller then drops `consumed` bytes from the front, whatever the kind. A message in one frame is returned as a view into `input`; only fragmented messages are copied
// (into the Reader). After an error the Reader returns that error again.
class Reader {
 public:
  explicit Reader(std::size_t max_message_bytes) : max_message_(max_message_bytes) {}
  void set_max_message(std::size_t bytes) { max_message_ = bytes; }
  std::size_t max_message() const { return max_message_; }

  Event next(std::span<char> input);
  // Bytes held for a fragmented message (an idle connection holds none).
  std::size_t buffered() const { return fragments_.capacity(); }

 private:
  Event fail(std::uint16_t code, std::string_view why);
  Event control(Opcode op, std::string_view payload, std::size_t consumed);
  Event data(Opcode op, std::string_view payload, std::size_t consumed);

  std::size_t max_message_;
  std::string fragments_;  // the message being reassembled
  bool in_fragmented_ = false;
  bool fragmented_binary_ = false;
  std::uint16_t failed_ = 0;
  std::string_view failed_why_;
};

// XORs `data` with the 4-byte masking `key` (RFC 6455 §5.3), eight bytes at a time where it can; masking and
// unmasking are the same operation.
void apply_mask(char* data, std::size_t n, const char* key);

// The header of an unmasked server frame with FIN set: writes 2, 4 or 10 bytes to `out` and returns how many.
inline constexpr std::size_t kMaxHeader = 10;
std::size_t write_header(std::uint8_t (&out)[kMaxHeader], Opcode op, std::uint64_t payload_bytes);
// A close frame's payload: the code in network order, then the reason cut to fit 125 bytes on a character
// boundary.
std::string close_payload(std::uint16_t code, std::string_view reason);

}  // namespace sb::ws
