#pragma once
// The error hierarchy of dns01. Every failure that reaches the user is one of these.
//
// Messages read `<component>: <step>: <cause>` (for example
// `acme: finalize order: the CA answered 403 unauthorized: ...`) and may carry a hint that says
// what to do. They never carry a secret: code that builds an Error from data that might hold one
// (URLs, headers, server replies) must pass it through Redactor first (log.hpp does this for
// everything it prints as a second line of defence).
//
// Each category maps to one documented process exit code (docs/cli.md); `main` has the only
// try/catch that does this mapping.
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dns01 {

enum class ErrorCategory {
  internal,     // a bug or an unexpected state: exit 1
  usage,        // wrong command-line use: exit 2
  config,       // invalid or unreadable configuration / secret files: exit 3
  network,      // could not reach a server (connect, TLS, timeout, retries exhausted): exit 4
  acme,         // the CA refused or failed (problem documents): exit 5
  provider,     // a DNS provider failed to add or remove a record: exit 6
  propagation,  // the records were not served by every authoritative server in time: exit 7
  storage,      // certificate/key/journal storage failed (permissions, disk, lock): exit 8
  interrupted,  // SIGINT / SIGTERM; cleanup ran: exit 130
};

// Process exit code for a category (stable, documented in docs/cli.md).
int exit_code(ErrorCategory category) noexcept;
// Lower-case name used in JSON output and logs ("config", "acme", ...).
const char* category_name(ErrorCategory category) noexcept;

class Error : public std::runtime_error {
 public:
  // component: "http", "config", "acme", "rfc2136", ...; step: what was being done;
  // cause: what went wrong; hint: what the user can do (optional, may be empty).
  Error(ErrorCategory category, std::string component, std::string step, std::string cause,
        std::string hint = {});

  ErrorCategory category() const noexcept { return category_; }
  const std::string& component() const noexcept { return component_; }
  const std::string& step() const noexcept { return step_; }
  const std::string& cause() const noexcept { return cause_; }
  const std::string& hint() const noexcept { return hint_; }

 private:
  ErrorCategory category_;
  std::string component_, step_, cause_, hint_;
};

struct UsageError : Error {
  UsageError(std::string component, std::string step, std::string cause, std::string hint = {})
      : Error(ErrorCategory::usage, std::move(component), std::move(step), std::move(cause),
              std::move(hint)) {}
};

// One configuration problem, located in a file. ConfigError carries all problems found in one go.
struct ConfigIssue {
  std::string file;     // path of the file (or "environment" for DNS01_* variables)
  int line = 0;         // 1-based, 0 when unknown
  int column = 0;       // 1-based, 0 when unknown
  std::string message;  // e.g. "unknown key 'sever' in [acme] (did you mean 'server'?)"
  std::string str() const;  // "file:line:column: message"
};

struct ConfigError : Error {
  explicit ConfigError(std::vector<ConfigIssue> issues, std::string hint = {});
  ConfigError(std::string step, std::string cause, std::string hint = {});
  const std::vector<ConfigIssue>& issues() const noexcept { return issues_; }

 private:
  std::vector<ConfigIssue> issues_;
};

struct NetworkError : Error {
  NetworkError(std::string component, std::string step, std::string cause, std::string hint = {})
      : Error(ErrorCategory::network, std::move(component), std::move(step), std::move(cause),
              std::move(hint)) {}
};

// An RFC 8555 / RFC 7807 problem document, or a failure to make sense of the CA's reply.
struct AcmeProblem {
  std::string type;        // full URN, e.g. "urn:ietf:params:acme:error:rateLimited" (may be empty)
  std::string detail;      // the CA's human-readable text
  int status = 0;          // HTTP status
  std::string identifier;  // the identifier concerned ("*.example.com"), when the CA said which
  std::vector<AcmeProblem> subproblems;
  // short type without the "urn:ietf:params:acme:error:" prefix ("rateLimited"), or the full type.
  std::string short_type() const;
};

struct AcmeError : Error {
  AcmeError(std::string step, AcmeProblem problem,
            std::optional<std::chrono::seconds> retry_after = std::nullopt, std::string hint = {});
  // For replies that are not problem documents (malformed JSON, missing fields, ...).
  AcmeError(std::string step, std::string cause, std::string hint = {});
  const AcmeProblem& problem() const noexcept { return problem_; }
  const std::optional<std::chrono::seconds>& retry_after() const noexcept { return retry_after_; }

 private:
  AcmeProblem problem_;
  std::optional<std::chrono::seconds> retry_after_;
};

struct ProviderError : Error {
  ProviderError(std::string component, std::string step, std::string cause, std::string hint = {})
      : Error(ErrorCategory::provider, std::move(component), std::move(step), std::move(cause),
              std::move(hint)) {}
};

struct PropagationError : Error {
  PropagationError(std::string step, std::string cause, std::string hint = {})
      : Error(ErrorCategory::propagation, "propagation", std::move(step), std::move(cause),
              std::move(hint)) {}
};

struct StorageError : Error {
  StorageError(std::string step, std::string cause, std::string hint = {})
      : Error(ErrorCategory::storage, "storage", std::move(step), std::move(cause),
              std::move(hint)) {}
};

struct InterruptedError : Error {
  explicit InterruptedError(std::string step)
      : Error(ErrorCategory::interrupted, "dns01", std::move(step), "interrupted by a signal") {}
};

}  // namespace dns01
