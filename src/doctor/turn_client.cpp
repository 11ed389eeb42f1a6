#include "doctor/turn_client.hpp"

#include "stun/attr_address.hpp"
#include "stun/attr_error.hpp"
#include "stun/attr_nat.hpp"
#include "stun/attr_text.hpp"
#include "stun/attr_turn.hpp"
#include "stun/integrity.hpp"

namespace sb::doctor {
namespace {

stun::Message request(stun::Method method) {
  return stun::Message({method, stun::Class::kRequest}, stun::TransactionId::random());
}

}  // namespace

stun::Message binding_request(bool change_ip, bool change_port) {
  auto m = request(stun::Method::kBinding);
  if (change_ip || change_port) m.add(stun::ChangeRequest{change_ip, change_port});
  return m;
}

std::optional<stun::TransportAddress> mapped_address(const stun::MessageView& response) {
  if (auto x = response.get<stun::XorMappedAddress>()) return x->address;
  if (auto p = response.get<stun::MappedAddress>()) return p->address;
  return std::nullopt;
}

std::optional<stun::TransportAddress> other_address(const stun::MessageView& response) {
  if (auto o = response.get<stun::OtherAddress>()) return o->address;
  return std::nullopt;
}

int response_code(const stun::MessageView& response) {
  if (response.message_class() == stun::Class::kSuccess) return 0;
  const auto e = response.get<stun::ErrorCode>();
  return e ? e->code : 500;
}

TurnAuth::TurnAuth(std::string username, std::string password)
    : username_(std::move(username)), password_(std::move(password)) {}

void TurnAuth::sign(stun::Message& request) const {
  if (realm_.empty()) return;
  request.add(stun::Username{username_}).add(stun::Realm{realm_}).add(stun::Nonce{nonce_});
  request.add_message_integrity(stun::long_term_key_md5(username_, realm_, password_));
}

TurnAuth::Outcome TurnAuth::read(const stun::MessageView& response) {
  const int code = response_code(response);
  const auto realm = response.get<stun::Realm>();
  const auto nonce = response.get<stun::Nonce>();
  // RFC 8489 §9.2.5: on 401 with REALM and NONCE the client retries with credentials, once; a second 401
  // means the credentials are wrong.
  if (code == 401 && !answered_401_ && realm && nonce) {
    answered_401_ = true;
    realm_ = std::string(realm->value);
    nonce_ = std::string(nonce->value);
    return {code, true};
  }
  // §9.2.5: 438 Stale Nonce with a NONCE: retry with the new nonce.
  if (code == 438 && nonce && challenged() && nonce_ != nonce->value) {
    nonce_ = std::string(nonce->value);
    return {code, true};
  }
  return {code, false};
}

stun::Message allocate_request() {
  auto m = request(stun::Method::kAllocate);
  m.add(stun::RequestedTransport{});
  return m;
}

stun::Message refresh_request(std::uint32_t lifetime_s) {
  auto m = request(stun::Method::kRefresh);
  m.add(stun::Lifetime{lifetime_s});
  return m;
}

stun::Message create_permission_request(const stun::TransportAddress& peer) {
  auto m = request(stun::Method::kCreatePermission);
  m.add(stun::XorPeerAddress{peer});
  return m;
}

stun::Message send_indication(const stun::TransportAddress& peer, std::span<const std::uint8_t> data) {
  stun::Message m({stun::Method::kSend, stun::Class::kIndication}, stun::TransactionId::random());
  m.add(stun::XorPeerAddress{peer}).add(stun::Data{data});
  return m;
}

std::optional<stun::TransportAddress> relayed_address(const stun::MessageView& response) {
  if (auto r = response.get<stun::XorRelayedAddress>()) return r->address;
  return std::nullopt;
}

std::optional<DataIndication> read_data_indication(const stun::MessageView& m) {
  if (m.method() != stun::Method::kData || m.message_class() != stun::Class::kIndication) return std::nullopt;
  const auto peer = m.get<stun::XorPeerAddress>();
  const auto data = m.get<stun::Data>();
  if (!peer || !data) return std::nullopt;
  return DataIndication{peer->address, data->value};
}

}  // namespace sb::doctor
