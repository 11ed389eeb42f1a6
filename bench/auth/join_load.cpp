// sb_join_load: joins per second against a signalbox, each join on a fresh WebSocket as a browser makes it
// (connect, handshake, `join`, `joined`, close), `--concurrency` at a time, for `--seconds` after a warm-up.
// With --token hs256|es256 every join carries a token (pre-minted, one per room, so the client spends nothing
// on it while measuring). Prints `key value` lines: joins_per_second, server_cpu_us_per_join, errors.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <cstdio>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "auth/mint.hpp"
#include "auth/jws.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string server = "127.0.0.1:8080";
  int concurrency = 32;
  double seconds = 5;
  double warmup = 1;
  std::string token = "none";  // none | hs256 | es256
  std::string secret;          // hs256: the server's --jwt-secret value (KID:SECRET)
  std::string key_out;         // es256: where to write the public key PEM the server loads
  int server_pid = 0;
  int rooms = 4096;
};

struct Shared {
  tcp::endpoint server;
  std::vector<std::string> frames;  // one join frame per room
  Clock::time_point measure_from, measure_to;
  std::uint64_t joins = 0, errors = 0, next = 0;
};

// One client slot: join after join, each on a new connection.
class Slot : public std::enable_shared_from_this<Slot> {
 public:
  Slot(asio::io_context& io, Shared& shared) : io_(io), shared_(shared) {}
  void start() {
    if (Clock::now() >= shared_.measure_to) return;
    ws_.emplace(io_);
    frame_ = &shared_.frames[shared_.next++ % shared_.frames.size()];
    beast::get_lowest_layer(*ws_).async_connect(shared_.server, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->fail();
      self->ws_->async_handshake("127.0.0.1", "/ws", [self](beast::error_code e) {
        if (e) return self->fail();
        self->ws_->async_write(asio::buffer(*self->frame_), [self](beast::error_code w, std::size_t) {
          if (w) return self->fail();
          self->read();
        });
      });
    });
  }

 private:
  void read() {
    buffer_.clear();
    ws_->async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->fail();
      const std::string text = beast::buffers_to_string(self->buffer_.data());
      if (text.find(R"("type":"joined")") == std::string::npos) return self->fail();
      const auto now = Clock::now();
      if (now >= self->shared_.measure_from && now < self->shared_.measure_to) ++self->shared_.joins;
      self->ws_->async_close(websocket::close_code::normal, [self](beast::error_code) { self->start(); });
    });
  }
  void fail() {
    const auto now = Clock::now();
    if (now >= shared_.measure_from && now < shared_.measure_to) ++shared_.errors;
    beast::error_code ignored;
    beast::get_lowest_layer(*ws_).close();
    start();
  }

  asio::io_context& io_;
  Shared& shared_;
  std::optional<websocket::stream<beast::tcp_stream>> ws_;
  const std::string* frame_ = nullptr;
  beast::flat_buffer buffer_;
};

double cpu_seconds(int pid) {
  if (pid <= 0) return 0;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string f;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(f);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Join frames, one per room; with a token each, minted before the measurement.
std::vector<std::string> make_frames(const Options& o, EVP_PKEY* es256_key) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::vector<std::string> frames;
  const auto colon = o.secret.find(':');
  for (int i = 0; i < o.rooms; ++i) {
    const std::string room = "j" + std::to_string(i);
    std::string frame = R"({"type":"join","room":")" + room + "\"";
    const std::string claims = R"({"sub":"u)" + std::to_string(i) + R"(","room":")" + room + R"(","iat":)" +
                               std::to_string(now) + R"(,"exp":)" + std::to_string(now + 3600) + "}";
    if (o.token == "hs256") {
      sb::auth::MintRequest r{o.secret.substr(0, colon), o.secret.substr(colon + 1), "u" + std::to_string(i), room, 3600};
      frame += R"(,"token":")" + sb::auth::mint_token(r, now).token + "\"";
    } else if (o.token == "es256") {
      frame += R"(,"token":")" + sb::auth::sign_asymmetric(es256_key, sb::auth::Algorithm::es256, "ec", claims) + "\"";
    }
    frames.push_back(frame + "}");
  }
  return frames;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"sb_join_load: joins per second against signalbox"};
  app.add_option("--server", o.server);
  app.add_option("--concurrency", o.concurrency);
  app.add_option("--seconds", o.seconds);
  app.add_option("--token", o.token)->check(CLI::IsMember({"none", "hs256", "es256"}));
  app.add_option("--secret", o.secret, "hs256: KID:SECRET");
  app.add_option("--write-es256-key", o.key_out, "es256: make a key, write its public PEM here, and exit");
  app.add_option("--es256-private-key", o.key_out, "es256: the private key PEM to sign with");
  app.add_option("--server-pid", o.server_pid);
  CLI11_PARSE(app, argc, argv);
  EVP_PKEY* key = nullptr;
  if (app.count("--write-es256-key")) {
    key = EVP_EC_gen("P-256");
    std::ofstream(o.key_out) << sb::auth::public_key_pem(key);
    std::ofstream(o.key_out + ".private") << [&] {
      BIO* bio = BIO_new(BIO_s_mem());
      PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
      char* data = nullptr;
      const long n = BIO_get_mem_data(bio, &data);
      std::string pem(data, static_cast<std::size_t>(n));
      BIO_free(bio);
      return pem;
    }();
    return 0;
  }
  if (o.token == "es256") {
    FILE* f = std::fopen(o.key_out.c_str(), "r");
    if (f == nullptr || (key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr)) == nullptr) {
      std::cerr << "cannot read --es256-private-key " << o.key_out << "\n";
      return 2;
    }
    std::fclose(f);
  }
  Shared shared;
  const auto colon = o.server.rfind(':');
  shared.server = tcp::endpoint(asio::ip::make_address(o.server.substr(0, colon)),
                                static_cast<unsigned short>(std::stoi(o.server.substr(colon + 1))));
  shared.frames = make_frames(o, key);
  asio::io_context io(1);
  const auto start = Clock::now();
  shared.measure_from = start + std::chrono::milliseconds(static_cast<long>(o.warmup * 1000));
  shared.measure_to = shared.measure_from + std::chrono::milliseconds(static_cast<long>(o.seconds * 1000));
  for (int i = 0; i < o.concurrency; ++i) std::make_shared<Slot>(io, shared)->start();
  asio::steady_timer at_from(io, shared.measure_from), at_to(io, shared.measure_to);
  double cpu_from = 0, cpu_to = 0;
  at_from.async_wait([&](beast::error_code) { cpu_from = cpu_seconds(o.server_pid); });
  at_to.async_wait([&](beast::error_code) { cpu_to = cpu_seconds(o.server_pid); });
  io.run();
  std::cout << "joins_per_second " << static_cast<double>(shared.joins) / o.seconds << "\n";
  if (o.server_pid > 0 && shared.joins > 0) {
    std::cout << "server_cpu_us_per_join " << (cpu_to - cpu_from) * 1e6 / static_cast<double>(shared.joins) << "\n";
  }
  std::cout << "errors " << shared.errors << "\n";
  if (key != nullptr) EVP_PKEY_free(key);
  return 0;
}
