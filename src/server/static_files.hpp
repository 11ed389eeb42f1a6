// The web client's files: embedded in the binary at build time (embed_web.cmake generates the table), or
// read from a directory (`--web-root`, for development). Request targets are mapped to safe paths first.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sb::server {

struct EmbeddedFile {
  std::string_view path;  // "/index.html"
  std::string_view content;
};
// The generated table (web_assets.cpp).
std::span<const EmbeddedFile> embedded_web_files();

// Maps a request target to a file path: drops the query, percent-decodes, "/" and ".../" get
// "index.html". Returns nullopt for anything that could leave the root: "..", ".", empty segments after
// decoding, backslashes, NUL, a target not starting with "/".
std::optional<std::string> static_path(std::string_view target);

// Content-Type for a path, by extension; application/octet-stream when unknown.
std::string_view mime_type(std::string_view path);

class StaticFiles {
 public:
  virtual ~StaticFiles() = default;
  // `path` as returned by static_path(). Thread-safe.
  virtual std::optional<std::string> read(const std::string& path) const = 0;
};

class EmbeddedStaticFiles final : public StaticFiles {
 public:
  explicit EmbeddedStaticFiles(std::span<const EmbeddedFile> files);
  std::optional<std::string> read(const std::string& path) const override;
  std::size_t size() const { return files_.size(); }

 private:
  std::map<std::string, std::string_view, std::less<>> files_;
};

class DiskStaticFiles final : public StaticFiles {
 public:
  // Throws std::runtime_error when `root` is not a directory.
  explicit DiskStaticFiles(const std::filesystem::path& root, std::size_t max_file_bytes = 16 * 1024 * 1024);
  std::optional<std::string> read(const std::string& path) const override;

 private:
  std::filesystem::path root_;  // canonical
  std::size_t max_file_bytes_;
};

}  // namespace sb::server
