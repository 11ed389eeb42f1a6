// Cryptographically secure randomness (OpenSSL RAND_bytes) for peer ids, nonces,
// relay ports and secrets. Never use <random> engines for anything a client can see.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace sb::util {

// Fills `out` from the CSPRNG. Throws std::runtime_error if the CSPRNG fails.
void random_bytes(std::span<std::uint8_t> out);

// `n_bytes` random bytes rendered as 2*n_bytes lowercase hex characters.
std::string random_hex(std::size_t n_bytes);

// Unbiased uniform integer in [lo, hi] (inclusive) from the CSPRNG.
std::uint64_t random_uniform(std::uint64_t lo, std::uint64_t hi);

}  // namespace sb::util
