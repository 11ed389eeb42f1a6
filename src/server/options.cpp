#include "server/options.hpp"

#include <CLI/CLI.hpp>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <sstream>

#ifndef SIGNALBOX_VERSION
#define SIGNALBOX_VERSION "0.0.0"
#endif

namespace sb::server {

namespace {

std::string render_default(const OptionTable::Target& t) {
  return std::visit(
      [](auto* p) -> std::string {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return *p;
        } else if constexpr (std::is_same_v<T, bool>) {
          return *p ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          std::string s;
          for (const auto& v : *p) s += (s.empty() ? "" : ",") + v;
          return s;
        } else if constexpr (std::is_same_v<T, double>) {
          std::ostringstream os;
          os << *p;
          return os.str();
        } else {
          return std::to_string(*p);
        }
      },
      t);
}

template <class Int>
std::string assign_int(const toml::node& n, Int* p, const std::string& key) {
  auto v = n.value<std::int64_t>();
  if (!v) return "config key '" + key + "' must be an integer";
  if (*v < static_cast<std::int64_t>(std::numeric_limits<Int>::min()) ||
      static_cast<std::uint64_t>(*v) > static_cast<std::uint64_t>(std::numeric_limits<Int>::max())) {
    return "config key '" + key + "' is out of range";
  }
  *p = static_cast<Int>(*v);
  return {};
}

// Assigns one TOML value to its option's target; returns an error text or "".
std::string assign_toml(const toml::node& n, const OptionTable::Target& target, const std::string& key) {
  return std::visit(
      [&](auto* p) -> std::string {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, std::string>) {
          auto v = n.value<std::string>();
          if (!v) return "config key '" + key + "' must be a string";
          *p = *v;
        } else if constexpr (std::is_same_v<T, bool>) {
          auto v = n.value<bool>();
          if (!v) return "config key '" + key + "' must be true or false";
          *p = *v;
        } else if constexpr (std::is_same_v<T, double>) {
          auto v = n.value<double>();
          if (!v) return "config key '" + key + "' must be a number";
          *p = *v;
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          p->clear();
          if (auto s = n.value<std::string>()) {
            p->push_back(*s);
            return {};
          }
          const auto* arr = n.as_array();
          if (!arr) return "config key '" + key + "' must be a string or an array of strings";
          for (const auto& e : *arr) {
            auto s = e.value<std::string>();
            if (!s) return "config key '" + key + "' must contain only strings";
            p->push_back(*s);
          }
        } else {
          return assign_int(n, p, key);
        }
        return {};
      },
      target);
}

// Parses an environment variable's text into an option's target; returns an error text or "".
std::string assign_text(const std::string& text, const OptionTable::Target& target, const std::string& var) {
  const std::string bad = var + "='" + text + "' is not a valid ";
  return std::visit(
      [&](auto* p) -> std::string {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, std::string>) {
          *p = text;
        } else if constexpr (std::is_same_v<T, bool>) {
          if (text == "1" || text == "true" || text == "yes" || text == "on") *p = true;
          else if (text == "0" || text == "false" || text == "no" || text == "off") *p = false;
          else return bad + "boolean";
        } else if constexpr (std::is_same_v<T, double>) {
          char* end = nullptr;
          double v = std::strtod(text.c_str(), &end);
          if (text.empty() || *end != '\0') return bad + "number";
          *p = v;
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          p->clear();
          std::string_view rest = text;
          while (!rest.empty()) {
            auto comma = rest.find(',');
            if (auto item = rest.substr(0, comma); !item.empty()) p->emplace_back(item);
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
          }
        } else {
          T v{};
          auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
          if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return bad + "integer";
          *p = v;
        }
        return {};
      },
      target);
}

// The config file path: --config FILE / --config=FILE on the command line, else SIGNALBOX_CONFIG.
std::string find_config_path(int argc, const char* const* argv,
                             const std::function<const char*(const char*)>& getenv_fn) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--config" && i + 1 < argc) return argv[i + 1];
    if (a.starts_with("--config=")) return std::string(a.substr(9));
  }
  const char* env = getenv_fn("SIGNALBOX_CONFIG");
  return env ? env : "";
}

