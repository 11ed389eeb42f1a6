#include "util/random.hpp"

#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

namespace sb::util {

void random_bytes(std::span<std::uint8_t> out) {
  if (out.empty()) return;
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    throw std::runtime_error("CSPRNG failure (RAND_bytes)");
  }
}

std::string random_hex(std::size_t n_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::vector<std::uint8_t> raw(n_bytes);
  random_bytes(raw);
  std::string s;
  s.reserve(n_bytes * 2);
  for (auto b : raw) {
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 0x0f]);
  }
  return s;
}

std::uint64_t random_uniform(std::uint64_t lo, std::uint64_t hi) {
  if (lo >= hi) return lo;
  const std::uint64_t span = hi - lo;
  if (span == UINT64_MAX) {
    std::uint64_t v;
    random_bytes({reinterpret_cast<std::uint8_t*>(&v), sizeof v});
    return v;
  }
  const std::uint64_t range = span + 1;
  const std::uint64_t limit = UINT64_MAX - (UINT64_MAX % range);  // reject the biased tail
  for (;;) {
    std::uint64_t v;
    random_bytes({reinterpret_cast<std::uint8_t*>(&v), sizeof v});
    if (v < limit) return lo + v % range;
  }
}

}  // namespace sb::util
