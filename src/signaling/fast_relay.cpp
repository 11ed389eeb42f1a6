#include "signaling/fast_relay.hpp"

#include <array>
#include <cstdint>

namespace sb::signaling {
namespace {

// Bytes that may stand as they are inside a JSON string here: printable ASCII other than `"` and `\`.
// Control characters are invalid JSON (RFC 8259 §7); non-ASCII is left to the full codec's UTF-8 check.
constexpr std::array<bool, 256> kPlain = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x80; ++c) t[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
  return t;
}();

// One JSON string token in its raw form (quotes included) and the length it has once unescaped.
struct Token {
  std::string_view raw;
  std::size_t length = 0;
  bool escaped = false;
  std::string_view text() const { return raw.substr(1, raw.size() - 2); }
};

// A forward-only reader over the frame. Every method returns false (or nullopt) when the input leaves the
// common shape; the caller then gives up on the fast path.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
  }
  bool eat(char c) {
    skip_space();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool at_end() {
    skip_space();
    return i_ == s_.size();
  }
  bool peek(char c) {
    skip_space();
    return i_ < s_.size() && s_[i_] == c;
  }

  // A string of ASCII with the two-character escapes of RFC 8259 §7 (\u escapes are left to the full codec).
  std::optional<Token> string() {
    if (!peek('"')) return std::nullopt;
    const std::size_t start = i_++;
    std::size_t escapes = 0;
    for (;;) {
      while (i_ < s_.size() && kPlain[static_cast<unsigned char>(s_[i_])]) ++i_;
      if (i_ >= s_.size()) return std::nullopt;
      const char c = s_[i_];
      if (c == '"') break;
      if (c != '\\' || i_ + 1 >= s_.size()) return std::nullopt;
      switch (s_[i_ + 1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
          break;
        default:
          return std::nullopt;
      }
      i_ += 2;
      ++escapes;
    }
    ++i_;
    const std::size_t raw_len = i_ - start;
    return Token{s_.substr(start, raw_len), raw_len - 2 - escapes, escapes != 0};
  }

  // A non-negative integer without sign, fraction or exponent, as sdpMLineIndex is written.
  std::optional<std::string_view> small_uint(std::uint32_t max) {
    skip_space();
    const std::size_t start = i_;
    std::uint32_t v = 0;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9' && i_ - start < 6) v = v * 10 + (s_[i_++] - '0');
    const std::size_t n = i_ - start;
    if (n == 0 || (n > 1 && s_[start] == '0') || v > max) return std::nullopt;
    if (i_ < s_.size() && (s_[i_] == '.' || s_[i_] == 'e' || s_[i_] == 'E' || (s_[i_] >= '0' && s_[i_] <= '9'))) {
      return std::nullopt;
    }
    return s_.substr(start, n);
  }

  bool literal(std::string_view word) {
    skip_space();
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }

  // A member value this path does not use: any string, small integer or literal. Nested values: give up.
  bool skip_scalar() {
    if (peek('"')) return string().has_value();
    if (literal("null") || literal("true") || literal("false")) return true;
    return small_uint(UINT32_MAX / 10).has_value();
  }

  // Calls on_member(key) for each member of an object; on_member reads the value. A key that needs
  // unescaping is given up on, so keys compare as the full codec compares them.
  template <class F>
  bool object(F&& on_member) {
    if (!eat('{') || peek('}')) return false;
    do {
      auto key = string();
      if (!key || key->escaped || !eat(':') || !on_member(key->text())) return false;
    } while (eat(','));
    return eat('}');
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

// Reads a string member once; a duplicate member is left to the full codec (which keeps the last one).
bool read_once(Reader& r, std::optional<Token>& slot) {
  if (slot) return false;
  slot = r.string();
  return slot.has_value();
}

struct Candidate {
  std::optional<Token> candidate, sdp_mid, ufrag;
  std::optional<std::string_view> mline_index;
  bool null = false;
  bool seen_mid = false, seen_index = false, seen_ufrag = false;
};

// Optional members may also be null, which means absent (protocol.hpp, IceCandidate).
bool read_optional(Reader& r, bool& seen, std::optional<Token>& slot) {
  if (seen) return false;
  seen = true;
  return r.literal("null") || read_once(r, slot);
}

bool read_candidate(Reader& r, Candidate& c) {
  if (r.literal("null")) {
    c.null = true;
    return true;
  }
  return r.object([&](std::string_view key) {
    if (key == "candidate") return read_once(r, c.candidate);
    if (key == "sdpMid") return read_optional(r, c.seen_mid, c.sdp_mid);
    if (key == "usernameFragment") return read_optional(r, c.seen_ufrag, c.ufrag);
    if (key == "sdpMLineIndex") {
      if (c.seen_index) return false;
      c.seen_index = true;
      if (r.literal("null")) return true;
      c.mline_index = r.small_uint(65535);
      return c.mline_index.has_value();
    }
    return r.skip_scalar();
  });
}

bool within(const std::optional<Token>& t, std::size_t max_bytes) {
  return !t || max_bytes == 0 || t->length <= max_bytes;
}

void append_member(std::string& out, std::string_view name, std::string_view raw_value) {
  out += ",\"";
  out += name;
  out += "\":";
  out += raw_value;
}

std::string candidate_frame(std::string_view from, const Candidate& c) {
  std::string out;
  out.reserve(96 + from.size() + (c.candidate ? c.candidate->raw.size() : 0) +
              (c.sdp_mid ? c.sdp_mid->raw.size() : 0) + (c.ufrag ? c.ufrag->raw.size() : 0));
  out += R"({"type":"candidate","from":")";
  out += from;
  out += "\",\"candidate\":";
  if (c.null) {
    out += "null}";
    return out;
  }
  out += "{\"candidate\":";
  out += c.candidate->raw;
  if (c.sdp_mid) append_member(out, "sdpMid", c.sdp_mid->raw);
  if (c.mline_index) append_member(out, "sdpMLineIndex", *c.mline_index);
  if (c.ufrag) append_member(out, "usernameFragment", c.ufrag->raw);
  out += "}}";
  return out;
}

std::string description_frame(std::string_view type, std::string_view from, const Token& sdp) {
  std::string out;
  out.reserve(40 + type.size() + from.size() + sdp.raw.size());
  out += R"({"type":")";
  out += type;
  out += R"(","from":")";
  out += from;
  out += R"(","sdp":)";
  out += sdp.raw;
  out += '}';
  return out;
}

}  // namespace

