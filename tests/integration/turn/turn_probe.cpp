#include "turn_probe.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "stun/attr_address.hpp"
#include "stun/attr_error.hpp"
#include "stun/attr_text.hpp"
#include "stun/attr_turn.hpp"
#include "stun/integrity.hpp"

namespace sb::itest {

namespace {

sockaddr_in to_sin(const stun::TransportAddress& a) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  s.sin_port = htons(a.port);
  std::memcpy(&s.sin_addr, a.ip.data(), 4);
  return s;
}

}  // namespace

TurnProbe::TurnProbe(const stun::TransportAddress& server) : server_(server) {
  fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
  const sockaddr_in s = to_sin(server_);
  ::connect(fd_, reinterpret_cast<const sockaddr*>(&s), sizeof s);
}

TurnProbe::~TurnProbe() { ::close(fd_); }

int TurnProbe::code_of(const stun::Message& response) {
  const auto v = response.view();
  if (v.message_class() == stun::Class::kSuccess) return 200;
  const auto e = v.get<stun::ErrorCode>();
  return e ? e->code : 0;
}

std::optional<stun::Message> TurnProbe::transact(stun::Message& request, bool sign) {
  if (sign) {
    request.add(stun::Username{user_}).add(stun::Realm{realm_}).add(stun::Nonce{nonce_});
    request.add_message_integrity(stun::long_term_key_md5(user_, realm_, password_));
  }
  const auto tid = request.transaction_id();
  for (int attempt = 0; attempt < 4; ++attempt) {  // RFC 8489 §6.2.1 retransmissions, shortened
    ::send(fd_, request.bytes().data(), request.size(), 0);
    pollfd p{fd_, POLLIN, 0};
    while (::poll(&p, 1, 500) > 0) {
      std::array<std::uint8_t, 2048> buf{};
      const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
      if (n <= 0) break;
      auto m = stun::Message::decode(std::span(buf.data(), static_cast<std::size_t>(n)));
      if (m && m->transaction_id() == tid) return std::move(m.value());
    }
  }
  return std::nullopt;
}

int TurnProbe::allocate(const std::string& user, const std::string& password) {
  user_ = user;
  password_ = password;
  stun::Message first({stun::Method::kAllocate, stun::Class::kRequest}, stun::TransactionId::random());
  first.add(stun::RequestedTransport{});
  auto challenge = transact(first, false);
  if (!challenge) return 0;
  const auto v = challenge->view();
  const auto realm = v.get<stun::Realm>();
  const auto nonce = v.get<stun::Nonce>();
  if (code_of(*challenge) != 401 || !realm || !nonce) return code_of(*challenge);
  realm_ = std::string(realm->value);
  nonce_ = std::string(nonce->value);
  stun::Message second({stun::Method::kAllocate, stun::Class::kRequest}, stun::TransactionId::random());
  second.add(stun::RequestedTransport{});
  auto answer = transact(second, true);
  if (!answer) return 0;
  if (const auto r = answer->view().get<stun::XorRelayedAddress>()) relayed_ = r->address;
  return code_of(*answer);
}

int TurnProbe::create_permission(const stun::TransportAddress& peer) {
  stun::Message m({stun::Method::kCreatePermission, stun::Class::kRequest}, stun::TransactionId::random());
  m.add(stun::XorPeerAddress{peer});
  auto answer = transact(m, true);
  return answer ? code_of(*answer) : 0;
}

}  // namespace sb::itest
