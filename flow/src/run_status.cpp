// Per-lineage status files (run_status.hpp).
#include "dns01/flow/run_status.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "dns01/acme/documents.hpp"
#include "dns01/flow/issue.hpp"
#include "dns01/log.hpp"

namespace dns01::flow {

namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;

namespace {

constexpr std::size_t kMaxStatusBytes = 64 * 1024;
// An error message is one line of context for a human; the file stays small whatever the cause.
constexpr std::size_t kMaxErrorChars = 2000;

fs::path status_dir(const CertStore& store) { return store.dir() / "status"; }

// RFC 3339 with milliseconds: attempts of one run are told apart from the previous run's.
std::string timestamp(Clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  std::string s = acme::format_rfc3339(t);  // "...:SSZ"
  s.insert(s.size() - 1, fmt::format(".{:03d}", ms < 0 ? ms + 1000 : ms));
  return s;
}

std::optional<Clock::time_point> time_of(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return std::nullopt;
  return acme::parse_rfc3339(j[key].get<std::string>());
}

nlohmann::json attempt_json(const LineageAttempt& a) {
  nlohmann::json phases = nlohmann::json::object();
  for (const auto& p : a.phases) phases[p.phase] = p.ms;
  std::string error = sanitize_text(Redactor::global().apply(a.error));
  if (error.size() > kMaxErrorChars) error.resize(kMaxErrorChars);
  return {{"started", timestamp(a.started)},
          {"finished", timestamp(a.finished)},
          {"ok", a.ok},
          {"error_category", a.ok ? "" : a.error_category},
          {"error", a.ok ? "" : error},
          {"phases_ms", phases},
          {"propagation_seconds", a.propagation_seconds},
          {"pid", static_cast<long>(::getpid())}};
}

std::optional<LineageStatus> parse_status(const std::string& name, const std::string& text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("last_attempt")) return std::nullopt;
  const auto& a = j["last_attempt"];
  const auto started = time_of(a, "started"), finished = time_of(a, "finished");
  if (!started || !finished || !a.contains("ok") || !a["ok"].is_boolean()) return std::nullopt;
  LineageStatus s;
  s.name = name;
  s.last_attempt.name = name;
  s.last_attempt.started = *started;
  s.last_attempt.finished = *finished;
  s.last_attempt.ok = a["ok"].get<bool>();
  s.last_attempt.error_category = a.value("error_category", "");
  s.last_attempt.error = a.value("error", "");
  if (a.contains("phases_ms") && a["phases_ms"].is_object())
    for (const auto& [phase, ms] : a["phases_ms"].items())
      if (ms.is_number()) s.last_attempt.phases.push_back({phase, ms.get<long long>()});
  if (a.contains("propagation_seconds") && a["propagation_seconds"].is_number())
    s.last_attempt.propagation_seconds = a["propagation_seconds"].get<double>();
  if (a.contains("pid") && a["pid"].is_number_integer()) s.pid = a["pid"].get<long>();
  s.last_success = time_of(j, "last_success");
  return s;
}

}  // namespace

std::vector<PhaseDuration> phase_durations(const PhaseTimings& t) {
  std::vector<PhaseDuration> out;
  for (const auto& [phase, ms] : {std::pair<const char*, long long>{"setup", t.setup},
                                  {"order", t.order},
                                  {"present", t.present},
                                  {"propagation", t.propagation},
                                  {"validation", t.validation},
                                  {"cleanup", t.cleanup},
                                  {"finalize", t.finalize},
                                  {"store", t.store},
                                  {"hooks", t.hooks}})
    if (ms > 0) out.push_back({phase, ms});
  return out;
}

fs::path status_file(const CertStore& store, const std::string& name) {
  CertStore::check_name(name);
  return status_dir(store) / (name + ".json");
}

void record_attempt(const CertStore& store, const LineageAttempt& attempt) {
  const fs::path file = status_file(store, attempt.name);
  ensure_private_dir(status_dir(store));
  std::optional<Clock::time_point> last_success;
  if (attempt.ok)
    last_success = attempt.finished;
  else if (auto previous = read_status(store, attempt.name))
    last_success = previous->last_success;
  const nlohmann::json j = {
      {"cert_name", attempt.name},
      {"last_attempt", attempt_json(attempt)},
      {"last_success", last_success ? nlohmann::json(timestamp(*last_success)) : nlohmann::json()}};
  // No directory fsync: losing the newest status in a power cut costs one stale metric, and a
  // hundred lineages per run should not cost a hundred fsyncs of the directory.
  write_file_atomic(file, j.dump(2) + "\n", 0600, /*sync_dir=*/false);
}

std::optional<LineageStatus> read_status(const CertStore& store, const std::string& name) {
  fs::path file;
  try {
    file = status_file(store, name);
  } catch (const Error&) {
    return std::nullopt;
  }
  FileRead read = read_regular_file(file, kMaxStatusBytes, /*follow_links=*/false);
  if (read.problem != FileRead::none) return std::nullopt;
  return parse_status(name, read.data);
}

std::vector<LineageStatus> read_all_status(const CertStore& store) {
  std::vector<LineageStatus> out;
  std::error_code ec;
  for (fs::directory_iterator it(status_dir(store), ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.extension() != ".json") continue;
    if (auto s = read_status(store, p.stem().string())) out.push_back(std::move(*s));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

}  // namespace dns01::flow
