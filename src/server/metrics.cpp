#include "server/metrics.hpp"


namespace sb::server {

void PromWriter::header(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  for (char c : help) {  // HELP escapes backslash and newline only
    if (c == '\\') out_ += "\\\\";
    else if (c == '\n') out_ += "\\n";
    else out_.push_back(c);
  }
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void PromWriter::sample(std::string_view name, const Labels& labels, double value) {
  out_ += name;
  if (!labels.empty()) {
    out_ += '{';
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (i) out_ += ',';
      out_ += labels[i].first;
      out_ += "=\"";
      out_ += escape_label_value(labels[i].second);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  out_ += format_value(value);
  out_ += '\n';
}

void PromWriter::gauge(std::string_view name, std::string_view help, double value) {
  header(name, "gauge", help);
  sample(name, {}, value);
}

void PromWriter::counter(std::string_view name, std::string_view help, double value) {
  header(name, "counter", help);
  sample(name, {}, value);
}

void PromWriter::family(std::string_view name, std::string_view type, std::string_view help,
                        const std::vector<std::pair<Labels, double>>& samples) {
  header(name, type, help);
  for (const auto& [labels, value] : samples) sample(name, labels, value);
}

void MetricsRegistry::add(std::string section, Renderer renderer) {
  std::lock_guard lock(mu_);
  renderers_.emplace_back(std::move(section), std::move(renderer));
}

std::string MetricsRegistry::render() const {
  std::vector<Renderer> copy;
  {
    std::lock_guard lock(mu_);
    for (const auto& [section, r] : renderers_) copy.push_back(r);
  }
  PromWriter w;
  for (const auto& r : copy) r(w);
  return w.text() + registry_.render();
}

}  // namespace sb::server
