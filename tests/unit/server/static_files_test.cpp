#include "server/static_files.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "util/random.hpp"

namespace sb::server {
namespace {

TEST(StaticPath, MapsTargets) {
  EXPECT_EQ(static_path("/"), "/index.html");
  EXPECT_EQ(static_path("/?room=demo"), "/index.html");
  EXPECT_EQ(static_path("/app.js"), "/app.js");
  EXPECT_EQ(static_path("/a/b.css#x"), "/a/b.css");
  EXPECT_EQ(static_path("/sub/"), "/sub/index.html");
  EXPECT_EQ(static_path("/with%20space.txt"), "/with space.txt");
}

TEST(StaticPath, RefusesTraversalAndOddities) {
  for (const char* t : {"", "app.js", "/..", "/../etc/passwd", "/a/../../b", "/%2e%2e/x", "/%2E%2E/x", "/./a",
                        "/a//b", "/a\\..\\b", "/a%5c..%5cb", "/a%00b", "/%", "/%zz", "/%4", "/.env", "/.git/config",
                        "http://example.com/"}) {
    EXPECT_FALSE(static_path(t).has_value()) << t;
  }
}

TEST(MimeType, ByExtension) {
  EXPECT_EQ(mime_type("/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(mime_type("/app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(mime_type("/style.css"), "text/css; charset=utf-8");
  EXPECT_EQ(mime_type("/x.JSON"), "application/json");
  EXPECT_EQ(mime_type("/logo.svg"), "image/svg+xml");
  EXPECT_EQ(mime_type("/icon.png"), "image/png");
  EXPECT_EQ(mime_type("/noext"), "application/octet-stream");
  EXPECT_EQ(mime_type("/dir.d/noext"), "application/octet-stream");
  EXPECT_EQ(mime_type("/x.exe"), "application/octet-stream");
}

TEST(EmbeddedStaticFiles, LooksUpByPath) {
  const EmbeddedFile files[] = {{"/index.html", "<html>"}, {"/app.js", "x"}};
  EmbeddedStaticFiles s(files);
  EXPECT_EQ(s.read("/index.html"), "<html>");
  EXPECT_EQ(s.read("/app.js"), "x");
  EXPECT_FALSE(s.read("/missing.js").has_value());
}

TEST(EmbeddedStaticFiles, TheBuildEmbedsTheWebClient) {
  EmbeddedStaticFiles s(embedded_web_files());
  // web/ is the browser client; when it exists its index.html must be in the binary.
  if (std::filesystem::exists(std::filesystem::path(SB_SOURCE_DIR) / "web" / "index.html")) {
    auto index = s.read("/index.html");
    ASSERT_TRUE(index.has_value());
    std::ifstream in(std::filesystem::path(SB_SOURCE_DIR) / "web" / "index.html", std::ios::binary);
    std::string disk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(*index, disk);
  }
}

class DiskStaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = std::filesystem::temp_directory_path() / ("sb-static-" + util::random_hex(8));
    root_ = base_ / "root";
    std::filesystem::create_directories(root_ / "sub");
    write(root_ / "index.html", "<h1>hi</h1>");
    write(root_ / "sub" / "a.js", "js");
    write(base_ / "secret.txt", "secret");
    std::filesystem::create_symlink(base_ / "secret.txt", root_ / "link.txt");
  }
  void TearDown() override { std::filesystem::remove_all(base_); }
  static void write(const std::filesystem::path& p, const std::string& s) { std::ofstream(p) << s; }

  std::filesystem::path base_;
  std::filesystem::path root_;
};

TEST_F(DiskStaticFilesTest, ServesFilesUnderTheRootOnly) {
  DiskStaticFiles files(root_);
  EXPECT_EQ(files.read("/index.html"), "<h1>hi</h1>");
  EXPECT_EQ(files.read("/sub/a.js"), "js");
  EXPECT_FALSE(files.read("/sub").has_value()) << "directories are not files";
  EXPECT_FALSE(files.read("/missing").has_value());
  EXPECT_FALSE(files.read("/link.txt").has_value()) << "a symlink out of the root";
  EXPECT_FALSE(files.read("/../secret.txt").has_value());
}

TEST_F(DiskStaticFilesTest, RejectsAMissingRoot) {
  EXPECT_THROW(DiskStaticFiles(base_ / "nope"), std::runtime_error);
}

}  // namespace
}  // namespace sb::server
