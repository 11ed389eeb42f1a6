// base64url (RFC 4648 §5, no padding): the RFC's test vectors and the strictness JWS verification relies on.
#include "auth/base64url.hpp"

#include <gtest/gtest.h>

namespace sb::auth {
namespace {

TEST(Base64Url, Rfc4648Vectors) {
  // RFC 4648 §10, without padding.
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""}, {"f", "Zg"}, {"fo", "Zm8"}, {"foo", "Zm9v"}, {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"},
      {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64url_encode(plain), encoded);
    EXPECT_EQ(base64url_decode(encoded), plain) << encoded;
  }
}

TEST(Base64Url, UsesTheUrlAlphabet) {
  const std::string bytes = "\xfb\xff\xbf";
  EXPECT_EQ(base64url_encode(bytes), "-_-_");
  EXPECT_EQ(base64url_decode("-_-_"), bytes);
  EXPECT_FALSE(base64url_decode("+/+/").has_value());
}

TEST(Base64Url, RefusesWhatIsNotCanonical) {
  EXPECT_FALSE(base64url_decode("Zg==").has_value());  // padding
  EXPECT_FALSE(base64url_decode("Zm9v\n").has_value());
  EXPECT_FALSE(base64url_decode("Z").has_value());   // a lone character holds no byte
  EXPECT_FALSE(base64url_decode("Zh").has_value());  // "f" is Zg: the low bits of h are not zero
  EXPECT_FALSE(base64url_decode("Zm9").has_value());
  EXPECT_EQ(base64url_decode("Zm8"), "fo");
}

TEST(Base64Url, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t n = 0; n <= all.size(); n += 37) {
    const std::string part = all.substr(0, n);
    EXPECT_EQ(base64url_decode(base64url_encode(part)), part) << n;
  }
}

}  // namespace
}  // namespace sb::auth
