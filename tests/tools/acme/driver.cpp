// dns01-acme-driver: runs one ACME operation of the library against a CA and prints a JSON
// result on stdout, for the e2e tests (tests/e2e/test_acme*.py). Errors go to stderr as
// `error: <message>` plus a JSON line {"error": {...}} and the documented exit code.
//
//   dns01-acme-driver <command> --directory URL [--ca-bundle F] --account-key F [--key-type T] ...
// commands: directory, account-new, account-find, account-update, account-rollover,
//           account-deactivate, issue, revoke, ari
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "dns01/storage.hpp"
#include "dns01/acme/ari.hpp"
#include "dns01/acme/client.hpp"
#include "dns01/acme/csr.hpp"
#include "dns01/log.hpp"
#include "nsupdate_solver.hpp"
#include "solver_lifecycle.hpp"

using namespace dns01;
using namespace dns01::acme;
using dns01::testing::Dns01Solver;
using dns01::testing::IssueRequest;
using dns01::testing::IssuedCertificate;

namespace {

struct Args {
  std::string command;
  std::multimap<std::string, std::string> opts;
  std::string get(const std::string& k, const std::string& def = "") const {
    auto it = opts.find(k);
    return it == opts.end() ? def : it->second;
  }
  std::vector<std::string> all(const std::string& k) const {
    std::vector<std::string> out;
    for (auto [a, b] = opts.equal_range(k); a != b; ++a) out.push_back(a->second);
    return out;
  }
  bool has(const std::string& k) const { return opts.count(k) > 0; }
};

// Flags without a value.
bool is_flag(const std::string& k) { return k == "agree-tos" || k == "verbose" || k == "sabotage"; }

Args parse(int argc, char** argv) {
  Args a;
  if (argc < 2) throw UsageError("driver", "parse arguments", "no command given");
  a.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string k = argv[i];
    if (!k.starts_with("--")) throw UsageError("driver", "parse arguments", "unexpected argument " + k);
    k = k.substr(2);
    if (is_flag(k)) {
      a.opts.emplace(k, "1");
      continue;
    }
    if (i + 1 >= argc) throw UsageError("driver", "parse arguments", "--" + k + " needs a value");
    a.opts.emplace(k, argv[++i]);
  }
  return a;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw StorageError("read " + path, "cannot open the file");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

PrivateKey load_or_create(const std::string& path, const std::string& type) {
  if (std::filesystem::exists(path)) return PrivateKey::load(path);
  PrivateKey k = PrivateKey::generate(parse_key_type(type.empty() ? "ec256" : type));
  k.save(path);
  return k;
}

// For fake CAs that do not look at DNS: presents nothing.
struct NullSolver : Dns01Solver {
  void present(const std::vector<Dns01Task>&) override {}
  void wait_until_visible(const std::vector<Dns01Task>&) override {}
  void cleanup(const std::vector<Dns01Task>&) override {}
};

Json account_json(const Account& a) {
  return {{"url", a.url}, {"status", a.status}, {"contact", a.contact}, {"orders", a.orders}};
}

Json chain_json(const CertificateChain& c) {
  return {{"url", c.url}, {"top_issuer_cn", c.top_issuer_cn}, {"issuer_cns", c.issuer_cns}};
}

std::optional<RevocationReason> reason_of(const Args& a) {
  if (!a.has("reason")) return std::nullopt;
  return static_cast<RevocationReason>(std::stoi(a.get("reason")));
}

Json run(const Args& a) {
  HttpOptions http_options;
  http_options.ca_bundle = a.get("ca-bundle");
  http_options.component = "acme";
  http_options.timeout = std::chrono::milliseconds(std::stoi(a.get("timeout-ms", "15000")));
  HttpClient http(http_options);

  AcmeClientOptions options;
  // The fake CA of the e2e tests speaks plain HTTP on loopback; dns01 itself never allows it.
  const std::string directory = a.get("directory");
  options.directory_url = directory.starts_with("http://") ? directory : resolve_directory_url(directory);
  options.allow_http_loopback = true;
  options.request_timeout = http_options.timeout;
  options.poll.timeout = std::chrono::milliseconds(std::stoi(a.get("poll-timeout-ms", "60000")));
  AcmeClient client(http, load_or_create(a.get("account-key"), a.get("key-type")), std::move(options));

  if (a.command == "directory") {
    const Directory& d = client.directory();
    return {{"newNonce", d.new_nonce}, {"renewalInfo", d.renewal_info},
            {"meta", {{"termsOfService", d.meta.terms_of_service},
                      {"externalAccountRequired", d.meta.external_account_required},
                      {"caaIdentities", d.meta.caa_identities},
                      {"profiles", d.meta.profiles}}}};
  }

  NewAccountOptions account_options;
  account_options.contact = a.all("contact");
  account_options.agree_to_terms = a.has("agree-tos");
  if (a.has("eab-kid"))
    account_options.eab = ExternalAccountBinding{a.get("eab-kid"), a.get("eab-key"),
                                                 parse_mac_algorithm(a.get("eab-alg", "HS256"))};

  if (a.command == "account-new") return account_json(client.register_account(account_options));
  if (a.command == "account-find") return account_json(client.find_account());

  // Every other command works on an existing account: registered now with --agree-tos, else
  // looked up (onlyReturnExisting). Revocation by certificate key needs no account.
  if (a.command == "revoke" && a.has("cert-key")) {
  } else if (a.has("agree-tos")) {
    client.register_account(account_options);
  } else {
    client.find_account();
  }

  if (a.command == "account-update") return account_json(client.update_contacts(a.all("contact")));
  if (a.command == "account-deactivate") return account_json(client.deactivate_account());
  if (a.command == "account-rollover") {
    const std::string old_url = client.account_url();
    PrivateKey new_key = load_or_create(a.get("new-key"), a.get("new-key-type"));
    client.change_account_key(std::move(new_key));
    Account found = client.find_account();  // signed with the new key
    return {{"old_url", old_url}, {"url", found.url}, {"status", found.status},
            {"thumbprint", client.thumbprint()}};
  }
  if (a.command == "issue") {
    PrivateKey cert_key = load_or_create(a.get("cert-key"), a.get("cert-key-type"));
    testing::NsupdateSolver solver(a.get("dns-server", "127.0.0.1"), std::stoi(a.get("dns-port", "53")),
                                   a.get("tsig-key-file"), a.has("sabotage"));
    NullSolver null_solver;
    IssueRequest req;
    req.names = a.all("name");
    req.certificate_key = &cert_key;
    req.profile = a.get("profile");
    req.replaces = a.get("replaces");
    req.preferred_chain = a.get("preferred-chain");
    const auto t0 = std::chrono::steady_clock::now();
    Dns01Solver& chosen = a.get("solver") == "none" ? static_cast<Dns01Solver&>(null_solver) : solver;
    IssuedCertificate issued = testing::issue_certificate(client, chosen, req);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    if (a.has("out")) dns01::write_file_atomic(a.get("out"), issued.chain.pem, 0644);
    Json chains = Json::array();
    for (const auto& c : issued.all_chains) chains.push_back(chain_json(c));
    auto leaf = parse_pem_certificates(issued.chain.pem);
    return {{"order", issued.order.url}, {"status", to_string(issued.order.status)}, {"profile", issued.order.profile},
            {"selected", chain_json(issued.chain)}, {"chains", chains},
            {"san", certificate_dns_names(leaf.front().get())}, {"key_type", key_type_name(cert_key.type())},
            {"cleanup_errors", issued.cleanup_errors}, {"elapsed_ms", ms.count()}};
  }
  if (a.command == "revoke") {
    auto certs = parse_pem_certificates(read_file(a.get("cert")));
    const Bytes der = certificate_der(certs.front().get());
    if (a.has("cert-key")) {
      PrivateKey cert_key = PrivateKey::load(a.get("cert-key"));
      client.revoke_with_certificate_key(der, cert_key, reason_of(a));
      return {{"revoked", true}, {"by", "certificate key"}};
    }
    client.revoke(der, reason_of(a));
    return {{"revoked", true}, {"by", "account key"}};
  }
  if (a.command == "ari") {
    auto certs = parse_pem_certificates(read_file(a.get("cert")));
    const std::string id = ari_cert_id(certs.front().get());
    RenewalInfo info = client.renewal_info(id);
    const auto chosen = choose_renewal_time(info, Clock::now());
    Json out = {{"cert_id", id}, {"start", format_rfc3339(info.window_start)}, {"end", format_rfc3339(info.window_end)},
                {"explanation_url", info.explanation_url}, {"chosen", format_rfc3339(chosen)}};
    if (info.retry_after) out["retry_after"] = info.retry_after->count();
    return out;
  }
  if (a.command == "order") {  // newOrder only (profiles / replaces against fakes)
    Order o = client.new_order({a.all("name"), a.get("profile"), a.get("replaces")});
    return {{"order", o.url}, {"status", to_string(o.status)}, {"profile", o.profile}, {"replaces", o.replaces},
            {"authorizations", o.authorizations}};
  }
  throw UsageError("driver", "parse arguments", "unknown command " + a.command);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args args = parse(argc, argv);
    Logger::global().set_level(args.has("verbose") ? LogLevel::debug : LogLevel::warn);
    std::cout << run(args).dump() << std::endl;
    return 0;
  } catch (const AcmeError& e) {
    const auto& p = e.problem();
    Json err = {{"category", category_name(e.category())}, {"message", e.what()}, {"step", e.step()},
                {"type", p.type}, {"status", p.status}, {"identifier", p.identifier}, {"hint", e.hint()},
                {"subproblems", p.subproblems.size()}};
    if (e.retry_after()) err["retry_after"] = e.retry_after()->count();
    std::cerr << "error: " << e.what() << "\n" << Json{{"error", err}}.dump() << std::endl;
    return exit_code(e.category());
  } catch (const Error& e) {
    Json err = {{"category", category_name(e.category())}, {"message", e.what()}, {"step", e.step()}, {"hint", e.hint()}};
    std::cerr << "error: " << e.what() << "\n" << Json{{"error", err}}.dump() << std::endl;
    return exit_code(e.category());
  } catch (const std::exception& e) {
    std::cerr << "error: unexpected: " << e.what() << "\n"
              << Json{{"error", {{"category", "internal"}, {"message", e.what()}}}}.dump() << std::endl;
    return 1;
  }
}
