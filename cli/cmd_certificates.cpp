// `dns01 certificates`: the lineages under [storage] dir, like `certbot certificates`. Reads
// files only; a lineage that cannot be read is reported after the others, never fatal.
// `--check` judges them like a monitoring plugin instead (flow/expiry_check.hpp): one status
// line, exit 0/1/2/3, and every failure of its own (configuration, options) is UNKNOWN (3).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "dns01/acme/documents.hpp"
#include "dns01/error.hpp"
#include "dns01/json.hpp"
#include "dns01/flow/certinfo.hpp"
#include "dns01/flow/expiry_check.hpp"
#include "dns01/flow/renewal.hpp"
#include "dns01/log.hpp"
#include "dns01/storage.hpp"

namespace dns01::cli {
namespace {

using Clock = std::chrono::system_clock;

struct CertificatesArgs {
  std::string cert_name;
  bool check = false;
  std::string warning = "21d", critical = "7d";
};

struct Listed {
  LineagePaths paths;
  flow::CertInfo info;
  std::optional<std::string> server;
};

struct Broken {
  std::string name;
  std::string error;
};

// "2026-02-22 10:00:00+00:00", certbot's format.
std::string expiry_text(Clock::time_point t) {
  const std::time_t tt = Clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S+00:00", &tm);
  return buf;
}

std::string validity_text(const flow::CertInfo& info, Clock::time_point now) {
  if (info.not_after <= now) return "EXPIRED";
  const long days = flow::days_left(info, now);
  return fmt::format("VALID: {} day{}", days, days == 1 ? "" : "s");
}

nlohmann::json to_json(const Listed& l, Clock::time_point now) {
  const auto& i = l.info;
  return {{"cert_name", l.paths.name},
          {"serial", i.serial},
          {"key_type", i.key_type},
          {"domains", i.dns_names},
          {"subject_cn", i.subject_cn},
          {"issuer_cn", i.issuer_cn},
          {"not_before", acme::format_rfc3339(i.not_before)},
          {"not_after", acme::format_rfc3339(i.not_after)},
          {"days_left", flow::days_left(i, now)},
          {"expired", i.not_after <= now},
          {"version", l.paths.version},
          {"server", l.server ? nlohmann::json(*l.server) : nlohmann::json()},
          {"paths", {{"live_dir", l.paths.live_dir.string()},
                     {"cert", l.paths.cert.string()},
                     {"chain", l.paths.chain.string()},
                     {"fullchain", l.paths.fullchain.string()},
                     {"privkey", l.paths.privkey.string()}}}};
}

struct Listing {
  std::vector<Listed> listed;
  std::vector<Broken> broken;
};

Listing list(const CertificatesArgs& args, const CertStore& store) {
  std::vector<std::string> names;
  if (!args.cert_name.empty()) {
    CertStore::check_name(args.cert_name);
    std::error_code ec;
    if (!std::filesystem::exists(store.dir() / "live" / args.cert_name, ec))
      throw StorageError("find certificate",
                         fmt::format("no certificate named '{}' in {}", args.cert_name, store.dir().string()),
                         "`dns01 certificates` lists the certificates");
    names.push_back(args.cert_name);
  } else {
    names = store.lineages();
  }

  Listing out;
  auto& listed = out.listed;
  auto& broken = out.broken;
  for (const auto& name : names) {
    try {
      auto paths = store.current(name);
      if (!paths)
        throw StorageError("read certificate", fmt::format("live/{}/cert.pem is missing", name),
                           "issue it again with dns01 issue");
      Listed l{*paths, flow::inspect_certificate(read_file(paths->cert), paths->cert.string()), std::nullopt};
      try {
        l.server = flow::load_renewal(store, name).server;
      } catch (const Error&) {
        // The listing still shows the certificate; `dns01 renew` reports the renewal file.
      }
      listed.push_back(std::move(l));
    } catch (const Error& e) {
      broken.push_back({name, Redactor::global().apply(e.what())});
    }
  }
  return out;
}

int run_check(const CertificatesArgs& args, Context& ctx) {
  nlohmann::json error;
  flow::ExpiryCheck check;
  Listing l;
  const auto now = Clock::now();
  try {
    flow::ExpiryThresholds t;
    t.warning = flow::parse_threshold(args.warning, "--warning");
    t.critical = flow::parse_threshold(args.critical, "--critical");
    if (t.warning < t.critical)
      throw UsageError("certificates", "read --warning", fmt::format("--warning {} is shorter than --critical {}",
                                                                     args.warning, args.critical),
                       "the warning comes first: give --warning a longer span than --critical");
    const CertStore store(ctx.config().storage.dir);
    l = list(args, store);
    std::vector<flow::CertExpiry> certs;
    std::vector<flow::UnreadableCert> unreadable;
    for (const auto& c : l.listed) certs.push_back({c.paths.name, c.info.not_after});
    for (const auto& b : l.broken) unreadable.push_back({b.name, b.error});
    check = flow::check_expiry(certs, unreadable, t, now, store.dir().string());
  } catch (const Error& e) {
    // A monitoring system reads one line and the exit code: its own failure is UNKNOWN, not
    // dns01's usual exit code for the category (3 happens to be UNKNOWN; 8 would be nonsense).
    print_error(e);
    error = json::error_json(e);
    check = {};
    check.state = flow::CheckState::unknown;
    check.status_line = flow::unknown_status_line(sanitize_text(Redactor::global().apply(e.what())));
  }
  if (ctx.global.json) {
    nlohmann::json certs = nlohmann::json::array();
    for (std::size_t i = 0; i < l.listed.size() && i < check.certs.size(); ++i) {
      nlohmann::json j = to_json(l.listed[i], now);
      j["check_state"] = flow::check_state_name(check.certs[i].state);
      certs.push_back(std::move(j));
    }
    nlohmann::json bad = nlohmann::json::array();
    for (const auto& b : l.broken) bad.push_back({{"cert_name", b.name}, {"error", b.error}});
    nlohmann::json out = {{"ok", check.state == flow::CheckState::ok},
                          {"check", {{"status", flow::check_state_name(check.state)},
                                     {"exit_code", flow::check_exit_code(check.state)},
                                     {"summary", check.status_line}}},
                          {"certificates", certs},
                          {"broken", bad}};
    if (!error.is_null()) out["error"] = error;
    std::puts(out.dump().c_str());
  } else {
    std::puts(check.status_line.c_str());
  }
  return flow::check_exit_code(check.state);
}

int run_certificates(const CertificatesArgs& args, Context& ctx) {
  if (args.check) return run_check(args, ctx);
  const CertStore store(ctx.config().storage.dir);
  const Listing listing = list(args, store);
  const auto& listed = listing.listed;
  const auto& broken = listing.broken;
  const auto now = Clock::now();
  if (ctx.global.json) {
    nlohmann::json certs = nlohmann::json::array(), bad = nlohmann::json::array();
    for (const auto& l : listed) certs.push_back(to_json(l, now));
    for (const auto& b : broken) bad.push_back({{"cert_name", b.name}, {"error", b.error}});
    std::puts(nlohmann::json{{"ok", true}, {"certificates", certs}, {"broken", bad}}.dump().c_str());
    return 0;
  }
  std::string out;
  if (listed.empty() && broken.empty()) out += "No certificates found.\n";
  if (!listed.empty()) out += "Found the following certificates:\n";
  for (const auto& l : listed) {
    out += fmt::format("  Certificate Name: {}\n", l.paths.name);
    out += fmt::format("    Serial Number: {}\n", l.info.serial);
    out += fmt::format("    Key Type: {}\n", l.info.key_type);
    out += fmt::format("    Domains: {}\n", fmt::join(l.info.dns_names, " "));
    out += fmt::format("    Expiry Date: {} ({})\n", expiry_text(l.info.not_after), validity_text(l.info, now));
    out += fmt::format("    Certificate Path: {}\n", l.paths.fullchain.string());
    out += fmt::format("    Private Key Path: {}\n", l.paths.privkey.string());
  }
  if (!broken.empty()) {
    out += "The following certificates could not be read:\n";
    for (const auto& b : broken) out += fmt::format("  {}: {}\n", b.name, b.error);
  }
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace

void register_certificates(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<CertificatesArgs>();
  auto* cmd = app.add_subcommand(
      "certificates",
      "List the stored certificates: name, serial, key type, domains, expiry, paths (like "
      "`certbot certificates`); contacts nobody. --check: a monitoring-plugin verdict on expiry");
  cmd->add_option("--cert-name", args->cert_name, "Only this certificate (lineage name)");
  auto* check = cmd->add_flag("--check", args->check,
                "Monitoring-plugin mode (Nagios, Icinga): one status line; exit 0 OK, 1 WARNING, "
                "2 CRITICAL (expired or within --critical), 3 UNKNOWN (unreadable certificate, none "
                "stored, or a failure of the check)");
  cmd->add_option("--warning", args->warning, "With --check: WARNING when a certificate expires within this (default 21d)")
      ->type_name("SPAN")
      ->needs(check);
  cmd->add_option("--critical", args->critical, "With --check: CRITICAL when a certificate expires within this (default 7d)")
      ->type_name("SPAN")
      ->needs(check);
  cmd->callback([args, &ctx] { ctx.run = [args, &ctx] { return run_certificates(*args, ctx); }; });
}

}  // namespace dns01::cli
