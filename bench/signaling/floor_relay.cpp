// The floor for the signaling benchmark: the least a WebSocket relay can do per message on this machine. One
// thread, one epoll set, no JSON: after the opening handshake and a `join` (read for its room only), every
// client frame is unmasked and written as it is to the other member of the room, with no `from`, no limits
// and no checks. It answers `join` just well enough for the load generator (joined with the peer's id, and
// peer-joined), so the same load runs against it as against signalbox and the reference.
//
// It is not a server: it trusts its input. bench/signaling/run starts it as the "floor" side.
//   sb_signaling_floor [--listen 127.0.0.1:PORT]    prints "listening http HOST:PORT" then "ready"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

struct Conn {
  int fd = -1;
  bool upgraded = false;
  std::string id;
  Conn* peer = nullptr;
  std::string in;   // bytes read and not yet consumed
  std::string out;  // bytes not yet accepted by the socket
  bool want_out = false;
};

int epfd = -1;
std::unordered_map<int, std::unique_ptr<Conn>> conns;
std::unordered_map<std::string, Conn*> waiting;  // room → the member that joined first
std::uint64_t next_id = 1;

void watch(Conn& c, bool out) {
  if (out == c.want_out) return;
  c.want_out = out;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | (out ? EPOLLOUT : 0u);
  ev.data.fd = c.fd;
  ::epoll_ctl(epfd, EPOLL_CTL_MOD, c.fd, &ev);
}

void flush(Conn& c) {
  while (!c.out.empty()) {
    const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN) break;
      c.out.clear();  // the read side notices the close
      break;
    }
    c.out.erase(0, static_cast<std::size_t>(n));
  }
  watch(c, !c.out.empty());
}

// Queues one unmasked server frame; written at the end of the read batch that produced it.
void frame(Conn& c, std::uint8_t opcode, std::string_view payload) {
  char h[10];
  std::size_t n = 2;
  h[0] = static_cast<char>(0x80 | opcode);
  if (payload.size() < 126) {
    h[1] = static_cast<char>(payload.size());
  } else if (payload.size() < 65536) {
    h[1] = 126;
    h[2] = static_cast<char>(payload.size() >> 8);
    h[3] = static_cast<char>(payload.size());
    n = 4;
  } else {
    h[1] = 127;
    for (int i = 0; i < 8; ++i) h[2 + i] = static_cast<char>(static_cast<std::uint64_t>(payload.size()) >> (56 - 8 * i));
    n = 10;
  }
  c.out.append(h, n);
  c.out.append(payload);
}

std::string field(std::string_view text, std::string_view name) {
  const std::string key = "\"" + std::string(name) + "\":\"";
  const auto at = text.find(key);
  if (at == std::string_view::npos) return {};
  const auto start = at + key.size();
  return std::string(text.substr(start, text.find('"', start) - start));
}

void on_join(Conn& c, std::string_view text, std::vector<Conn*>& dirty) {
  char id[33];
  std::snprintf(id, sizeof id, "%032llx", static_cast<unsigned long long>(next_id++));
  c.id = id;
  const std::string room = field(text, "room");
  auto it = waiting.find(room);
  if (it == waiting.end()) {
    waiting.emplace(room, &c);
    frame(c, 1, R"({"type":"joined","id":")" + c.id + R"(","room":")" + room + R"(","peers":[],"iceServers":[]})");
  } else {
    Conn& first = *it->second;
    waiting.erase(it);
    c.peer = &first;
    first.peer = &c;
    frame(c, 1, R"({"type":"joined","id":")" + c.id + R"(","room":")" + room + R"(","peers":[{"id":")" + first.id +
                    R"("}],"iceServers":[]})");
    frame(first, 1, R"({"type":"peer-joined","id":")" + c.id + R"("})");
    dirty.push_back(&first);
  }
  dirty.push_back(&c);
}

std::string accept_key(std::string_view key) {
  std::string s(key);
  s += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";  // RFC 6455 §1.3
  unsigned char digest[SHA_DIGEST_LENGTH];
  ::SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), digest);
  char out[64];
  const int n = ::EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out), digest, SHA_DIGEST_LENGTH);
  return std::string(out, static_cast<std::size_t>(n));
}

