#pragma once
// The Prometheus textfile-collector file (node_exporter --collector.textfile.directory): what a
// monitoring system needs to alert on certificates, rendered from the storage alone (the live
// certificates and the status files of run_status.hpp), so any command can write it.
//
// Metric families (all gauges; label cert_name = the lineage; docs/monitoring.md lists them):
//   dns01_certificate_readable{cert_name}                    1, or 0 when the lineage's
//                                                            certificate cannot be read
//   dns01_certificate_not_after_timestamp_seconds{cert_name}   expiry, Unix time
//   dns01_certificate_not_before_timestamp_seconds{cert_name}
//   dns01_last_attempt_timestamp_seconds{cert_name}          end of the last issue/renew attempt
//   dns01_last_success_timestamp_seconds{cert_name}          end of the last successful one
//   dns01_last_result{cert_name}                             1 ok, 0 failed
//   dns01_last_phase_duration_seconds{cert_name,phase}       phases of the last attempt
//   dns01_last_propagation_seconds{cert_name}                its propagation wait
//   dns01_metrics_generated_timestamp_seconds                when the file was written
// Attempt metrics exist only for lineages with a status file. A status file whose lineage has
// no certificate is shown only while it never succeeded (a first issuance that keeps failing);
// one left by a deleted lineage is not.
//
// Errors: write_metrics_file throws StorageError naming the file when it cannot be written.
// Unreadable lineages are data (readable 0), never errors. Thread-safe (reads files only).
#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "dns01/storage.hpp"

namespace dns01::flow {

// A label value in the exposition format: backslash, double quote and newline escaped.
std::string escape_label_value(std::string_view value);

// The whole file's text (exposition format 0.0.4: HELP and TYPE per family, samples grouped).
std::string render_metrics(const CertStore& store, std::chrono::system_clock::time_point now);

// Writes render_metrics(store, now) to `path` atomically: a temporary file in the same directory
// (a hidden ".<name>.*.tmp", which the textfile collector ignores), mode 0644, renamed over
// `path`, so the collector never reads half a file.
void write_metrics_file(const CertStore& store, const std::filesystem::path& path);

}  // namespace dns01::flow
