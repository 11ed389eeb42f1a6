#include "stun/attr_ice.hpp"

namespace sb::stun {

void Priority::encode(Message& m) const {
  auto out = m.append_attribute(kType, 4);
  if (out.size() == 4) store_u32(out.data(), value);
}

Result<Priority> Priority::decode(const MessageView&, AttributeView a) {
  if (a.value.size() != 4) return Error::kBadAttributeValue;
  return Priority{load_u32(a.value.data())};
}

Result<UseCandidate> UseCandidate::decode(const MessageView&, AttributeView a) {
  if (!a.value.empty()) return Error::kBadAttributeValue;
  return UseCandidate{};
}

}  // namespace sb::stun
