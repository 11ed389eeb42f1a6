#include "cluster/bus.hpp"

#include <array>
#include <charconv>
#include <nlohmann/json.hpp>

namespace sb::cluster {
namespace {

using signaling::ErrorCode;
using signaling::RelayedType;

constexpr char kRelay = 'R', kJoined = 'J', kLeft = 'L', kUndeliverable = 'U', kWatchQuery = 'Q', kArrived = 'A',
               kStatus = 'S', kFind = 'F', kNotHere = 'N', kRefusal = 'X', kTransfer = 'T', kKept = 'K',
               kMoved = 'V', kClaim = 'C', kHanded = 'H';

constexpr std::string_view status_name(signaling::PeerStatus s) {
  return s == signaling::PeerStatus::resumed ? "resumed" : "reconnecting";
}

// Reads newline-terminated fields off the front of a message.
class Fields {
 public:
  explicit Fields(std::string_view s) : rest_(s) {}
  std::optional<std::string_view> next() {
    const auto nl = rest_.find('\n');
    if (nl == std::string_view::npos) return std::nullopt;
    auto field = rest_.substr(0, nl);
    rest_.remove_prefix(nl + 1);
    if (!valid_field(field)) return std::nullopt;
    return field;
  }
  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

// The next N header fields, or nullopt when any is missing or invalid.
template <std::size_t N>
std::optional<std::array<std::string_view, N>> take(Fields& f) {
  std::array<std::string_view, N> out;
  for (auto& field : out) {
    auto v = f.next();
    if (!v) return std::nullopt;
    field = *v;
  }
  return out;
}

void append_fields(std::string& out) { (void)out; }
template <class... More>
void append_fields(std::string& out, std::string_view first, More... more) {
  out += first;
  out += '\n';
  append_fields(out, more...);
}

char type_digit(RelayedType t) { return static_cast<char>('0' + static_cast<int>(t)); }
std::optional<RelayedType> type_from(std::string_view s) {
  if (s.size() != 1 || s[0] < '0' || s[0] >= '0' + static_cast<int>(signaling::kRelayedTypeCount)) return std::nullopt;
  return static_cast<RelayedType>(s[0] - '0');
}

std::optional<std::uint64_t> number(std::string_view s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

nlohmann::json peer_object(const signaling::PeerInfo& p) {
  return {{"name", p.name}, {"identity", p.identity}, {"meta", p.meta}};
}

std::string dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

std::string peer_json(const signaling::PeerInfo& p) { return dump(peer_object(p)); }

bool is_digest(std::string_view s) { return parse_hash_hex(s).has_value(); }

// `attach`: where a member record's token digest goes (absent or a digest; anything else fails).
std::optional<signaling::PeerInfo> parse_peer_json(std::string_view id, std::string_view text,
                                                   std::string* attach = nullptr) {
  if (text.size() > kMaxBodyBytes) return std::nullopt;
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  if (auto it = j.find("attach"); attach != nullptr && it != j.end()) {
    if (!it->is_string() || !is_digest(it->get<std::string>())) return std::nullopt;
    *attach = it->get<std::string>();
  }
  signaling::PeerInfo p;
  p.id = std::string(id);
  for (auto [key, out] : {std::pair{"name", &p.name}, {"identity", &p.identity}, {"meta", &p.meta}}) {
    auto it = j.find(key);
    if (it == j.end()) continue;
    if (!it->is_string()) return std::nullopt;
    *out = it->get<std::string>();
  }
  return p;
}

std::optional<BusMessage> parse_relay(Fields& f) {
  auto h = take<5>(f);  // origin, room, from, to, type
  if (!h) return std::nullopt;
  auto t = type_from((*h)[4]);
  if (!t || f.rest().size() > kMaxBodyBytes) return std::nullopt;
  return bus::Relay{(*h)[0], (*h)[1], (*h)[2], (*h)[3], *t, f.rest()};
}

std::optional<BusMessage> parse_joined(Fields& f) {
  auto h = take<4>(f);  // room, node, seq, id
  if (!h) return std::nullopt;
  auto seq = number((*h)[2]);
  auto peer = parse_peer_json((*h)[3], f.rest());
  if (!seq || !peer) return std::nullopt;
  return bus::Joined{std::string((*h)[0]), std::string((*h)[1]), *seq, std::move(*peer)};
}

std::optional<BusMessage> parse_left(Fields& f) {
  auto h = take<2>(f);  // room, id
  if (!h) return std::nullopt;
  auto reason = signaling::leave_reason_from_string(f.rest());
  if (!reason) return std::nullopt;
  return bus::Left{(*h)[0], (*h)[1], *reason};
}

std::optional<BusMessage> parse_undeliverable(Fields& f) {
  auto h = take<4>(f);  // room, from, to, type
  if (!h) return std::nullopt;
  auto t = type_from((*h)[3]);
  auto code = signaling::error_code_from_string(f.rest());
  if (!t || !code) return std::nullopt;
  return bus::Undeliverable{(*h)[0], (*h)[1], (*h)[2], *t, *code};
}

std::optional<BusMessage> parse_watch_query(Fields& f) {
  auto h = take<3>(f);  // origin, room, target
  if (!h || !f.rest().empty()) return std::nullopt;
  return bus::WatchQuery{(*h)[0], (*h)[1], (*h)[2]};
}

std::optional<BusMessage> parse_arrived(Fields& f) {
  auto h = take<2>(f);  // room, id
  if (!h) return std::nullopt;
  auto peer = parse_peer_json((*h)[1], f.rest());
  if (!peer) return std::nullopt;
  return bus::Arrived{std::string((*h)[0]), std::move(*peer)};
}

std::optional<BusMessage> parse_status(Fields& f) {
  auto h = take<2>(f);  // room, id
  if (!h) return std::nullopt;
  for (auto s : {signaling::PeerStatus::reconnecting, signaling::PeerStatus::resumed}) {
    if (f.rest() == status_name(s)) return bus::Status{(*h)[0], (*h)[1], s};
  }
  return std::nullopt;
}

std::optional<BusMessage> parse_find(Fields& f) {
  auto h = take<3>(f);  // origin, session, seq
  if (!h) return std::nullopt;
  auto seq = number((*h)[2]);
  auto hash = parse_hash_hex(f.rest());
  if (!seq || !hash) return std::nullopt;
  return bus::Find{(*h)[0], (*h)[1], *seq, *hash};
}

std::optional<BusMessage> parse_not_here(Fields& f) {
  auto h = take<1>(f);  // session
  if (!h || !f.rest().empty()) return std::nullopt;
  return bus::NotHere{(*h)[0]};
}

std::optional<signaling::ResumeRefusal> refusal_from(std::string_view s) {
  for (std::size_t i = 0; i < signaling::kResumeRefusalCount; ++i) {
    const auto r = static_cast<signaling::ResumeRefusal>(i);
    if (signaling::to_string(r) == s) return r;
  }
  return std::nullopt;
}

std::optional<BusMessage> parse_refusal(Fields& f) {
  auto h = take<3>(f);  // session, code, reason ("-": none)
  if (!h || f.rest().size() > kMaxFieldBytes) return std::nullopt;
  auto code = signaling::error_code_from_string((*h)[1]);
  auto reason = refusal_from((*h)[2]);
  if (!code || (!reason && (*h)[2] != "-")) return std::nullopt;
  return bus::Refusal{std::string((*h)[0]), signaling::ResumeFailed{*code, reason, std::string(f.rest())}};
}

std::optional<BusMessage> parse_kept(Fields& f) {
  auto h = take<1>(f);  // session
  if (!h || f.rest().empty() || f.rest().size() > kMaxBodyBytes) return std::nullopt;
  return bus::Kept{(*h)[0], f.rest()};
}

std::optional<BusMessage> parse_moved(Fields& f) {
  auto h = take<3>(f);  // room, id, node
  if (!h || !f.rest().empty()) return std::nullopt;
  return bus::Moved{(*h)[0], (*h)[1], (*h)[2]};
}

std::optional<BusMessage> parse_claim(Fields& f) {
  auto h = take<3>(f);  // origin, room, id
  if (!h || !is_digest(f.rest())) return std::nullopt;
  return bus::Claim{(*h)[0], (*h)[1], (*h)[2], f.rest()};
}

std::optional<BusMessage> parse_handed(Fields& f) {
  auto h = take<3>(f);  // room, id, seq
  if (!h) return std::nullopt;
  auto seq = number((*h)[2]);
  if (!seq || (f.rest() != "moved" && f.rest() != "refused")) return std::nullopt;
  return bus::Handed{(*h)[0], (*h)[1], f.rest() == "moved", *seq};
}

}  // namespace

std::string hash_hex(const signaling::SecretHash& hash) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(hash.size() * 2);
  for (auto b : hash) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

std::optional<signaling::SecretHash> parse_hash_hex(std::string_view hex) {
  signaling::SecretHash out{};
  if (hex.size() != out.size() * 2) return std::nullopt;
  const auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = digit(hex[2 * i]), lo = digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return out;
}

std::string encode_find(std::string_view origin, std::string_view session, std::uint64_t seq,
                        const signaling::SecretHash& hash) {
  std::string out;
  append_fields(out, std::string_view(&kFind, 1), origin, session, std::to_string(seq));
  out += hash_hex(hash);
  return out;
}

std::string encode_not_here(std::string_view session) {
  std::string out;
  append_fields(out, std::string_view(&kNotHere, 1), session);
  return out;
}

std::string encode_refusal(std::string_view session, const signaling::ResumeFailed& failed) {
  std::string out;
  append_fields(out, std::string_view(&kRefusal, 1), session, signaling::to_string(failed.code),
                failed.reason ? signaling::to_string(*failed.reason) : std::string_view("-"));
  out += std::string_view(failed.message).substr(0, kMaxFieldBytes);
  return out;
}

std::string encode_kept(std::string_view session, std::string_view frame) {
  std::string out;
  out.reserve(4 + session.size() + frame.size());
  append_fields(out, std::string_view(&kKept, 1), session);
  out += frame;
  return out;
}

std::string encode_moved(std::string_view room, std::string_view id, std::string_view node) {
  std::string out;
  append_fields(out, std::string_view(&kMoved, 1), room, id, node);
  return out;
}

std::string encode_claim(std::string_view origin, std::string_view room, std::string_view id,
                         std::string_view digest) {
  std::string out;
  append_fields(out, std::string_view(&kClaim, 1), origin, room, id);
  out += digest;
  return out;
}

std::string encode_handed(std::string_view room, std::string_view id, bool moved, std::uint64_t seq) {
  std::string out;
  append_fields(out, std::string_view(&kHanded, 1), room, id, std::to_string(seq));
  out += moved ? "moved" : "refused";
  return out;
}

bool valid_field(std::string_view s) {
  return !s.empty() && s.size() <= kMaxFieldBytes && s.find('\n') == std::string_view::npos &&
         s.find('\0') == std::string_view::npos;
}

std::string encode_relay(std::string_view origin, std::string_view room, std::string_view from, std::string_view to,
                         RelayedType type, std::string_view frame) {
  std::string out;
  out.reserve(16 + origin.size() + room.size() + from.size() + to.size() + frame.size());
  const char t[] = {type_digit(type), '\0'};
  append_fields(out, std::string_view(&kRelay, 1), origin, room, from, to, std::string_view(t, 1));
  out += frame;
  return out;
}

std::string encode_joined(std::string_view room, std::string_view node, std::uint64_t seq,
                          const signaling::PeerInfo& peer) {
  std::string out;
  append_fields(out, std::string_view(&kJoined, 1), room, node, std::to_string(seq), peer.id);
  out += peer_json(peer);
  return out;
}

std::string encode_left(std::string_view room, std::string_view id, signaling::LeaveReason reason) {
  std::string out;
  append_fields(out, std::string_view(&kLeft, 1), room, id);
  out += signaling::to_string(reason);
  return out;
}

std::string encode_undeliverable(std::string_view room, std::string_view from, std::string_view to, RelayedType type,
                                 ErrorCode code) {
  std::string out;
  const char t[] = {type_digit(type), '\0'};
  append_fields(out, std::string_view(&kUndeliverable, 1), room, from, to, std::string_view(t, 1));
  out += signaling::to_string(code);
  return out;
}

std::string encode_watch_query(std::string_view origin, std::string_view room, std::string_view target) {
  std::string out;
  append_fields(out, std::string_view(&kWatchQuery, 1), origin, room, target);
  return out;
}

std::string encode_arrived(std::string_view room, const signaling::PeerInfo& peer) {
  std::string out;
  append_fields(out, std::string_view(&kArrived, 1), room, peer.id);
  out += peer_json(peer);
  return out;
}

std::string encode_status(std::string_view room, std::string_view id, signaling::PeerStatus status) {
  std::string out;
  append_fields(out, std::string_view(&kStatus, 1), room, id);
  out += status_name(status);
  return out;
}

std::optional<BusMessage> parse_bus_message(std::string_view message) {
  if (message.size() < 2 || message[1] != '\n') return std::nullopt;
  Fields f(message.substr(2));
  switch (message[0]) {
    case kRelay: return parse_relay(f);
    case kJoined: return parse_joined(f);
    case kLeft: return parse_left(f);
    case kUndeliverable: return parse_undeliverable(f);
    case kWatchQuery: return parse_watch_query(f);
    case kArrived: return parse_arrived(f);
    case kStatus: return parse_status(f);
    case kFind: return parse_find(f);
    case kNotHere: return parse_not_here(f);
    case kRefusal: return parse_refusal(f);
    case kTransfer: {
      auto t = parse_transfer(f.rest());
      if (!t) return std::nullopt;
      return std::move(*t);
    }
    case kKept: return parse_kept(f);
    case kMoved: return parse_moved(f);
    case kClaim: return parse_claim(f);
    case kHanded: return parse_handed(f);
    default: return std::nullopt;
  }
}

std::string encode_record_tail(bool presence, const signaling::PeerInfo& peer, std::string_view attach) {
  auto j = peer_object(peer);
  if (!attach.empty()) j["attach"] = std::string(attach);
  return std::string(presence ? "1\n" : "0\n") + dump(j);
}

std::string encode_record(const MemberRecord& r) {
  return r.node + '\n' + std::to_string(r.seq) + '\n' + encode_record_tail(r.presence, r.peer, r.attach);
}

std::optional<MemberRecord> parse_member_record(std::string_view id, std::string_view value) {
  if (!valid_field(id)) return std::nullopt;
  Fields f(value);
  auto h = take<3>(f);  // node, seq, presence
  if (!h) return std::nullopt;
  auto seq = number((*h)[1]);
  const auto presence = (*h)[2];
  if (!seq || (presence != "0" && presence != "1")) return std::nullopt;
  std::string attach;
  auto peer = parse_peer_json(id, f.rest(), &attach);
  if (!peer) return std::nullopt;
  return MemberRecord{std::string((*h)[0]), *seq, presence == "1", std::move(*peer), std::move(attach)};
}

}  // namespace sb::cluster
