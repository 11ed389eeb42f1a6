// libFuzzer target for the signaling codec and its relay fast path. Arbitrary bytes must never crash the
// client-message parser, and whatever the fast path accepts, the full codec must accept too, with the same
// meaning: the frame the fast path builds parses back to exactly the message the full codec would relay.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "signaling/fast_relay.hpp"
#include "signaling/protocol.hpp"

namespace {

using namespace sb::signaling;

constexpr std::string_view kFrom = "0123456789abcdef0123456789abcdef";

struct Relayed {
  std::string_view to;
  ServerMessage message;
};

// What the server relays for a parsed client message (session.cpp does the same with typed messages).
std::optional<Relayed> relayed(const ClientMessage& m) {
  const std::string from(kFrom);
  if (auto* o = std::get_if<msg::Offer>(&m)) return Relayed{o->to, msg::RelayedOffer{from, o->sdp}};
  if (auto* a = std::get_if<msg::Answer>(&m)) return Relayed{a->to, msg::RelayedAnswer{from, a->sdp}};
  if (auto* c = std::get_if<msg::Candidate>(&m)) return Relayed{c->to, msg::RelayedCandidate{from, c->candidate}};
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view frame(reinterpret_cast<const char*>(data), size);
  Limits limits;  // small limits, so the fuzzer reaches both sides of every size check
  limits.max_sdp_bytes = 48;
  limits.max_candidate_bytes = 24;
  const auto full = parse_client_message(frame, limits);
  const auto fast = fast_relay(frame, kFrom, limits);
  if (!fast) return 0;

  const auto* message = std::get_if<ClientMessage>(&full);
  if (message == nullptr) __builtin_trap();  // the fast path accepted what the codec refuses
  const auto expected = relayed(*message);
  if (!expected || expected->to != fast->to) __builtin_trap();
  const auto again = parse_server_message(fast->frame, Limits{});
  const auto* got = std::get_if<ServerMessage>(&again);
  if (got == nullptr || !(*got == expected->message)) __builtin_trap();
  return 0;
}
