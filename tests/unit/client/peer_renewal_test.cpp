// A new peer connection when the media path broke (peer_renewal.hpp): the o= session id that tells the answering
// side a new session, and the offerer's decision to renew.
#include "client/peer_renewal.hpp"

#include <gtest/gtest.h>

namespace sb::client {
namespace {

using std::chrono::milliseconds;

constexpr const char* kWebrtcbinOffer =
    "v=0\r\no=- 1536598137408117236 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=ice-options:trickle\r\n"
    "a=group:BUNDLE video0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:video0\r\n";

TEST(SdpSessionId, ReadsTheOriginsSessionId) {
  EXPECT_EQ(sdp_session_id(kWebrtcbinOffer), "1536598137408117236");
  // Chromium's form, \n line ends, and a username other than "-".
  EXPECT_EQ(sdp_session_id("v=0\no=mozilla...THIS_IS_SDPARTA 4611731400430051336 2 IN IP4 127.0.0.1\ns=-\nt=0 0\n"),
            "4611731400430051336");
  // The version changes on every offer of a session; the id does not.
  EXPECT_EQ(sdp_session_id("v=0\r\no=- 42 7 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"), "42");
}

TEST(SdpSessionId, NoIdWithoutAUsableOrigin) {
  EXPECT_EQ(sdp_session_id(""), std::nullopt);
  EXPECT_EQ(sdp_session_id("v=0\r\ns=-\r\nt=0 0\r\n"), std::nullopt);
  EXPECT_EQ(sdp_session_id("v=0\r\no=-\r\ns=-\r\n"), std::nullopt);
  EXPECT_EQ(sdp_session_id("v=0\r\no=- abc 0 IN IP4 0.0.0.0\r\ns=-\r\n"), std::nullopt);  // sess-id = 1*DIGIT
  EXPECT_EQ(sdp_session_id("v=0\r\no=- 12x 0 IN IP4 0.0.0.0\r\ns=-\r\n"), std::nullopt);
  EXPECT_EQ(sdp_session_id(std::string_view("\0\0\0", 3)), std::nullopt);
}

TEST(StartsNewSession, OnlyAKnownDifferentIdAfterAKnownOne) {
  EXPECT_TRUE(starts_new_session("1", "2"));
  EXPECT_FALSE(starts_new_session("1", "1"));              // an ICE restart or another offer of the same session
  EXPECT_FALSE(starts_new_session(std::nullopt, "1"));     // the first offer
  EXPECT_FALSE(starts_new_session("1", std::nullopt));     // no proof
  EXPECT_FALSE(starts_new_session(std::nullopt, std::nullopt));
}

TEST(NextRecoveryStep, TheOfferRenewsWhenSignalingIsUpAndNotTooOften) {
  const RecoveryLimits limits{5, milliseconds(5000)};
  const milliseconds never{1'000'000'000};
  EXPECT_EQ(next_recovery_step({true, true, 0, never}, limits), RecoveryStep::renew);
  EXPECT_EQ(next_recovery_step({true, true, 4, milliseconds(5000)}, limits), RecoveryStep::renew);
  EXPECT_EQ(next_recovery_step({true, true, 1, milliseconds(4999)}, limits), RecoveryStep::wait);
  EXPECT_EQ(next_recovery_step({true, false, 0, never}, limits), RecoveryStep::wait);  // the offer could not go out
  EXPECT_EQ(next_recovery_step({true, true, 5, never}, limits), RecoveryStep::exhausted);
  EXPECT_EQ(next_recovery_step({true, false, 5, never}, limits), RecoveryStep::exhausted);
  // The answering side never renews by itself: it answers the offerer's new session.
  EXPECT_EQ(next_recovery_step({false, true, 0, never}, limits), RecoveryStep::not_ours);
  EXPECT_EQ(to_string(RecoveryStep::renew), "renew");
  EXPECT_EQ(to_string(RecoveryStep::not_ours), "not-ours");
}

}  // namespace
}  // namespace sb::client
