#include "stun/attr_nat.hpp"

namespace sb::stun {

void ChangeRequest::encode(Message& m) const {
  auto out = m.append_attribute(kType, 4);
  if (out.size() == 4) store_u32(out.data(), (change_ip ? 0x4u : 0u) | (change_port ? 0x2u : 0u));
}

Result<ChangeRequest> ChangeRequest::decode(const MessageView&, AttributeView a) {
  if (a.value.size() != 4) return Error::kBadAttributeValue;
  const std::uint32_t v = load_u32(a.value.data());
  return ChangeRequest{(v & 0x4) != 0, (v & 0x2) != 0};
}

void ResponsePort::encode(Message& m) const {
  auto out = m.append_attribute(kType, 4);
  if (out.size() == 4) store_u16(out.data(), port);
}

Result<ResponsePort> ResponsePort::decode(const MessageView&, AttributeView a) {
  if (a.value.size() != 4) return Error::kBadAttributeValue;
  return ResponsePort{load_u16(a.value.data())};
}

void CacheTimeout::encode(Message& m) const {
  auto out = m.append_attribute(kType, 4);
  if (out.size() == 4) store_u32(out.data(), seconds);
}

Result<CacheTimeout> CacheTimeout::decode(const MessageView&, AttributeView a) {
  if (a.value.size() != 4) return Error::kBadAttributeValue;
  return CacheTimeout{load_u32(a.value.data())};
}

}  // namespace sb::stun
