#include "client/doctor_checks.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <boost/asio/ip/udp.hpp>

#include "client/ws_connection.hpp"
#include "doctor/nat.hpp"

namespace sb::client::doctor {
namespace {

namespace asio = boost::asio;
using sb::doctor::Status;
using sb::doctor::TurnError;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// The first address `host:port` resolves to (IP literals need no lookup).
std::optional<Endpoint> resolve(Env& env, const std::string& host, std::uint16_t port, std::string& error) {
  asio::ip::udp::resolver r(env.io);
  boost::system::error_code ec;
  const auto results = r.resolve(host, std::to_string(port), ec);
  if (ec || results.empty()) {
    error = "cannot resolve " + host + (ec ? ": " + ec.message() : "");
    return std::nullopt;
  }
  return results.begin()->endpoint();
}

// One Binding transaction from `link` to `to`; the mapped address, or nullopt.
std::optional<stun::TransportAddress> binding(Env& env, StunLink& link, const Endpoint& to, bool change_ip = false,
                                              bool change_port = false, double* rtt = nullptr) {
  const auto req = sb::doctor::binding_request(change_ip, change_port);
  auto res = transact(env.io, link, req, to, env.step, rtt);
  if (!res || sb::doctor::response_code(res->view()) != 0) return std::nullopt;
  return sb::doctor::mapped_address(res->view());
}

// The local address the kernel would use towards `to` (a connected UDP socket that sends nothing).
std::optional<Endpoint> local_towards(Env& env, const Endpoint& to) {
  asio::ip::udp::socket s(env.io);
  boost::system::error_code ec;
  s.open(to.protocol(), ec);
  if (!ec) s.connect(to, ec);
  if (ec) return std::nullopt;
  return s.local_endpoint(ec);
}

}  // namespace

std::optional<Endpoint> resolve_url(Env& env, const std::string& url, std::string& error) {
  const auto u = parse_ice_url(url);
  if (!u) {
    error = "malformed URL " + url;
    return std::nullopt;
  }
  return resolve(env, u->host, u->port, error);
}

sb::doctor::SignalingCheck check_signaling(Env& env) {
  sb::doctor::SignalingCheck out;
  struct State {
    bool open = false, closed = false;
    std::string why;
    std::vector<std::string> texts;
  };
  auto st = std::make_shared<State>();
  WsSettings settings;
  settings.connect_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(env.options.connect_timeout_s * 1000));
  settings.verify_certificate = !env.options.insecure;
  auto ws = make_ws_connection(env.io, env.options.server_url, settings,
                               {[st] { st->open = true; }, [st](std::string t) { st->texts.push_back(std::move(t)); },
                                [st](std::string why) {
                                  st->closed = true;
                                  st->why = std::move(why);
                                }});
  ws->start();
  run_until(env.io, [&] { return st->open || st->closed; }, settings.connect_timeout + std::chrono::seconds(1));
  if (!st->open) {
    ws->abort();
    out.status = Status::fail;
    out.detail = st->closed ? st->why : "no WebSocket within " + std::to_string(env.options.connect_timeout_s) + " s";
    return out;
  }
  std::vector<double> rtts;
  for (int i = 0; i < 5 && !st->closed; ++i) {
    st->texts.clear();
    const auto t0 = Clock::now();
    ws->send(R"({"type":"ping"})");
    auto pong = [&] {
      return std::any_of(st->texts.begin(), st->texts.end(), [](const std::string& t) { return t.find("\"pong\"") != std::string::npos; });
    };
    if (!run_until(env.io, [&] { return pong() || st->closed; }, env.step) || !pong()) break;
    rtts.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  ws->close();
  run_until(env.io, [&] { return st->closed; }, std::chrono::seconds(2));
  ws->abort();
  out.status = rtts.empty() ? Status::fail : Status::pass;
  if (!rtts.empty()) out.rtt_ms = median(rtts);
  if (rtts.empty()) out.detail = "the WebSocket opened but no pong came back";
  return out;
}

sb::doctor::StunCheck check_stun(Env& env, const Offer& offer) {
  sb::doctor::StunCheck out;
  if (offer.stun.empty()) return out;
  const auto server = resolve_url(env, offer.stun, out.detail);
  if (!server) return out;
  auto link = make_link(env.io, StunLink::Kind::udp);
  if (auto e = link->open(*server, "", env.step); !e.empty()) {
    out.status = Status::fail;
    out.detail = e;
    return out;
  }
  double rtt = 0;
  const auto mapped = binding(env, *link, *server, false, false, &rtt);
  if (!mapped) {
    out.status = Status::fail;
    out.detail = "3 tries in " + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(env.step).count()) + " s";
    return out;
  }
  out.status = Status::pass;
  out.rtt_ms = rtt;
  out.public_address = mapped->to_string();
  if (const auto local = local_towards(env, *server)) {
    auto l = to_transport(*local);
    l.port = link->local_endpoint().port();
    out.local_address = l.to_string();
    out.behind_nat = !(l == *mapped);
  }
  return out;
}

