#include "net/stun_udp.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "net/socket_address.hpp"

namespace sb::net {

// One thread's state: a socket and everything needed to answer a batch without allocating.
struct StunUdpServer::Worker {
  Worker(int socket, const stun::TransportAddress& local_address, const stun::ServiceConfig& cfg,
         std::size_t batch, std::size_t max_datagram, sb::metrics::Registry& registry)
      : fd(socket),
        local(local_address),
        metrics(registry),
        service(cfg, metrics),
        in_buf(batch * (max_datagram + 1)),
        out_buf(batch * kMaxResponse),
        in_addr(batch),
        out_addr(batch),
        in_iov(batch),
        out_iov(batch),
        in_msg(batch),
        out_msg(batch),
        slot(max_datagram + 1) {
    for (std::size_t i = 0; i < batch; ++i) {
      in_iov[i] = {in_buf.data() + i * slot, slot};
      in_msg[i].msg_hdr.msg_iov = &in_iov[i];
      in_msg[i].msg_hdr.msg_iovlen = 1;
      out_iov[i] = {out_buf.data() + i * kMaxResponse, 0};
      out_msg[i].msg_hdr.msg_iov = &out_iov[i];
      out_msg[i].msg_hdr.msg_iovlen = 1;
      out_msg[i].msg_hdr.msg_name = &out_addr[i];
    }
  }
  ~Worker() { ::close(fd); }

  static constexpr std::size_t kMaxResponse = 512;  // a Binding answer is < 200 bytes, SOFTWARE included

