#include "dns01/error.hpp"

#include <fmt/format.h>

namespace dns01 {

namespace {
constexpr std::string_view kAcmeErrorPrefix = "urn:ietf:params:acme:error:";

std::string compose(const std::string& component, const std::string& step,
                    const std::string& cause) {
  if (step.empty()) return fmt::format("{}: {}", component, cause);
  return fmt::format("{}: {}: {}", component, step, cause);
}

std::string join_issues(const std::vector<ConfigIssue>& issues) {
  if (issues.size() == 1) return issues.front().str();
  std::string out = fmt::format("{} problems", issues.size());
  for (const auto& issue : issues) out += "\n  " + issue.str();
  return out;
}

std::string describe(const AcmeProblem& p) {
  std::string out;
  if (p.status) out += fmt::format("HTTP {} ", p.status);
  out += p.short_type().empty() ? "error" : p.short_type();
  if (!p.identifier.empty()) out += fmt::format(" for {}", p.identifier);
  if (!p.detail.empty()) out += fmt::format(": {}", p.detail);
  for (const auto& sub : p.subproblems) out += fmt::format("; {}", describe(sub));
  return out;
}
}  // namespace

int exit_code(ErrorCategory category) noexcept {
  switch (category) {
    case ErrorCategory::internal: return 1;
    case ErrorCategory::usage: return 2;
    case ErrorCategory::config: return 3;
    case ErrorCategory::network: return 4;
    case ErrorCategory::acme: return 5;
    case ErrorCategory::provider: return 6;
    case ErrorCategory::propagation: return 7;
    case ErrorCategory::storage: return 8;
    case ErrorCategory::interrupted: return 130;
  }
  return 1;
}

const char* category_name(ErrorCategory category) noexcept {
  switch (category) {
    case ErrorCategory::internal: return "internal";
    case ErrorCategory::usage: return "usage";
    case ErrorCategory::config: return "config";
    case ErrorCategory::network: return "network";
    case ErrorCategory::acme: return "acme";
    case ErrorCategory::provider: return "provider";
    case ErrorCategory::propagation: return "propagation";
    case ErrorCategory::storage: return "storage";
    case ErrorCategory::interrupted: return "interrupted";
  }
  return "internal";
}

Error::Error(ErrorCategory category, std::string component, std::string step, std::string cause,
             std::string hint)
    : std::runtime_error(compose(component, step, cause)),
      category_(category),
      component_(std::move(component)),
      step_(std::move(step)),
      cause_(std::move(cause)),
      hint_(std::move(hint)) {}

std::string ConfigIssue::str() const {
  if (line > 0 && column > 0) return fmt::format("{}:{}:{}: {}", file, line, column, message);
  if (line > 0) return fmt::format("{}:{}: {}", file, line, message);
  return fmt::format("{}: {}", file, message);
}

ConfigError::ConfigError(std::vector<ConfigIssue> issues, std::string hint)
    : Error(ErrorCategory::config, "config", "validate", join_issues(issues), std::move(hint)),
      issues_(std::move(issues)) {}

ConfigError::ConfigError(std::string step, std::string cause, std::string hint)
    : Error(ErrorCategory::config, "config", std::move(step), std::move(cause), std::move(hint)) {}

std::string AcmeProblem::short_type() const {
  if (type.starts_with(kAcmeErrorPrefix)) return type.substr(kAcmeErrorPrefix.size());
  return type;
}

AcmeError::AcmeError(std::string step, AcmeProblem problem,
                     std::optional<std::chrono::seconds> retry_after, std::string hint)
    : Error(ErrorCategory::acme, "acme", std::move(step), describe(problem), std::move(hint)),
      problem_(std::move(problem)),
      retry_after_(retry_after) {}

AcmeError::AcmeError(std::string step, std::string cause, std::string hint)
    : Error(ErrorCategory::acme, "acme", std::move(step), std::move(cause), std::move(hint)) {}

}  // namespace dns01