// Consumes what `c.in` holds; false when the connection is to be closed.
bool consume(Conn& c, std::vector<Conn*>& dirty) {
  if (!c.upgraded) {
    const auto end = c.in.find("\r\n\r\n");
    if (end == std::string::npos) return c.in.size() < 8192;
    std::string key;
    const std::string_view head(c.in.data(), end);
    for (std::string_view name : {"Sec-WebSocket-Key: ", "sec-websocket-key: "}) {
      if (auto at = head.find(name); at != std::string_view::npos) {
        const auto start = at + name.size();
        key = std::string(head.substr(start, head.find("\r\n", start) - start));
      }
    }
    if (key.empty()) return false;
    c.out += "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
             accept_key(key) + "\r\n\r\n";
    dirty.push_back(&c);
    c.in.erase(0, end + 4);
    c.upgraded = true;
  }
  std::size_t pos = 0;
  for (;;) {
    const auto* p = reinterpret_cast<unsigned char*>(c.in.data()) + pos;
    const std::size_t avail = c.in.size() - pos;
    if (avail < 2) break;
    const std::uint8_t opcode = p[0] & 0x0f;
    std::uint64_t len = p[1] & 0x7f;
    std::size_t h = 2;
    if (len == 126) {
      if (avail < 4) break;
      len = (std::uint64_t{p[2]} << 8) | p[3];
      h = 4;
    } else if (len == 127) {
      if (avail < 10) break;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | p[2 + i];
      h = 10;
    }
    const bool masked = (p[1] & 0x80) != 0;
    const std::size_t mask_at = h;
    if (masked) h += 4;
    if (avail < h + len) break;
    char* payload = c.in.data() + pos + h;
    if (masked) {
      for (std::uint64_t i = 0; i < len; ++i) payload[i] ^= static_cast<char>(p[mask_at + (i & 3)]);
    }
    const std::string_view text(payload, static_cast<std::size_t>(len));
    if (opcode == 8) return false;
    if (opcode == 9) {
      frame(c, 10, text);
      dirty.push_back(&c);
    } else if (opcode == 1 || opcode == 2) {
      if (c.id.empty()) {
        on_join(c, text, dirty);
      } else if (c.peer != nullptr) {
        frame(*c.peer, 1, text);
        dirty.push_back(c.peer);
      }
    }
    pos += h + static_cast<std::size_t>(len);
  }
  c.in.erase(0, pos);
  return true;
}

void close_conn(int fd) {
  auto it = conns.find(fd);
  if (it == conns.end()) return;
  Conn& c = *it->second;
  if (c.peer != nullptr) c.peer->peer = nullptr;
  for (auto w = waiting.begin(); w != waiting.end(); ++w) {
    if (w->second == &c) {
      waiting.erase(w);
      break;
    }
  }
  ::epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nullptr);
  ::close(fd);
  conns.erase(it);
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:0";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string_view(argv[i]) == "--listen") listen = argv[i + 1];
  }
  const auto colon = listen.rfind(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(std::stoi(listen.substr(colon + 1))));
  ::inet_pton(AF_INET, listen.substr(0, colon).c_str(), &addr.sin_addr);

  const int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(lfd, 4096) != 0) {
    std::perror("listen");
    return 1;
  }
  socklen_t alen = sizeof addr;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &alen);
  char host[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, &addr.sin_addr, host, sizeof host);
  std::printf("listening http %s:%u\nready\n", host, ntohs(addr.sin_port));
  std::fflush(stdout);

  epfd = ::epoll_create1(0);
  epoll_event lev{};
  lev.events = EPOLLIN;
  lev.data.fd = lfd;
  ::epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &lev);

  std::vector<epoll_event> events(512);
  std::vector<char> buf(64 * 1024);
  std::vector<Conn*> dirty;
  for (;;) {
    const int n = ::epoll_wait(epfd, events.data(), static_cast<int>(events.size()), -1);
    if (n < 0 && errno != EINTR) return 1;
    dirty.clear();
    std::vector<int> dead;
    for (int e = 0; e < n; ++e) {
      const int fd = events[e].data.fd;
      if (fd == lfd) {
        for (int cfd; (cfd = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK)) >= 0;) {
          ::setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          auto c = std::make_unique<Conn>();
          c->fd = cfd;
          epoll_event ev{};
          ev.events = EPOLLIN | EPOLLRDHUP;
          ev.data.fd = cfd;
          ::epoll_ctl(epfd, EPOLL_CTL_ADD, cfd, &ev);
          conns.emplace(cfd, std::move(c));
        }
        continue;
      }
      auto it = conns.find(fd);
      if (it == conns.end()) continue;
      Conn& c = *it->second;
      if (events[e].events & EPOLLOUT) flush(c);
      if (events[e].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        const ssize_t got = ::recv(fd, buf.data(), buf.size(), 0);
        if (got == 0 || (got < 0 && errno != EAGAIN)) {
          dead.push_back(fd);
          continue;
        }
        if (got > 0) {
          c.in.append(buf.data(), static_cast<std::size_t>(got));
          if (!consume(c, dirty)) dead.push_back(fd);
        }
      }
    }
    // One write per connection per batch, however many frames the batch queued for it.
    for (Conn* c : dirty) {
      if (!c->out.empty() && !c->want_out) flush(*c);
    }
    for (int fd : dead) close_conn(fd);
  }
}
