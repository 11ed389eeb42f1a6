// A validating JSON scanner that reports values as spans of the input instead of building a tree.
//
// The compatibility protocols (PeerJS, Ayame) pass most of what a client sends on untouched: PeerJS relays
// `payload` as it came, Ayame forwards whole frames. So their codecs need to know that a frame is valid JSON
// (RFC 8259) and where its top-level members are, but not to rebuild them. Scanner checks the whole text in
// one pass (strings including \u escapes and UTF-8, numbers, nesting up to a depth limit) and hands each
// top-level member to a callback as (decoded-key, raw-value) with no copy of the value.
//
// Lifetime: every string_view handed out points into the text given to the Scanner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sb::signaling::json {

enum class Kind : std::uint8_t { object, array, string, number, boolean, null };

struct Value {
  Kind kind = Kind::null;
  std::string_view raw;  // the value's text exactly as written (strings with their quotes)
};

// Decodes a raw JSON string token (quotes included, as Scanner reports it) into UTF-8. Returns false for a
// lone surrogate (\ud800 without its pair), which has no UTF-8 form.
bool decode_into(std::string_view raw, std::string& out);
std::optional<std::string> decode_string(std::string_view raw);

// Appends `text` (UTF-8) as a JSON string token, escaping `"`, `\` and control characters.
void append_string(std::string& out, std::string_view text);

class Scanner {
 public:
  Scanner(std::string_view text, std::size_t max_depth) : s_(text), max_depth_(max_depth) {}

  // Reads one complete JSON value (whitespace around it allowed) and nothing after it.
  std::optional<Value> document();

  // Reads a top-level object, calling on_member(std::string_view key, const Value& value) for each member in
  // order; on_member returns false to stop (the object is then reported invalid). Keys are decoded (escapes
  // resolved) into a scratch buffer that lives until the next member. False when the text is not exactly one
  // valid JSON object.
  template <class F>
  bool object(F&& on_member) {
    skip_space();
    if (!eat('{')) return false;
    skip_space();
    if (eat('}')) return at_end();
    for (;;) {
      skip_space();
      auto key = string_token();
      if (!key || !decode_into(key->raw, key_)) return false;
      skip_space();
      if (!eat(':')) return false;
      auto v = value(1);
      if (!v || !on_member(std::string_view(key_), *v)) return false;
      skip_space();
      if (eat(',')) continue;
      if (eat('}')) return at_end();
      return false;
    }
  }

 private:
  std::optional<Value> value(std::size_t depth);
  std::optional<Value> string_token();
  std::optional<Value> number();
  std::optional<Value> literal();
  std::optional<Value> container(char open, std::size_t depth);
  bool utf8_sequence();
  void skip_space();
  bool eat(char c);
  bool at_end();

  std::string_view s_;
  std::size_t i_ = 0;
  std::size_t max_depth_;
  std::string key_;
};

}  // namespace sb::signaling::json
