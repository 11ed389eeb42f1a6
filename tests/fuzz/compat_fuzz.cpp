// libFuzzer target for the compatibility codecs (PeerJS and Ayame) and the JSON scanner under them.
// Arbitrary bytes must never crash a parser; the scanner must call valid what nlohmann-json calls valid (the
// exceptions are below); what the PeerJS codec relays must be valid JSON whose payload means what the
// client's payload meant; and what Ayame forwards as written must be a JSON object.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>
#include <variant>

#include "signaling/ayame/protocol.hpp"
#include "signaling/json_scan.hpp"
#include "signaling/peerjs/protocol.hpp"

namespace {

using namespace sb::signaling;

bool has_surrogate_escape(std::string_view text) {
  for (std::size_t i = 0; i + 2 < text.size(); ++i) {
    if (text[i] == '\\' && text[i + 1] == 'u' && (text[i + 2] == 'd' || text[i + 2] == 'D')) return true;
  }
  return false;
}

// Texts nlohmann-json reads differently from JSON.parse on purpose or by design: a NUL byte, which
// nlohmann-json takes as the end of the input, and a leading byte order mark, which it skips (JSON.parse and
// the scanner refuse both); and, the other way round, lone surrogate escapes (\ud800) and numbers beyond a
// double (1e999), valid RFC 8259 syntax that JSON.parse and the scanner accept but nlohmann-json refuses.
bool outside_comparison(std::string_view text) {
  return has_surrogate_escape(text) || text.starts_with("\xEF\xBB\xBF") ||
         text.find('\0') != std::string_view::npos;
}

bool refused_for_range_or_surrogate(std::string_view text) {
  try {
    (void)nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error.101 or out_of_range.406
    const std::string_view what = e.what();
    return what.find("number overflow") != std::string_view::npos ||
           what.find("surrogate") != std::string_view::npos;
  }
  return false;
}

void check_scanner(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF") || text.find('\0') != std::string_view::npos) return;
  // A depth limit above any nesting an input of this size can have: validity alone is compared.
  const bool ours = json::Scanner(text, text.size() + 1).document().has_value();
  const bool theirs = nlohmann::json::accept(text);
  if (ours != theirs && !(ours && refused_for_range_or_surrogate(text))) __builtin_trap();
}

void check_peerjs(std::string_view text) {
  peerjs::Limits limits;
  const auto m = peerjs::parse_client_message(text, limits);
  const auto* relay = std::get_if<peerjs::msg::Relay>(&m);
  if (relay == nullptr || outside_comparison(text) || refused_for_range_or_surrogate(relay->payload)) return;
  const std::string out = peerjs::relay_frame(relay->type, "src-id", relay->dst, relay->payload);
  const auto frame = nlohmann::json::parse(out, nullptr, false);
  if (frame.is_discarded() || frame["src"] != "src-id" || frame["dst"] != relay->dst) __builtin_trap();
  if (relay->payload.empty() != !frame.contains("payload")) __builtin_trap();
  if (!relay->payload.empty() && frame["payload"] != nlohmann::json::parse(relay->payload)) __builtin_trap();
  const auto back = peerjs::parse_server_message(out, limits);
  if (!back || !std::holds_alternative<peerjs::msg::Relayed>(*back)) __builtin_trap();
}

void check_ayame(std::string_view text) {
  const auto m = ayame::parse_client_message(text, ayame::Limits{});
  // Whatever is forwarded as written must be a JSON object (the other member's SDK parses it).
  if (std::holds_alternative<ayame::msg::Forward>(m) && !has_surrogate_escape(text) &&
      !nlohmann::json::parse(text, nullptr, false).is_object()) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_scanner(text);
  check_peerjs(text);
  check_ayame(text);
  return 0;
}
