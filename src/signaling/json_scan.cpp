#include "signaling/json_scan.hpp"

namespace sb::signaling::json {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Four hex digits at raw[i..i+4), or -1.
long hex4(std::string_view raw, std::size_t i) {
  if (i + 4 > raw.size()) return -1;
  long v = 0;
  for (std::size_t k = 0; k < 4; ++k) {
    const int h = hex_value(raw[i + k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

void Scanner::skip_space() {
  while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
}

bool Scanner::eat(char c) {
  if (i_ < s_.size() && s_[i_] == c) {
    ++i_;
    return true;
  }
  return false;
}

bool Scanner::at_end() {
  skip_space();
  return i_ == s_.size();
}

std::optional<Value> Scanner::document() {
  auto v = value(0);
  if (!v || !at_end()) return std::nullopt;
  return v;
}

std::optional<Value> Scanner::value(std::size_t depth) {
  skip_space();
  if (i_ >= s_.size()) return std::nullopt;
  switch (s_[i_]) {
    case '{':
      return container('{', depth + 1);
    case '[':
      return container('[', depth + 1);
    case '"':
      return string_token();
    case 't':
    case 'f':
    case 'n':
      return literal();
    default:
      return number();
  }
}

// RFC 8259 §4 (objects) and §5 (arrays); `depth` counts this container.
std::optional<Value> Scanner::container(char open, std::size_t depth) {
  if (depth > max_depth_) return std::nullopt;
  const std::size_t start = i_++;
  const char close = open == '{' ? '}' : ']';
  skip_space();
  if (!eat(close)) {
    for (;;) {
      if (open == '{') {
        skip_space();
        if (!string_token()) return std::nullopt;
        skip_space();
        if (!eat(':')) return std::nullopt;
      }
      if (!value(depth)) return std::nullopt;
      skip_space();
      if (eat(',')) continue;
      if (eat(close)) break;
      return std::nullopt;
    }
  }
  return Value{open == '{' ? Kind::object : Kind::array, s_.substr(start, i_ - start)};
}

// One UTF-8 encoded character starting at a byte >= 0x80 (RFC 3629 §4: no overlongs, no surrogates, ≤
// U+10FFFF).
bool Scanner::utf8_sequence() {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s_[i_ + k]); };
  const unsigned char c = b(0);
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 2;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 3;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return false;
  }
  if (i_ + n >= s_.size()) return false;
  if (b(1) < lo || b(1) > hi) return false;
  for (std::size_t k = 2; k <= n; ++k) {
    if (b(k) < 0x80 || b(k) > 0xBF) return false;
  }
  i_ += n + 1;
  return true;
}

// RFC 8259 §7. A \u escape is checked for four hex digits here; surrogate pairing matters only when a string
// is decoded (decode_into), because values are passed on as written.
std::optional<Value> Scanner::string_token() {
  if (i_ >= s_.size() || s_[i_] != '"') return std::nullopt;
  const std::size_t start = i_++;
  for (;;) {
    if (i_ >= s_.size()) return std::nullopt;
    const auto c = static_cast<unsigned char>(s_[i_]);
    if (c == '"') break;
    if (c < 0x20) return std::nullopt;
    if (c >= 0x80) {
      if (!utf8_sequence()) return std::nullopt;
      continue;
    }
    if (c == '\\') {
      if (i_ + 1 >= s_.size()) return std::nullopt;
      switch (s_[i_ + 1]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
          i_ += 2;
          continue;
        case 'u':
          if (hex4(s_, i_ + 2) < 0) return std::nullopt;
          i_ += 6;
          continue;
        default:
          return std::nullopt;
      }
    }
    ++i_;
  }
  ++i_;
  return Value{Kind::string, s_.substr(start, i_ - start)};
}

// RFC 8259 §6: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
std::optional<Value> Scanner::number() {
  const std::size_t start = i_;
  eat('-');
  if (i_ >= s_.size() || !is_digit(s_[i_])) return std::nullopt;
  if (s_[i_] == '0') {
    ++i_;
  } else {
    while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
  }
  if (eat('.')) {
    if (i_ >= s_.size() || !is_digit(s_[i_])) return std::nullopt;
    while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
  }
  if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
    ++i_;
    if (!eat('+')) eat('-');
    if (i_ >= s_.size() || !is_digit(s_[i_])) return std::nullopt;
    while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
  }
  return Value{Kind::number, s_.substr(start, i_ - start)};
}

std::optional<Value> Scanner::literal() {
  for (std::string_view word :
       {std::string_view("true"), std::string_view("false"), std::string_view("null")}) {
    if (s_.substr(i_, word.size()) == word) {
      const std::size_t start = i_;
      i_ += word.size();
      return Value{word == "null" ? Kind::null : Kind::boolean, s_.substr(start, word.size())};
    }
  }
  return std::nullopt;
}

bool decode_into(std::string_view raw, std::string& out) {
  out.clear();
  if (raw.size() < 2) return false;
  const std::string_view body = raw.substr(1, raw.size() - 2);
  for (std::size_t i = 0; i < body.size();) {
    if (body[i] != '\\') {
      out.push_back(body[i++]);
      continue;
    }
    if (i + 1 >= body.size()) return false;
    const char e = body[i + 1];
    i += 2;
    switch (e) {
      case 'b':
        out.push_back('\b');
        continue;
      case 'f':
        out.push_back('\f');
        continue;
      case 'n':
        out.push_back('\n');
        continue;
      case 'r':
        out.push_back('\r');
        continue;
      case 't':
        out.push_back('\t');
        continue;
      case 'u':
        break;
      default:
        out.push_back(e);
        continue;  // " \ /
    }
    long cp = hex4(body, i);
    if (cp < 0) return false;
    i += 4;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // a low surrogate first
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      const long low = body.substr(i, 2) == "\\u" ? hex4(body, i + 2) : -1;
      if (low < 0xDC00 || low > 0xDFFF) return false;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      i += 6;
    }
    append_utf8(out, static_cast<std::uint32_t>(cp));
  }
  return true;
}

std::optional<std::string> decode_string(std::string_view raw) {
  std::string out;
  if (!decode_into(raw, out)) return std::nullopt;
  return out;
}

void append_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

}  // namespace sb::signaling::json
