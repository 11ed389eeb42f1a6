// Every error code a client can receive is listed in docs/signaling-protocol.md (a table row starting with the
// code in backquotes), so the document cannot fall behind the code.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "signaling/protocol.hpp"

TEST(ProtocolDocument, ListsEveryErrorCode) {
  std::ifstream in(std::string(SB_SOURCE_DIR) + "/docs/signaling-protocol.md");
  ASSERT_TRUE(in) << "docs/signaling-protocol.md not found";
  std::stringstream doc;
  doc << in.rdbuf();
  for (std::size_t i = 0; i < sb::signaling::kErrorCodeCount; ++i) {
    const std::string code(sb::signaling::to_string(static_cast<sb::signaling::ErrorCode>(i)));
    EXPECT_NE(doc.str().find("\n| `" + code + "` |"), std::string::npos) << code << " is not in the error tables";
  }
}
