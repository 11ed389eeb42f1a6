#include "ws/frame.hpp"

#include <cstring>

namespace sb::ws {
namespace {

std::uint64_t load_be(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

bool sendable_close_code(std::uint16_t c) {
  return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
}

bool is_control(std::uint8_t op) { return op >= 8; }
bool known_opcode(std::uint8_t op) { return op <= 2 || (op >= 8 && op <= 10); }

// The bytes after a lead byte of a UTF-8 sequence, and the smallest code point that needs that many (to refuse
// overlong forms).
struct Lead {
  int trail;
  std::uint32_t min;
};
Lead lead(unsigned char c) {
  if (c >= 0xC2 && c <= 0xDF) return {1, 0x80};
  if (c >= 0xE0 && c <= 0xEF) return {2, 0x800};
  if (c >= 0xF0 && c <= 0xF4) return {3, 0x10000};
  return {-1, 0};  // a continuation byte, C0/C1 or F5..FF
}

}  // namespace

bool valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    if (end - p >= 8) {  // ASCII runs, eight bytes at a time
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      if ((w & 0x8080808080808080ULL) == 0) {
        p += 8;
        continue;
      }
    }
    if (*p < 0x80) {
      ++p;
      continue;
    }
    const Lead l = lead(*p);
    if (l.trail < 0 || end - p <= l.trail) return false;
    std::uint32_t cp = *p & (0x3F >> l.trail);
    for (int i = 1; i <= l.trail; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < l.min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += l.trail + 1;
  }
  return true;
}

Event Reader::fail(std::uint16_t code, std::string_view why) {
  failed_ = code;
  failed_why_ = why;
  Event e;
  e.kind = Event::Kind::error;
  e.code = code;
  e.payload = why;
  return e;
}

Event Reader::next(std::span<char> input) {
  if (failed_ != 0) return fail(failed_, failed_why_);
  if (!in_fragmented_ && !fragments_.empty()) {  // the last call returned a reassembled message
    fragments_.clear();
    if (fragments_.capacity() > 8 * 1024) fragments_.shrink_to_fit();
  }
  std::size_t used = 0;  // by fragments consumed in this call
  for (;;) {
    char* const f = input.data() + used;
    const std::size_t avail = input.size() - used;
    Event more;
    more.consumed = used;
    if (avail < 2) return more;
    const auto b0 = static_cast<unsigned char>(f[0]);
    const auto b1 = static_cast<unsigned char>(f[1]);
    const bool fin = (b0 & 0x80) != 0;
    const std::uint8_t op = b0 & 0x0F;
    if ((b0 & 0x70) != 0) return fail(close_code::protocol_error, "a reserved bit is set");
    if (!known_opcode(op)) return fail(close_code::protocol_error, "a reserved opcode");
    if ((b1 & 0x80) == 0) return fail(close_code::protocol_error, "an unmasked client frame");
    std::uint64_t len = b1 & 0x7F;
    std::size_t pos = 2;
    if (len == 126) {
      if (avail < 4) return more;
      len = load_be(f + 2, 2);
      pos = 4;
      if (len < 126) return fail(close_code::protocol_error, "a length not in its shortest form");
    } else if (len == 127) {
      if (avail < 10) return more;
      len = load_be(f + 2, 8);
      pos = 10;
      if (len <= 0xFFFF || (len >> 63) != 0) return fail(close_code::protocol_error, "a length not in its shortest form");
    }
    if (is_control(op)) {
      if (!fin) return fail(close_code::protocol_error, "a fragmented control frame");
      if (len > 125) return fail(close_code::protocol_error, "a control frame over 125 bytes");
    } else {
      if (op == 0 && !in_fragmented_) return fail(close_code::protocol_error, "a continuation of nothing");
      if (op != 0 && in_fragmented_) return fail(close_code::protocol_error, "a new message inside a fragmented one");
      const std::uint64_t held = in_fragmented_ ? fragments_.size() : 0;
      if (len > max_message_ || held + len > max_message_) return fail(close_code::too_big, "a message over the limit");
    }
    const std::size_t frame_bytes = pos + 4 + static_cast<std::size_t>(len);
    if (avail < frame_bytes) {
      more.need = used + frame_bytes;
      return more;
    }
    char* payload = f + pos + 4;
    apply_mask(payload, static_cast<std::size_t>(len), f + pos);
    const std::string_view body(payload, static_cast<std::size_t>(len));
    used += frame_bytes;
    if (is_control(op)) return control(static_cast<Opcode>(op), body, used);
    if (!fin) {  // a fragment: keep it and look for the next frame
      if (op != 0) {
        in_fragmented_ = true;
        fragmented_binary_ = op == static_cast<std::uint8_t>(Opcode::binary);
        fragments_.clear();
      }
      fragments_.append(body);
      continue;
    }
    return data(static_cast<Opcode>(op), body, used);
  }
}

Event Reader::control(Opcode op, std::string_view payload, std::size_t consumed) {
  Event e;
  e.consumed = consumed;
  e.payload = payload;
  if (op == Opcode::ping) {
    e.kind = Event::Kind::ping;
  } else if (op == Opcode::pong) {
    e.kind = Event::Kind::pong;
  } else {
    e.kind = Event::Kind::close;
    e.code = close_code::none;
    e.payload = {};
    if (payload.size() == 1) return fail(close_code::protocol_error, "a close frame of one byte");
    if (payload.size() >= 2) {
      e.code = static_cast<std::uint16_t>(load_be(payload.data(), 2));
      if (!sendable_close_code(e.code)) return fail(close_code::protocol_error, "a close code no endpoint may send");
      e.payload = payload.substr(2);
      if (!valid_utf8(e.payload)) return fail(close_code::invalid_payload, "a close reason that is not UTF-8");
    }
  }
  return e;
}

Event Reader::data(Opcode op, std::string_view payload, std::size_t consumed) {
  Event e;
  e.kind = Event::Kind::message;
  e.consumed = consumed;
  if (op == Opcode::continuation) {  // the last fragment
    fragments_.append(payload);
    in_fragmented_ = false;
    e.binary = fragmented_binary_;
    e.payload = fragments_;
  } else {
    e.binary = op == Opcode::binary;
    e.payload = payload;
  }
  if (!e.binary && !valid_utf8(e.payload)) return fail(close_code::invalid_payload, "a text message that is not UTF-8");
  return e;
}

void apply_mask(char* data, std::size_t n, const char* key) {
  unsigned char k[8];
  for (int i = 0; i < 8; ++i) k[i] = static_cast<unsigned char>(key[i % 4]);
  std::uint64_t k64;
  std::memcpy(&k64, k, 8);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, data + i, 8);
    w ^= k64;
    std::memcpy(data + i, &w, 8);
  }
  for (; i < n; ++i) data[i] = static_cast<char>(static_cast<unsigned char>(data[i]) ^ k[i % 4]);
}

std::size_t write_header(std::uint8_t (&out)[kMaxHeader], Opcode op, std::uint64_t payload_bytes) {
  out[0] = static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(op));
  if (payload_bytes < 126) {
    out[1] = static_cast<std::uint8_t>(payload_bytes);
    return 2;
  }
  if (payload_bytes <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<std::uint8_t>(payload_bytes >> 8);
    out[3] = static_cast<std::uint8_t>(payload_bytes);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<std::uint8_t>(payload_bytes >> (56 - 8 * i));
  return 10;
}

std::string close_payload(std::uint16_t code, std::string_view reason) {
  std::string out;
  out.push_back(static_cast<char>(code >> 8));
  out.push_back(static_cast<char>(code & 0xFF));
  if (reason.size() > 123) {
    std::size_t cut = 123;
    while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
    reason = reason.substr(0, cut);
  }
  out.append(reason);
  return out;
}

}  // namespace sb::ws
