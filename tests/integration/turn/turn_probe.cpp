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
#include "net/socket_address.hpp"
#include "stun/integrity.hpp"

namespace sb::itest {

namespace {

bool is_data(std::span<const std::uint8_t> b) {
  if (b.size() >= 4 && b[0] >= 0x40 && b[0] <= 0x7F) return true;  // ChannelData
  if (b.size() < stun::kHeaderSize) return false;
  const auto t = stun::MessageType::decode(stun::load_u16(b.data()));
  return t.method == stun::Method::kData && t.cls == stun::Class::kIndication;
}

}  // namespace

TurnProbe::TurnProbe(const stun::TransportAddress& server, bool tcp) : tcp_(tcp), server_(server) {
  fd_ = ::socket(server.is_v4() ? AF_INET : AF_INET6, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
  sockaddr_storage ss{};
  const socklen_t len = net::to_sockaddr(server_, ss);
  ::connect(fd_, reinterpret_cast<const sockaddr*>(&ss), len);
}

TurnProbe::~TurnProbe() { ::close(fd_); }

int TurnProbe::code_of(const stun::Message& response) {
  const auto v = response.view();
  if (v.message_class() == stun::Class::kSuccess) return 200;
  const auto e = v.get<stun::ErrorCode>();
  return e ? e->code : 0;
}

bool TurnProbe::read_exact(std::uint8_t* p, std::size_t n, std::chrono::steady_clock::time_point deadline) {
  while (n > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd pfd{fd_, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return false;
    const ssize_t got = ::recv(fd_, p, n, 0);
    if (got <= 0) return false;
    p += got;
    n -= static_cast<std::size_t>(got);
  }
  return true;
}

std::optional<std::vector<std::uint8_t>> TurnProbe::read_one(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!tcp_) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    std::vector<std::uint8_t> buf(2048);
    const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n <= 0) return std::nullopt;
    buf.resize(static_cast<std::size_t>(n));
    return buf;
  }
  // RFC 8489 §6.2.2 / RFC 8656 §12.5: STUN frames by their length; ChannelData padded to 4 over streams.
  std::vector<std::uint8_t> buf(4);
  if (!read_exact(buf.data(), 4, deadline)) return std::nullopt;
  const std::size_t length = stun::load_u16(buf.data() + 2);
  const bool channel = buf[0] >= 0x40;
  const std::size_t rest = channel ? ((4 + length + 3) & ~std::size_t{3}) - 4 : stun::kHeaderSize - 4 + length;
  buf.resize(4 + rest);
  if (!read_exact(buf.data() + 4, rest, deadline)) return std::nullopt;
  return buf;
}

bool TurnProbe::closed_by_server(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    std::uint8_t b[512];
    if (::recv(fd_, b, sizeof b, 0) <= 0) return true;
  }
}

bool TurnProbe::binding() {
  stun::Message m(stun::kBindingRequest, stun::TransactionId::random());
  auto answer = transact(m, false);
  return answer && code_of(*answer) == 200;
}

std::optional<stun::Message> TurnProbe::transact(stun::Message& request, bool sign) {
  if (sign) {
    request.add(stun::Username{user_}).add(stun::Realm{realm_}).add(stun::Nonce{nonce_});
    request.add_message_integrity(stun::long_term_key_md5(user_, realm_, password_));
  }
  const auto tid = request.transaction_id();
  // RFC 8489 §6.2.1 retransmissions (shortened) over UDP; one send and a longer wait over TCP (§6.2.2).
  for (int attempt = 0; attempt < (tcp_ ? 1 : 4); ++attempt) {
    ::send(fd_, request.bytes().data(), request.size(), MSG_NOSIGNAL);
    while (auto got = read_one(tcp_ ? std::chrono::milliseconds(3000) : std::chrono::milliseconds(500))) {
      if (is_data(*got)) {
        early_.push_back(std::move(*got));
        continue;
      }
      auto m = stun::Message::decode(*got);
      if (m && m->transaction_id() == tid) return std::move(m.value());
    }
  }
  return std::nullopt;
}