void bind_cli(CLI::App& app, const OptionTable::Option& o, const std::string& env) {
  const std::string flag = "--" + o.name;
  CLI::Option* opt = std::visit(
      [&](auto* p) -> CLI::Option* {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, bool>) {
          return app.add_flag(flag, *p, o.help);
        } else {
          return app.add_option(flag, *p, o.help);
        }
      },
      o.target);
  opt->envname(env)->group(o.section);
  if (!o.default_text.empty()) opt->default_str(o.default_text);
  if (std::holds_alternative<std::vector<std::string>*>(o.target)) opt->delimiter(',');
}

}  // namespace

void OptionTable::add_target(std::string name, Target target, std::string help) {
  options_.push_back(Option{std::move(name), section_, std::move(help), target, render_default(target)});
}

std::string OptionTable::env_name(std::string_view option_name) {
  std::string env = "SIGNALBOX_";
  for (char c : option_name) env.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return env;
}

std::string OptionTable::apply_toml_file(const std::string& path) const {
  toml::table tbl;
  try {
    tbl = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << "config file " << path << ": " << e.description() << " (line " << e.source().begin.line << ")";
    return os.str();
  }
  for (const auto& [k, node] : tbl) {
    const std::string key(k.str());
    auto it = std::find_if(options_.begin(), options_.end(), [&](const Option& o) { return o.name == key; });
    if (it == options_.end()) return "config file " + path + ": unknown key '" + key + "'";
    if (auto err = assign_toml(node, it->target, key); !err.empty()) return "config file " + path + ": " + err;
  }
  return {};
}

OptionTable::Result OptionTable::parse(int argc, const char* const* argv,
                                       const std::function<const char*(const char*)>& getenv_fn) const {
  Result r;
  CLI::App app{"signalbox: WebRTC signaling, STUN and TURN in one server", "signalbox"};
  app.set_version_flag("--version", SIGNALBOX_VERSION);
  std::string config_path;
  app.add_option("--config", config_path, "TOML configuration file (keys are the option names)")
      ->envname("SIGNALBOX_CONFIG");
  bool print_doc = false;
  app.add_flag("--print-config-doc", print_doc, "Print the configuration reference (Markdown) and exit");
  for (const auto& o : options_) bind_cli(app, o, env_name(o.name));

  // The file is applied first, then the environment; CLI11 then overwrites only what the command line sets.
  if (auto path = find_config_path(argc, argv, getenv_fn); !path.empty()) {
    if (r.error = apply_toml_file(path); !r.error.empty()) return r;
  }
  for (const auto& o : options_) {
    const std::string var = env_name(o.name);
    if (const char* v = getenv_fn(var.c_str())) {
      if (r.error = assign_text(v, o.target, var); !r.error.empty()) return r;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    r.exit_now = true;
    r.output = app.help();
    return r;
  } catch (const CLI::CallForVersion& e) {
    r.exit_now = true;
    r.output = std::string("signalbox ") + e.what() + "\n";
    return r;
  } catch (const CLI::ParseError& e) {
    r.error = e.what();
    return r;
  }
  if (print_doc) {
    r.exit_now = true;
    r.output = markdown();
  }
  return r;
}

std::string OptionTable::markdown() const {
  std::ostringstream os;
  os << "# signalbox configuration reference\n\n"
        "Every option has one name. It is the command-line flag (`--NAME`), the key in the TOML file given by\n"
        "`--config FILE` (`NAME = value`, flat, no tables), and, upper-cased with `-` turned into `_` and a\n"
        "`SIGNALBOX_` prefix, the environment variable. Precedence: command line, then environment, then file,\n"
        "then the built-in default shown here. List options take several values: repeat the flag, use a TOML\n"
        "array, or separate values with commas in the environment variable.\n\n"
        "This file is generated by `signalbox --print-config-doc`; a unit test keeps it in sync.\n";
  std::string current;
  for (const auto& o : options_) {
    if (o.section != current) {
      current = o.section;
      os << "\n## " << current << "\n\n| option | environment | default | meaning |\n|---|---|---|---|\n";
    }
    os << "| `--" << o.name << "` | `" << env_name(o.name) << "` | "
       << (o.default_text.empty() ? "" : "`" + o.default_text + "`") << " | " << o.help << " |\n";
  }
  return os.str();
}

}  // namespace sb::server
