// Prometheus textfile-collector file (metrics.hpp).
#include "dns01/flow/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "dns01/error.hpp"
#include "dns01/flow/certinfo.hpp"
#include "dns01/flow/run_status.hpp"

namespace dns01::flow {

namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;

namespace {

double unix_seconds(Clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// One metric family: its samples ("{labels} value") under one HELP and TYPE line.
struct Family {
  const char* name;
  const char* help;
  std::vector<std::string> samples;
};

std::string labels(std::initializer_list<std::pair<const char*, std::string_view>> pairs) {
  std::string out = "{";
  for (const auto& [key, value] : pairs) {
    if (out.size() > 1) out += ',';
    out += fmt::format("{}=\"{}\"", key, escape_label_value(value));
  }
  return out + "}";
}

// Values as Prometheus parses them: shortest exact form ("1767225600", "2.125").
std::string value(double v) { return fmt::format("{}", v); }

}  // namespace

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string render_metrics(const CertStore& store, Clock::time_point now) {
  Family readable{"dns01_certificate_readable",
                  "1 when the lineage's current certificate can be read, 0 when it cannot.", {}};
  Family not_after{"dns01_certificate_not_after_timestamp_seconds",
                   "Expiry (notAfter) of the lineage's current certificate, in Unix time.", {}};
  Family not_before{"dns01_certificate_not_before_timestamp_seconds",
                    "Start of validity (notBefore) of the lineage's current certificate, in Unix time.", {}};
  Family attempt{"dns01_last_attempt_timestamp_seconds",
                 "End of the last issuance or renewal attempt of the lineage, in Unix time.", {}};
  Family success{"dns01_last_success_timestamp_seconds",
                 "End of the last successful issuance or renewal of the lineage, in Unix time.", {}};
  Family result{"dns01_last_result", "Result of the last attempt: 1 succeeded, 0 failed.", {}};
  Family phase{"dns01_last_phase_duration_seconds",
               "Duration of each phase of the last attempt (order, present, propagation, ...).", {}};
  Family propagation{"dns01_last_propagation_seconds",
                     "Time the last attempt waited for every authoritative nameserver to serve its records.", {}};
  Family generated{"dns01_metrics_generated_timestamp_seconds",
                   "When dns01 wrote this file, in Unix time.", {}};

  const std::vector<std::string> names = store.lineages();
  for (const auto& name : names) {
    const std::string l = labels({{"cert_name", name}});
    try {
      auto paths = store.current(name);
      if (!paths) throw StorageError("read certificate", "no live certificate");
      const CertInfo info = inspect_certificate(read_file(paths->cert), paths->cert.string());
      readable.samples.push_back(l + " 1");
      not_after.samples.push_back(l + " " + value(std::chrono::floor<std::chrono::seconds>(info.not_after)
                                                      .time_since_epoch().count()));
      not_before.samples.push_back(l + " " + value(std::chrono::floor<std::chrono::seconds>(info.not_before)
                                                       .time_since_epoch().count()));
    } catch (const Error&) {
      readable.samples.push_back(l + " 0");
    }
  }

  const std::set<std::string> live(names.begin(), names.end());
  for (const auto& s : read_all_status(store)) {
    if (!live.contains(s.name) && s.last_success) continue;  // a deleted lineage's leftover
    const std::string l = labels({{"cert_name", s.name}});
    const LineageAttempt& a = s.last_attempt;
    attempt.samples.push_back(l + " " + value(unix_seconds(a.finished)));
    if (s.last_success) success.samples.push_back(l + " " + value(unix_seconds(*s.last_success)));
    result.samples.push_back(l + (a.ok ? " 1" : " 0"));
    for (const auto& p : a.phases)
      phase.samples.push_back(labels({{"cert_name", s.name}, {"phase", p.phase}}) + " " +
                              value(static_cast<double>(p.ms) / 1000.0));
    propagation.samples.push_back(l + " " + value(a.propagation_seconds));
  }
  generated.samples.push_back(" " + value(unix_seconds(now)));

  std::string out;
  for (const Family* f : {&readable, &not_after, &not_before, &attempt, &success, &result, &phase,
                          &propagation, &generated}) {
    out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", f->name, f->help, f->name);
    for (const auto& sample : f->samples) out += fmt::format("{}{}\n", f->name, sample);
  }
  return out;
}

void write_metrics_file(const CertStore& store, const fs::path& path) {
  const std::string text = render_metrics(store, Clock::now());
  try {
    write_file_atomic(path, text, 0644);
  } catch (const StorageError& e) {
    throw StorageError("write the metrics file", e.cause(),
                       "give --metrics-file (or DNS01_METRICS_FILE) a path in an existing "
                       "directory dns01 may write, e.g. node_exporter's textfile directory");
  }
}

}  // namespace dns01::flow
