// One table of options, three sources, one name each.
//
// Every option is declared once with a kebab-case name. That name is the CLI flag (`--max-rooms`), the
// TOML key in the file given by `--config` (`max-rooms = 10`), and, upper-cased with '-' → '_' and a
// SIGNALBOX_ prefix, the environment variable (`SIGNALBOX_MAX_ROOMS`). Precedence: CLI > environment >
// file > built-in default. The table also renders `--help` and docs/configuration.md.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sb::server {

class OptionTable {
 public:
  using Target = std::variant<std::string*, bool*, std::int64_t*, std::uint32_t*, std::uint16_t*, double*,
                              std::vector<std::string>*>;

  struct Option {
    std::string name;     // kebab-case
    std::string section;  // heading in --help and the docs
    std::string help;
    Target target;
    std::string default_text;  // rendered from the target at registration time
  };

  // Options registered after this call are listed under `section`.
  void section(std::string name) { section_ = std::move(name); }
  template <class T>
  void add(std::string name, T* target, std::string help) {
    add_target(std::move(name), Target{target}, std::move(help));
  }

  const std::vector<Option>& options() const { return options_; }
  static std::string env_name(std::string_view option_name);

  // Parses argv, the environment (`environ`-style lookup function) and the TOML file named by --config /
  // SIGNALBOX_CONFIG. Returns an empty string on success, a readable error otherwise. Sets `exit_now`
  // when --help, --version or --print-config-doc was handled (the text is in `output`).
  struct Result {
    std::string error;
    bool exit_now = false;
    std::string output;
  };
  Result parse(int argc, const char* const* argv,
               const std::function<const char*(const char*)>& getenv_fn) const;

  // Markdown reference (docs/configuration.md is this output, checked by a unit test).
  std::string markdown() const;

 private:
  void add_target(std::string name, Target target, std::string help);
  std::string apply_toml_file(const std::string& path) const;
  std::string section_ = "General";
  std::vector<Option> options_;
};

}  // namespace sb::server