  int fd;
  stun::TransportAddress local;
  stun::Metrics metrics;  // this worker's shard of signalbox_stun_*
  stun::BindingService service;
  std::vector<std::uint8_t> in_buf, out_buf;
  std::vector<sockaddr_storage> in_addr, out_addr;
  std::vector<iovec> in_iov, out_iov;
  std::vector<mmsghdr> in_msg, out_msg;
  std::size_t slot;  // bytes per receive slot: max_datagram + 1 so an over-long datagram is detectable
};

std::string StunUdpOptions::validate() const {
  std::string errs;
  if (batch == 0 || batch > 256) errs += "stun udp batch must be 1..256\n";
  if (max_datagram < 20 || max_datagram > 65535) errs += "stun udp max datagram must be 20..65535\n";
  if (workers > 256) errs += "stun udp workers must be at most 256\n";
  return errs;
}

StunUdpServer::StunUdpServer(StunUdpOptions options, stun::ServiceConfig service, metrics::Registry& registry)
    : options_(std::move(options)), service_(std::move(service)), registry_(registry) {
  if (const std::string e = options_.validate() + service_.validate(); !e.empty()) throw std::runtime_error(e);
  if (options_.workers == 0) options_.workers = std::max(1u, std::thread::hardware_concurrency());
  std::vector<stun::TransportAddress> addresses = options_.listen;
  if (service_.behaviour_discovery()) {
    // RFC 5780 §4: the server answers on IP1:P1, IP1:P2, IP2:P1 and IP2:P2.
    const auto& p = *service_.primary;
    const auto& a = *service_.alternate;
    for (const auto& extra : {p, stun::TransportAddress{p.ip, a.port},
                              stun::TransportAddress{a.ip, p.port}, a}) {
      if (std::find(addresses.begin(), addresses.end(), extra) == addresses.end()) addresses.push_back(extra);
    }
  }
  for (const auto& address : addresses) open_address(address);
}

StunUdpServer::~StunUdpServer() { stop(); }

void StunUdpServer::open_address(const stun::TransportAddress& address) {
  UdpSocketOptions so;
  so.reuse_port = true;
  so.nonblocking = false;  // blocking receivers; the timeout lets them notice stop()
  so.buffer_bytes = options_.socket_buffer_bytes;
  so.receive_timeout_ms = 100;
  stun::TransportAddress actual = address;
  if (auto error = claim_port(actual, SOCK_DGRAM); !error.empty()) throw std::runtime_error("stun: " + error);
  for (std::size_t w = 0; w < options_.workers; ++w) {
    std::string error;
    const int fd = open_udp_socket(actual, so, error);
    if (fd < 0) throw std::runtime_error(error);
    actual = bound_address(fd);  // port 0 → the port the first socket got
    workers_.push_back(std::make_unique<Worker>(fd, actual, service_, options_.batch, options_.max_datagram, registry_));
  }
  bound_.push_back(actual);
}

int StunUdpServer::origin_socket(const stun::TransportAddress& from) const {
  for (const auto& w : workers_) {
    if (w->local == from) return w->fd;
  }
  return -1;
}

namespace {

// Copies one answer into send slot `n` of the worker's batch; returns 1, or 0 when it does not fit.
template <class W>
std::size_t queue_reply(W& w, std::size_t n, const stun::Reply& reply, const sockaddr_storage& source_name,
                 socklen_t source_len, const stun::TransportAddress& source) {
  if (reply.bytes.size() > W::kMaxResponse) return 0;
  std::memcpy(w.out_iov[n].iov_base, reply.bytes.data(), reply.bytes.size());
  w.out_iov[n].iov_len = reply.bytes.size();
  if (reply.to == source) {
    w.out_addr[n] = source_name;
    w.out_msg[n].msg_hdr.msg_namelen = source_len;
  } else {
    w.out_msg[n].msg_hdr.msg_namelen = to_sockaddr(reply.to, w.out_addr[n]);
  }
  return 1;
}

// Sends `count` queued answers; what the kernel refuses is dropped (UDP is lossy by contract) and counted.
template <class W>
void flush(W& w, std::size_t count) {
  std::size_t sent = 0;
  while (sent < count) {
    const int r = ::sendmmsg(w.fd, w.out_msg.data() + sent, static_cast<unsigned>(count - sent), 0);
    if (r > 0) {
      sent += static_cast<std::size_t>(r);
    } else if (r < 0 && errno == EINTR) {
      continue;
    } else {
      w.metrics.drop(stun::DropReason::kSendFailed);  // skip the datagram the kernel refused
      ++sent;
    }
  }
}

}  // namespace

void StunUdpServer::start() {
  if (started_) return;
  started_ = true;
  for (auto& w : workers_) threads_.emplace_back([this, worker = w.get()] { run(*worker); });
}

void StunUdpServer::run(Worker& w) {
  while (!stopping_.load(std::memory_order_relaxed)) {
    for (std::size_t i = 0; i < w.in_msg.size(); ++i) {
      w.in_msg[i].msg_hdr.msg_name = &w.in_addr[i];
      w.in_msg[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    }
    const int n =
        ::recvmmsg(w.fd, w.in_msg.data(), static_cast<unsigned>(w.in_msg.size()), MSG_WAITFORONE, nullptr);
    if (n <= 0) continue;  // receive timeout (EAGAIN) or EINTR: look at stopping_ and wait again
    std::size_t queued = 0;
    for (int i = 0; i < n; ++i) queued += answer(w, static_cast<std::size_t>(i), queued);
    flush(w, queued);
  }
}

// Answers datagram i of the batch; returns 1 when it queued a reply in send slot `queued`.
std::size_t StunUdpServer::answer(Worker& w, std::size_t i, std::size_t queued) {
  const auto& hdr = w.in_msg[i];
  if (hdr.msg_len > w.slot - 1 || (hdr.msg_hdr.msg_flags & MSG_TRUNC) != 0) {
    w.metrics.drop(stun::DropReason::kTooLarge);
    return 0;
  }
  const stun::TransportAddress source = from_sockaddr(w.in_addr[i]);
  const stun::Packet packet{{w.in_buf.data() + i * w.slot, hdr.msg_len}, source, w.local, stun::Transport::kUdp};
  stun::Reply reply;
  const stun::Outcome o = w.service.handle(packet, reply);
  if (o.action == stun::Action::kPassOn) {
    w.metrics.drop(stun::DropReason::kUnhandled);  // TURN, when it runs, has its own front end
    return 0;
  }
  if (o.action != stun::Action::kReply) return 0;
  if (reply.from == w.local) return queue_reply(w, queued, reply, w.in_addr[i], hdr.msg_hdr.msg_namelen, source);
  // RFC 5780 CHANGE-REQUEST: answer from the socket bound to the other address.
  sockaddr_storage to{};
  const socklen_t len = to_sockaddr(reply.to, to);
  const int fd = origin_socket(reply.from);
  if (fd < 0 ||
      ::sendto(fd, reply.bytes.data(), reply.bytes.size(), 0, reinterpret_cast<const sockaddr*>(&to), len) < 0) {
    w.metrics.drop(stun::DropReason::kSendFailed);
  }
  return 0;
}

void StunUdpServer::stop() {
  stopping_.store(true);
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace sb::net
