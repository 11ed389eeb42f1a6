#include "stun/attr_text.hpp"

#include <cstring>

namespace sb::stun {

void encode_text(Message& m, std::uint16_t type, std::string_view text, std::size_t max_bytes) {
  if (text.size() > max_bytes) {
    m.fail(Error::kBadAttributeValue);
    return;
  }
  auto out = m.append_attribute(type, text.size());
  if (!text.empty() && out.size() == text.size()) std::memcpy(out.data(), text.data(), text.size());
}

Result<std::string_view> decode_text(std::span<const std::uint8_t> value, std::size_t max_bytes) {
  if (value.size() > max_bytes) return Error::kBadAttributeValue;
  return std::string_view(reinterpret_cast<const char*>(value.data()), value.size());
}

}  // namespace sb::stun
