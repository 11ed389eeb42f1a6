#include "signaling/json_scan.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

namespace sb::signaling::json {
namespace {

std::optional<Value> doc(std::string_view s, std::size_t depth = 32) {
  return Scanner(s, depth).document();
}

TEST(JsonScan, AcceptsEveryKindOfValue) {
  for (std::string_view s : {"{}", "[]", "\"\"", "0", "-0", "1.5e+3", "-12.25E-2", "true", "false", "null",
                             " {\"a\" : [1, {\"b\": [true, null, \"x\"]}], \"c\": {}} ", "[[],[[]]]",
                             "\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\ud83d\\ude00\"",
                             "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""}) {
    EXPECT_TRUE(doc(s)) << s;
    // What nlohmann-json accepts is what we accept.
    EXPECT_FALSE(nlohmann::json::parse(s, nullptr, false).is_discarded()) << s;
  }
}

TEST(JsonScan, RejectsWhatRfc8259Rejects) {
  for (std::string_view s : {"",
                             " ",
                             "{",
                             "}",
                             "[1,]",
                             "{\"a\":1,}",
                             "{\"a\" 1}",
                             "{a:1}",
                             "01",
                             "1.",
                             ".5",
                             "+1",
                             "1e",
                             "-",
                             "tru",
                             "nul",
                             "\"abc",
                             "\"\\x\"",
                             "\"\\u12g4\"",
                             "\"a\nb\"",
                             "'a'",
                             "{} {}",
                             "[1 2]",
                             "\"\xff\"",
                             "\"\xc0\xaf\"",
                             "\"\xed\xa0\x80\"",
                             "\"\xf4\x90\x80\x80\"",
                             "\"\xe2\x82\"",
                             "NaN",
                             "Infinity"}) {
    EXPECT_FALSE(doc(s)) << s;
    EXPECT_TRUE(nlohmann::json::parse(s, nullptr, false).is_discarded()) << s;
  }
}

TEST(JsonScan, ReportsKindsAndRawText) {
  auto v = doc("  [1, 2]  ");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->kind, Kind::array);
  EXPECT_EQ(v->raw, "[1, 2]");
  EXPECT_EQ(doc("\"x\"")->kind, Kind::string);
  EXPECT_EQ(doc("-1")->kind, Kind::number);
  EXPECT_EQ(doc("false")->kind, Kind::boolean);
  EXPECT_EQ(doc("null")->kind, Kind::null);
}

TEST(JsonScan, DepthLimit) {
  EXPECT_TRUE(doc("[[[1]]]", 3));
  EXPECT_FALSE(doc("[[[[1]]]]", 3));
  EXPECT_FALSE(doc(std::string(100000, '['), 32));  // no recursion past the limit, so no stack overflow
}

TEST(JsonScan, ObjectMembersInOrderWithDecodedKeysAndRawValues) {
  std::vector<std::pair<std::string, std::string>> seen;
  Scanner s(R"( {"type" : "OFFER", "p\u0061yload": {"a": [1, "}"]}, "n": null } )", 8);
  ASSERT_TRUE(s.object([&](std::string_view k, const Value& v) {
    seen.emplace_back(std::string(k), std::string(v.raw));
    return true;
  }));
  const std::vector<std::pair<std::string, std::string>> want = {
      {"type", "\"OFFER\""}, {"payload", R"({"a": [1, "}"]})"}, {"n", "null"}};
  EXPECT_EQ(seen, want);
}

TEST(JsonScan, ObjectRejectsOtherDocumentsAndTrailingText) {
  const auto any = [](std::string_view, const Value&) { return true; };
  for (std::string_view s : {"[]", "null", "\"{}\"", "{} x", "{\"a\":}", "{\"a\":1", ""}) {
    EXPECT_FALSE(Scanner(s, 8).object(any)) << s;
  }
  EXPECT_TRUE(Scanner(" {} ", 8).object(any));
  EXPECT_FALSE(Scanner("{\"a\":1}", 8).object([](std::string_view, const Value&) { return false; }));
}

TEST(JsonScan, DecodeString) {
  EXPECT_EQ(decode_string(R"("a\"b\\c\/d\n\t")"), "a\"b\\c/d\n\t");
  EXPECT_EQ(decode_string(R"("\u00e9\u20ac\ud83d\ude00")"), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  EXPECT_EQ(decode_string(R"("")"), "");
  EXPECT_FALSE(decode_string(R"("\ud83d")"));        // lone high surrogate
  EXPECT_FALSE(decode_string(R"("\ude00")"));        // lone low surrogate
  EXPECT_FALSE(decode_string(R"("\ud83d\u0041")"));  // high surrogate with a non-surrogate
  EXPECT_FALSE(decode_string(R"("\")"));             // truncated escape
}

TEST(JsonScan, AppendStringRoundTrips) {
  const std::string text = "q\"b\\s\x01\x1f\n\r\t\b\f caf\xc3\xa9";
  std::string out;
  append_string(out, text);
  EXPECT_EQ(out, "\"q\\\"b\\\\s\\u0001\\u001f\\n\\r\\t\\b\\f caf\xc3\xa9\"");
  EXPECT_EQ(nlohmann::json::parse(out).get<std::string>(), text);
  EXPECT_EQ(decode_string(out), text);
}

}  // namespace
}  // namespace sb::signaling::json
