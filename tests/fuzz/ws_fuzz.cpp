// libFuzzer target for the WebSocket framing core (ws::Reader), the first code to see a client's bytes after
// the handshake. The input's first byte picks the read sizes and the second the message limit; the rest is
// the stream. Read in chunks the way src/net/ws_session.cpp reads it (append, parse in place, drop what was
// consumed), the stream must give the same events as when it arrives whole; no message may exceed the limit,
// every text message and close reason must be UTF-8, a close code must be one an endpoint may send, and
// nothing follows an error.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ws/frame.hpp"

namespace {

using sb::ws::Event;

struct Seen {
  Event::Kind kind;
  bool binary;
  std::uint16_t code;
  std::string payload;
  bool operator==(const Seen&) const = default;
};

void check(const Event& e, std::size_t limit) {
  if (e.kind == Event::Kind::message) {
    if (e.payload.size() > limit) __builtin_trap();
    if (!e.binary && !sb::ws::valid_utf8(e.payload)) __builtin_trap();
  }
  if (e.kind == Event::Kind::close) {
    if (!sb::ws::valid_utf8(e.payload)) __builtin_trap();
    if (e.code != sb::ws::close_code::none && (e.code < 1000 || e.code >= 5000)) __builtin_trap();
  }
  if (e.kind == Event::Kind::ping || e.kind == Event::Kind::pong) {
    if (e.payload.size() > 125) __builtin_trap();
  }
  if (e.kind == Event::Kind::error && e.code != 1002 && e.code != 1007 && e.code != 1009) __builtin_trap();
}

// Feeds `stream` in reads of at most `chunk` bytes (0: all at once) and records every event.
std::vector<Seen> run(const std::uint8_t* data, std::size_t size, std::size_t chunk, std::size_t limit) {
  sb::ws::Reader reader(limit);
  std::vector<Seen> seen;
  std::string buffer;
  std::size_t fed = 0;
  bool failed = false;
  while (fed < size && !failed) {
    const std::size_t n = chunk == 0 ? size - fed : std::min(chunk, size - fed);
    buffer.append(reinterpret_cast<const char*>(data + fed), n);
    fed += n;
    std::size_t off = 0;
    for (;;) {
      const Event e = reader.next(std::span<char>(buffer.data() + off, buffer.size() - off));
      off += e.consumed;
      if (off > buffer.size()) __builtin_trap();
      if (e.kind == Event::Kind::need_more) {
        if (e.need != 0 && e.need <= buffer.size() - (off - e.consumed)) __builtin_trap();  // it had enough
        break;
      }
      check(e, limit);
      seen.push_back(Seen{e.kind, e.binary, e.code, std::string(e.payload)});
      if (e.kind == Event::Kind::error) {
        failed = true;
        break;
      }
    }
    buffer.erase(0, off);
  }
  return seen;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t chunk = data[0] % 17;        // 1..16 bytes per read, or 0: everything at once
  const std::size_t limit = 16 + data[1] * 64;  // 16 .. 16,336 bytes
  const auto whole = run(data + 2, size - 2, 0, limit);
  const auto chunked = run(data + 2, size - 2, chunk, limit);
  if (whole != chunked) __builtin_trap();
  return 0;
}
