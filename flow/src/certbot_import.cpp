// import_certbot(): certbot lineages into dns01's storage (certbot_import.hpp).
#include "dns01/flow/certbot_import.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>
#include <system_error>

#include "dns01/acme/client.hpp"
#include "dns01/error.hpp"
#include "dns01/flow/certinfo.hpp"
#include "dns01/flow/renewal.hpp"
#include "dns01/log.hpp"
#include "dns01/storage.hpp"

namespace dns01::flow {
namespace {

namespace fs = std::filesystem;

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  s = s.substr(b, e - b + 1);
  // configobj quotes values that need it.
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) s = s.substr(1, s.size() - 2);
  return s;
}

std::string get(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? std::string() : it->second;
}

// A name is served when some [providers] table has a zone it lies in (no DNS needed for this
// advice; issue/renew resolve CNAMEs and route for real).
bool routed(const Config& config, const std::string& domain) {
  const std::string name = "_acme-challenge." + (domain.starts_with("*.") ? domain.substr(2) : domain);
  for (const auto& p : config.providers)
    for (const auto& z : p.zones)
      if (name == z || name.ends_with("." + z)) return true;
  return false;
}

bool dns_authenticator(const std::string& a) { return a.starts_with("dns-") || a == "manual"; }

ImportedLineage import_one(const Config& config, const ImportOptions& o, const CertStore& store,
                           const fs::path& conf_path) {
  ImportedLineage out;
  out.cert_name = conf_path.stem().string();
  auto skip = [&](std::string why) {
    out.status = "skipped";
    out.reason = std::move(why);
    return out;
  };
  try {
    CertStore::check_name(out.cert_name);
  } catch (const Error&) {
    return skip("its name is not a valid dns01 certificate name");
  }
  const auto conf = parse_certbot_conf(read_file(conf_path));
  const std::string authenticator = get(conf, "renewalparams.authenticator");
  if (!dns_authenticator(authenticator))
    return skip(fmt::format("issued with the '{}' authenticator, not DNS-01", authenticator.empty() ? "?" : authenticator));
  std::error_code ec;
  if (store.current(out.cert_name) || fs::exists(store.renewal_file(out.cert_name), ec))
    return skip("dns01 already has a certificate of that name (already imported?)");
  auto path_of = [&](const char* key) {
    const std::string p = get(conf, key);
    if (p.empty()) throw StorageError("read certbot renewal file", fmt::format("{} names no '{}'", conf_path.string(), key));
    return fs::path(p);
  };
  CertificateFiles files;
  try {
    files.cert = read_file(path_of("cert"));
    files.chain = read_file(path_of("chain"));
    files.fullchain = read_file(path_of("fullchain"));
    files.privkey = read_file(path_of("privkey"));
  } catch (const Error& e) {
    return skip(fmt::format("its files cannot be read: {}", e.what()));
  }
  const CertInfo cert = inspect_certificate(files.cert, path_of("cert").string());
  out.domains = cert.dns_names;
  for (const auto& d : out.domains)
    if (!routed(config, d)) out.unrouted.push_back(d);
  out.reason = authenticator;

  RenewalConfig r;
  r.cert_name = out.cert_name;
  r.domains = cert.dns_names;
  r.server = get(conf, "renewalparams.server");
  if (r.server.empty()) r.server = acme::resolve_directory_url("letsencrypt");
  // certbot trusted the CA through the system store (or REQUESTS_CA_BUNDLE): dns01's own
  // [acme] ca_bundle is the one that applies from now on.
  r.ca_bundle = config.acme.ca_bundle;
  r.key_type = cert.key_type;
  r.reuse_key = get(conf, "renewalparams.reuse_key") == "True";
  for (const char* key : {"renewalparams.renew_hook", "renewalparams.deploy_hook"})
    if (auto hook = get(conf, key); !hook.empty() && hook != "None" &&
        std::find(r.deploy_hooks.begin(), r.deploy_hooks.end(), hook) == r.deploy_hooks.end())
      r.deploy_hooks.push_back(hook);
  r.config = config.source.string();

  if (o.dry_run) {
    out.status = "would_import";
    return out;
  }
  const LineagePaths paths = CertStore(store).save(out.cert_name, files);
  save_renewal(store, r);
  out.live_dir = paths.live_dir;
  out.status = "imported";
  if (!o.keep_certbot) {
    out.retired_conf = conf_path;
    out.retired_conf += ".imported-by-dns01";
    fs::rename(conf_path, out.retired_conf, ec);
    if (ec)
      throw StorageError("retire certbot's renewal file",
                         fmt::format("{}: {}", conf_path.string(), ec.message()),
                         fmt::format("rename it yourself (certbot would renew {} too), or remove dns01's copy "
                                     "with `dns01 delete --cert-name {}`",
                                     out.cert_name, out.cert_name));
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> parse_certbot_conf(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line, section;
  while (std::getline(in, line)) {
    const std::string t = trim(line);
    if (t.empty() || t.front() == '#') continue;
    if (t.front() == '[') {
      // [renewalparams], [[nested]] as in configobj: the innermost name.
      std::string name = t;
      name.erase(std::remove(name.begin(), name.end(), '['), name.end());
      name.erase(std::remove(name.begin(), name.end(), ']'), name.end());
      section = trim(name);
      continue;
    }
    const auto eq = t.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = trim(t.substr(0, eq));
    out[section.empty() ? key : section + "." + key] = trim(t.substr(eq + 1));
  }
  return out;
}

std::vector<ImportedLineage> import_certbot(const Config& config, const ImportOptions& o) {
  const fs::path renewal_dir = o.certbot_dir / "renewal";
  std::error_code ec;
  if (!fs::is_directory(renewal_dir, ec))
    throw StorageError("find certbot's lineages", fmt::format("{} is not a directory", renewal_dir.string()),
                       "name certbot's configuration directory with --certbot-dir (default /etc/letsencrypt)");
  std::vector<fs::path> confs;
  for (const auto& entry : fs::directory_iterator(renewal_dir, ec))
    if (entry.path().extension() == ".conf") confs.push_back(entry.path());
  std::sort(confs.begin(), confs.end());
  if (!o.cert_name.empty()) {
    const fs::path wanted = renewal_dir / (o.cert_name + ".conf");
    if (std::find(confs.begin(), confs.end(), wanted) == confs.end())
      throw StorageError("find certbot's lineage", fmt::format("{} does not exist", wanted.string()),
                         "`certbot certificates` lists certbot's certificates");
    confs = {wanted};
  }
  const CertStore store(config.storage.dir);
  if (!o.dry_run) ensure_private_dir(store.dir());
  std::vector<ImportedLineage> out;
  for (const auto& conf : confs) out.push_back(import_one(config, o, store, conf));
  return out;
}

}  // namespace dns01::flow
