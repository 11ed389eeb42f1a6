#include <gtest/gtest.h>

#include "signaling/peerjs/pending.hpp"

namespace sb::signaling::peerjs {
namespace {

using namespace std::chrono_literals;

const util::TimePoint kT0{};

PendingRelay relay(std::string text, RelayedType type = RelayedType::offer) {
  return PendingRelay{type, std::make_shared<const std::string>(std::move(text))};
}

std::vector<std::string> texts(const std::vector<PendingRelay>& v) {
  std::vector<std::string> out;
  for (const auto& r : v) out.push_back(*r.frame);
  return out;
}

TEST(PeerjsPending, TakeGivesWhatWaitsForTheTargetInOrderOnce) {
  PendingRelays p(PendingLimits{}, 5s);
  EXPECT_EQ(p.add("carol", relay("1"), kT0), PendingRelays::Result::queued);
  EXPECT_EQ(p.add("dave", relay("2"), kT0), PendingRelays::Result::queued);
  EXPECT_EQ(p.add("carol", relay("3", RelayedType::candidate), kT0 + 1s), PendingRelays::Result::queued);
  EXPECT_TRUE(p.waiting_for("carol"));
  EXPECT_FALSE(p.waiting_for("bob"));
  EXPECT_EQ(p.message_count(), 3u);
  EXPECT_EQ(p.byte_count(), 3u);
  const auto got = p.take("carol");
  EXPECT_EQ(texts(got), (std::vector<std::string>{"1", "3"}));
  EXPECT_EQ(got[1].type, RelayedType::candidate);
  EXPECT_TRUE(p.take("carol").empty());
  EXPECT_FALSE(p.waiting_for("carol"));
  EXPECT_EQ(p.target_count(), 1u);
  EXPECT_EQ(p.byte_count(), 1u);
}

TEST(PeerjsPending, ExpiryCountsFromTheFirstRelayForATarget) {
  PendingRelays p(PendingLimits{}, 5s);
  EXPECT_FALSE(p.next_deadline());
  p.add("carol", relay("1"), kT0);
  p.add("dave", relay("2"), kT0 + 2s);
  p.add("carol", relay("3"), kT0 + 4s);  // does not push carol's deadline back
  EXPECT_EQ(p.next_deadline(), kT0 + 5s);
  EXPECT_TRUE(p.expire(kT0 + 4999ms).empty());
  EXPECT_EQ(p.expire(kT0 + 5s), (std::vector<std::string>{"carol"}));
  EXPECT_EQ(p.next_deadline(), kT0 + 7s);
  EXPECT_EQ(p.expire(kT0 + 60s), (std::vector<std::string>{"dave"}));
  EXPECT_FALSE(p.next_deadline());
  EXPECT_EQ(p.byte_count(), 0u);
  // A relay after an EXPIRE starts a new wait.
  p.add("carol", relay("4"), kT0 + 61s);
  EXPECT_EQ(p.next_deadline(), kT0 + 66s);
}

TEST(PeerjsPending, Limits) {
  PendingRelays p(PendingLimits{2, 3, 10}, 5s);
  EXPECT_EQ(p.add("a", relay("1234"), kT0), PendingRelays::Result::queued);
  EXPECT_EQ(p.add("a", relay("1"), kT0), PendingRelays::Result::queued);
  EXPECT_EQ(p.add("a", relay("2"), kT0), PendingRelays::Result::queued);
  EXPECT_EQ(p.add("a", relay("3"), kT0), PendingRelays::Result::full);  // 4th message for one target
  EXPECT_EQ(p.add("b", relay("1"), kT0), PendingRelays::Result::queued);
  EXPECT_EQ(p.add("c", relay("1"), kT0), PendingRelays::Result::full);      // 3rd target
  EXPECT_EQ(p.add("b", relay("12345"), kT0), PendingRelays::Result::full);  // 7 + 5 bytes > 10
  EXPECT_EQ(p.target_count(), 2u);
  EXPECT_FALSE(p.waiting_for("c"));  // a refused first relay leaves nothing behind
  p.take("a");
  EXPECT_EQ(p.add("c", relay("12345"), kT0), PendingRelays::Result::queued);
}

}  // namespace
}  // namespace sb::signaling::peerjs