std::optional<FastRelay> fast_relay(std::string_view frame, std::string_view from, const Limits& limits) {
  Reader r(frame);
  std::optional<Token> type, to, sdp;
  Candidate cand;
  bool seen_candidate = false;
  const bool ok = r.object([&](std::string_view key) {
    if (key == "type") return read_once(r, type);
    if (key == "to") return read_once(r, to);
    if (key == "sdp") return read_once(r, sdp);
    if (key == "candidate") {
      if (seen_candidate) return false;
      seen_candidate = true;
      return read_candidate(r, cand);
    }
    return r.skip_scalar();  // `from` and anything unknown: read past, never forwarded
  });
  if (!ok || !r.at_end() || !type || !to || to->escaped || !is_valid_peer_id(to->text())) return std::nullopt;

  const std::string_view t = type->text();
  if (t == "offer" || t == "answer") {
    if (!sdp || !within(sdp, limits.max_sdp_bytes)) return std::nullopt;
    return FastRelay{t == "offer" ? RelayedType::offer : RelayedType::answer, to->text(),
                     description_frame(t, from, *sdp)};
  }
  if (t == "candidate") {
    if (!seen_candidate || (!cand.null && !cand.candidate)) return std::nullopt;
    const std::size_t max = limits.max_candidate_bytes;
    if (!within(cand.candidate, max) || !within(cand.sdp_mid, max) || !within(cand.ufrag, max)) return std::nullopt;
    return FastRelay{RelayedType::candidate, to->text(), candidate_frame(from, cand)};
  }
  return std::nullopt;
}

}  // namespace sb::signaling