int TurnProbe::allocate(const std::string& user, const std::string& password,
                        const std::function<void(stun::Message&)>& extra) {
  user_ = user;
  password_ = password;
  stun::Message first({stun::Method::kAllocate, stun::Class::kRequest}, stun::TransactionId::random());
  first.add(stun::RequestedTransport{});
  if (extra) extra(first);
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
  if (extra) extra(second);
  auto answer = transact(second, true);
  if (!answer) return 0;
  const auto view = answer->view();
  for (std::size_t i = 0; i < view.attribute_count(); ++i) {
    const auto attr = view.attribute(i);
    if (attr.type != stun::attr::kXorRelayedAddress) continue;
    if (auto a = stun::decode_xor_address(attr.value, view.transaction_id())) relayed_all_.push_back(*a);
  }
  if (!relayed_all_.empty()) relayed_ = relayed_all_.front();
  return code_of(*answer);
}

int TurnProbe::create_permission(const stun::TransportAddress& peer) {
  stun::Message m({stun::Method::kCreatePermission, stun::Class::kRequest}, stun::TransactionId::random());
  m.add(stun::XorPeerAddress{peer});
  auto answer = transact(m, true);
  return answer ? code_of(*answer) : 0;
}

int TurnProbe::channel_bind(std::uint16_t channel, const stun::TransportAddress& peer) {
  stun::Message m({stun::Method::kChannelBind, stun::Class::kRequest}, stun::TransactionId::random());
  m.add(stun::ChannelNumber{channel}).add(stun::XorPeerAddress{peer});
  auto answer = transact(m, true);
  const int code = answer ? code_of(*answer) : 0;
  if (code == 200) channels_[channel] = peer;
  return code;
}

int TurnProbe::refresh(std::uint32_t lifetime) {
  stun::Message m({stun::Method::kRefresh, stun::Class::kRequest}, stun::TransactionId::random());
  m.add(stun::Lifetime{lifetime});
  auto answer = transact(m, true);
  return answer ? code_of(*answer) : 0;
}

void TurnProbe::send_indication(const stun::TransportAddress& peer, const std::string& data) {
  stun::Message m({stun::Method::kSend, stun::Class::kIndication}, stun::TransactionId::random());
  m.add(stun::XorPeerAddress{peer})
      .add(stun::Data{std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size())});
  ::send(fd_, m.bytes().data(), m.size(), MSG_NOSIGNAL);
}

void TurnProbe::send_channel_data(std::uint16_t channel, const std::string& data) {
  std::vector<std::uint8_t> b(tcp_ ? (4 + data.size() + 3) & ~std::size_t{3} : 4 + data.size());
  stun::store_u16(b.data(), channel);
  stun::store_u16(b.data() + 2, static_cast<std::uint16_t>(data.size()));
  std::memcpy(b.data() + 4, data.data(), data.size());
  ::send(fd_, b.data(), b.size(), MSG_NOSIGNAL);
}

std::optional<TurnProbe::Received> TurnProbe::receive(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::vector<std::uint8_t> got;
    if (!early_.empty()) {
      got = std::move(early_.front());
      early_.erase(early_.begin());
    } else {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      auto one = left.count() > 0 ? read_one(left) : std::nullopt;
      if (!one) return std::nullopt;
      got = std::move(*one);
    }
    if (!is_data(got)) continue;
    if (got[0] >= 0x40) {
      const std::uint16_t channel = stun::load_u16(got.data());
      const std::size_t len = stun::load_u16(got.data() + 2);
      if (len + 4 > got.size() || channels_.count(channel) == 0) continue;
      return Received{channels_[channel], std::string(got.begin() + 4, got.begin() + 4 + static_cast<long>(len)), true};
    }
    auto m = stun::Message::decode(got);
    if (!m) continue;
    const auto peer = m->view().get<stun::XorPeerAddress>();
    const auto data = m->view().get<stun::Data>();
    if (!peer || !data) continue;
    return Received{peer->address, std::string(data->value.begin(), data->value.end()), false};
  }
}

}  // namespace sb::itest
