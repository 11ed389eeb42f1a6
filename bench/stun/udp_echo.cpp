// The floor for the STUN benchmark: a bare UDP echo with the same structure as signalbox's STUN workers
// (one SO_REUSEPORT socket and thread per core, blocking recvmmsg, sendmmsg of the same batch back).
//   stun_udp_echo 127.0.0.1:PORT [threads]     prints "listening echo 127.0.0.1:PORT", runs until killed
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr unsigned kBatch = 64;

int open_socket(const sockaddr_in& addr) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  int one = 1, buf = 4 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    std::perror("bind");
    std::exit(1);
  }
  return fd;
}

void echo_loop(int fd) {
  std::vector<std::uint8_t> data(kBatch * 2048);
  std::vector<sockaddr_storage> names(kBatch);
  std::vector<iovec> iov(kBatch);
  std::vector<mmsghdr> msgs(kBatch);
  while (true) {
    for (unsigned i = 0; i < kBatch; ++i) {
      iov[i] = {data.data() + i * 2048, 2048};
      msgs[i].msg_hdr = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &names[i];
      msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    }
    const int n = ::recvmmsg(fd, msgs.data(), kBatch, MSG_WAITFORONE, nullptr);
    if (n <= 0) continue;
    for (int i = 0; i < n; ++i) iov[i].iov_len = msgs[i].msg_len;
    int sent = 0;
    while (sent < n) {
      const int r = ::sendmmsg(fd, msgs.data() + sent, static_cast<unsigned>(n - sent), 0);
      sent += r > 0 ? r : 1;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: stun_udp_echo IP:PORT [threads]\n");
    return 2;
  }
  const std::string target = argv[1];
  const auto colon = target.rfind(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(std::stoi(target.substr(colon + 1))));
  ::inet_pton(AF_INET, target.substr(0, colon).c_str(), &addr.sin_addr);
  const unsigned threads = argc > 2 ? static_cast<unsigned>(std::stoi(argv[2])) : std::thread::hardware_concurrency();
  std::vector<int> fds;
  for (unsigned i = 0; i < threads; ++i) {
    fds.push_back(open_socket(addr));
    if (addr.sin_port == 0) {
      socklen_t len = sizeof addr;
      ::getsockname(fds.back(), reinterpret_cast<sockaddr*>(&addr), &len);
    }
  }
  std::printf("listening echo %s:%u\n", target.substr(0, colon).c_str(), ntohs(addr.sin_port));
  std::fflush(stdout);
  std::vector<std::thread> workers;
  for (int fd : fds) workers.emplace_back(echo_loop, fd);
  for (auto& t : workers) t.join();
}