sb::doctor::NatCheck check_nat(Env& env, const Offer& offer) {
  sb::doctor::NatCheck out;
  if (offer.rfc5780.size() != 4) return out;
  std::array<std::optional<Endpoint>, 4> ep;
  for (std::size_t i = 0; i < 4; ++i) {
    ep[i] = resolve_url(env, offer.rfc5780[i], out.detail);
    if (!ep[i]) return out;
  }
  auto link = make_link(env.io, StunLink::Kind::udp);
  if (auto e = link->open(*ep[0], "", env.step); !e.empty()) {
    out.detail = e;
    return out;
  }
  sb::doctor::MappingTests m;
  const auto local = local_towards(env, *ep[0]);
  m.local = to_transport(local.value_or(link->local_endpoint()));
  m.local.port = link->local_endpoint().port();
  // RFC 5780 §4.3: test I to IP1:P1, test II to IP2:P1, test III to IP2:P2 (ep[2], ep[3]).
  m.test1 = binding(env, *link, *ep[0]);
  if (!m.test1) {
    out.status = Status::fail;
    out.detail = "no answer from the primary address";
    return out;
  }
  if (!(*m.test1 == m.local)) m.test2 = binding(env, *link, *ep[2]);
  if (m.test2 && !(*m.test2 == *m.test1)) m.test3 = binding(env, *link, *ep[3]);
  // §4.4: test II asks for an answer from the other IP and port, test III from the other port.
  sb::doctor::FilteringTests f{true, std::nullopt, std::nullopt};
  f.test2 = binding(env, *link, *ep[0], true, true).has_value();
  if (!*f.test2) f.test3 = binding(env, *link, *ep[0], false, true).has_value();
  out.mapping = sb::doctor::classify_mapping(m);
  out.filtering = sb::doctor::classify_filtering(f);
  out.port_preserving = sb::doctor::port_preserving(m);
  out.method = "rfc5780";
  out.status = out.mapping == sb::doctor::Mapping::unknown ? Status::fail : Status::pass;
  if (out.status == Status::fail) out.detail = "the alternate address did not answer";
  return out;
}

const std::string& turn_url(const Offer& offer, StunLink::Kind kind) {
  return kind == StunLink::Kind::udp ? offer.turn_udp : kind == StunLink::Kind::tcp ? offer.turn_tcp : offer.turn_tls;
}

int turn_request(Env& env, Allocation& a, const std::function<stun::Message()>& make, double* rtt_ms) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    stun::Message m = make();
    a.auth.sign(m);
    auto res = transact(env.io, *a.link, m, a.server, env.step, rtt_ms);
    if (!res) return -1;
    const auto o = a.auth.read(res->view());
    if (o.retry) continue;
    if (o.code == 0 && m.type().method == stun::Method::kAllocate) {
      if (auto r = sb::doctor::relayed_address(res->view())) a.relayed = *r;
    }
    return o.code;
  }
  return 438;
}

Allocation allocate(Env& env, const Offer& offer, StunLink::Kind kind) {
  Allocation a;
  a.auth = sb::doctor::TurnAuth(offer.username, offer.credential);
  const auto url = parse_ice_url(turn_url(offer, kind));
  if (!url) {
    a.detail = "not offered";
    return a;
  }
  const auto server = resolve(env, url->host, url->port, a.detail);
  if (!server) return a;
  a.server = *server;
  a.link = make_link(env.io, kind, env.tls);
  if (auto e = a.link->open(a.server, url->host, env.step); !e.empty()) {
    a.detail = e;
    a.tls_failed = e.starts_with("TLS handshake failed");
    return a;
  }
  a.code = turn_request(env, a, &sb::doctor::allocate_request, &a.rtt_ms);
  if (a.code == -1) a.detail = "no answer";
  return a;
}

sb::doctor::TurnCheck check_turn(Env& env, const Offer& offer, StunLink::Kind kind) {
  sb::doctor::TurnCheck out;
  const auto url = parse_ice_url(turn_url(offer, kind));
  if (!url) return out;
  out.offered = true;
  out.port = url->port;
  Allocation a = allocate(env, offer, kind);
  out.detail = a.detail;
  if (a.code == 0) {
    out.status = Status::pass;
    out.rtt_ms = a.rtt_ms;
    out.relay_address = a.relayed.to_string();
    turn_request(env, a, [] { return sb::doctor::refresh_request(0); });  // deallocate: RFC 8656 §7.3
    return out;
  }
  out.status = Status::fail;
  out.code = std::max(a.code, 0);
  out.error = a.code == -1 ? (a.tls_failed ? TurnError::tls : TurnError::unreachable) : sb::doctor::turn_error_of(a.code);
  return out;
}

sb::doctor::Ipv6Check check_ipv6(Env& env, const Offer& offer) {
  sb::doctor::Ipv6Check out;
  std::string global;  // a global IPv6 address of this host
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) == 0) {
    for (auto* i = list; i && global.empty(); i = i->ifa_next) {
      if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET6) continue;
      asio::ip::address_v6::bytes_type b{};
      std::memcpy(b.data(), &reinterpret_cast<const sockaddr_in6*>(i->ifa_addr)->sin6_addr, 16);
      const asio::ip::address_v6 a(b);
      if (!a.is_loopback() && !a.is_link_local() && !a.is_v4_mapped()) global = a.to_string();
    }
    ::freeifaddrs(list);
  }
  if (global.empty()) {
    out.detail = "this device has no IPv6 address";
    return out;
  }
  if (offer.stun6.empty()) {
    out.detail = "the server offers no IPv6 address";
    return out;
  }
  const auto server = resolve_url(env, offer.stun6, out.detail);
  if (!server) return out;
  auto link = make_link(env.io, StunLink::Kind::udp);
  const auto mapped = link->open(*server, "", env.step).empty() ? binding(env, *link, *server) : std::nullopt;
  out.status = mapped ? Status::pass : Status::fail;
  out.address = mapped ? mapped->ip_string() : global;
  return out;
}

}  // namespace sb::client::doctor
