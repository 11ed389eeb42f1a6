#include "auth_harness.hpp"

namespace sb::itest {

void expect_refused(WsClient& c, const std::string& room, const std::string& token, const std::string& code) {
  json j = {{"type", "join"}, {"room", room}};
  if (!token.empty()) j["token"] = token;
  ASSERT_TRUE(c.send_json(j));
  expect_error(c, code, "", "join");
  ASSERT_TRUE(c.wait_closed(kWait)) << code << ": the server did not close the connection";
  EXPECT_EQ(c.close_code(), std::optional<std::uint16_t>(4003)) << code << ": " << c.last_error();
  EXPECT_EQ(c.close_reason(), code);
}

}  // namespace sb::itest
