#include "server/static_files.hpp"

#include <array>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace sb::server {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;  // "%" needs two hex digits
    const int hi = hex_value(s[i + 1]);
    const int lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

bool safe_segments(std::string_view path) {
  // path starts with '/'; check every segment between slashes.
  std::size_t pos = 1;
  while (pos <= path.size()) {
    const std::size_t next = std::min(path.find('/', pos), path.size());
    const std::string_view seg = path.substr(pos, next - pos);
    if (seg == "." || seg == "..") return false;
    if (seg.empty() && next != path.size()) return false;  // "//"
    if (!seg.empty() && seg.front() == '.') return false;  // hidden files are never served
    pos = next + 1;
  }
  return true;
}

}  // namespace

std::optional<std::string> static_path(std::string_view target) {
  target = target.substr(0, target.find_first_of("?#"));
  if (target.empty() || target.front() != '/') return std::nullopt;
  auto decoded = percent_decode(target);
  if (!decoded) return std::nullopt;
  std::string& p = *decoded;
  if (p.find('\0') != std::string::npos || p.find('\\') != std::string::npos) return std::nullopt;
  if (!safe_segments(p)) return std::nullopt;
  if (p.back() == '/') p += "index.html";
  return p;
}

std::string_view mime_type(std::string_view path) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 17> kTypes = {{
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".ico", "image/x-icon"},
      {".webp", "image/webp"},
      {".wasm", "application/wasm"},
      {".txt", "text/plain; charset=utf-8"},
  }};
  const auto slash = path.rfind('/');
  const auto dot = path.rfind('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return "application/octet-stream";
  }
  const auto ext = path.substr(dot);
  for (const auto& [e, type] : kTypes) {
    if (ext.size() == e.size() && std::equal(ext.begin(), ext.end(), e.begin(), [](char a, char b) {
          return (a >= 'A' && a <= 'Z' ? a - 'A' + 'a' : a) == b;
        })) {
      return type;
    }
  }
  return "application/octet-stream";
}

EmbeddedStaticFiles::EmbeddedStaticFiles(std::span<const EmbeddedFile> files) {
  for (const auto& f : files) files_.emplace(std::string(f.path), f.content);
}

std::optional<std::string> EmbeddedStaticFiles::read(const std::string& path) const {
  auto it = files_.find(path);
  if (it == files_.end()) return std::nullopt;
  return std::string(it->second);
}

DiskStaticFiles::DiskStaticFiles(const std::filesystem::path& root, std::size_t max_file_bytes)
    : max_file_bytes_(max_file_bytes) {
  std::error_code ec;
  root_ = std::filesystem::canonical(root, ec);
  if (ec || !std::filesystem::is_directory(root_)) {
    throw std::runtime_error("--web-root " + root.string() + " is not a directory");
  }
}

std::optional<std::string> DiskStaticFiles::read(const std::string& path) const {
  std::error_code ec;
  // static_path() already refused "..", but a symlink inside the root could still point out of it.
  const auto full = std::filesystem::weakly_canonical(root_ / std::filesystem::path(path).relative_path(), ec);
  if (ec) return std::nullopt;
  const auto rel = full.lexically_relative(root_);
  if (rel.empty() || rel.native().starts_with("..")) return std::nullopt;
  if (!std::filesystem::is_regular_file(full, ec)) return std::nullopt;
  const auto size = std::filesystem::file_size(full, ec);
  if (ec || size > max_file_bytes_) return std::nullopt;
  std::ifstream in(full, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace sb::server
