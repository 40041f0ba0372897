#pragma once
// The dns-01 solving step behind an interface, and a helper that runs a whole issuance.
//
// issue_certificate() owns the ACME lifecycle, in this order:
//   1. newOrder for all names; fetch every authorization (already valid ones are skipped);
//   2. solver.present(all tasks)          — write every TXT record (one call, all at once);
//   3. solver.wait_until_visible(all)     — e.g. every authoritative nameserver serves them;
//   4. answer every dns-01 challenge, then poll each authorization until valid;
//   5. solver.cleanup(all)                — ALWAYS attempted, also when 2–4 failed;
//   6. finalize with a CSR for the certificate key, poll, download all chains, pick one.
// The apex and the wildcard of a name share one record name with two different values; a
// solver must keep both (add one value, remove exactly one value).
#include <string>
#include <vector>

#include "dns01/acme/client.hpp"

namespace dns01::acme {

struct Dns01Task {
  std::string domain;             // identifier value, without "*."
  bool wildcard = false;          // the authorization is for "*.<domain>"
  std::string record_name;        // "_acme-challenge.<domain>" (no trailing dot)
  std::string txt_value;          // base64url(SHA-256(key authorization))
  std::string authorization_url;
  std::string challenge_url;
};

class Dns01Solver {
 public:
  virtual ~Dns01Solver() = default;
  // Adds every TXT value. Throws (any dns01::Error) when one cannot be added.
  virtual void present(const std::vector<Dns01Task>& tasks) = 0;
  // Returns once the CA can see every value; throws PropagationError when it never happens.
  virtual void wait_until_visible(const std::vector<Dns01Task>& tasks) = 0;
  // Removes the values it added; must tolerate values that were never added. Errors are
  // reported by throwing; issue_certificate logs them and keeps going.
  virtual void cleanup(const std::vector<Dns01Task>& tasks) = 0;
};

struct IssueRequest {
  std::vector<std::string> names;
  const PrivateKey* certificate_key = nullptr;  // required; not owned
  std::string profile;
  std::string replaces;         // ARI CertID of the certificate being renewed
  std::string preferred_chain;  // issuer CN of the preferred chain's top certificate
};

struct IssuedCertificate {
  Order order;
  CertificateChain chain;                  // the selected chain (leaf first, PEM)
  std::vector<CertificateChain> all_chains;
  std::vector<std::string> cleanup_errors; // cleanup failures (the certificate is still valid)
};

// Builds the tasks of an order's pending authorizations (dns-01 challenges). AcmeError when an
// authorization offers no dns-01 challenge.
std::vector<Dns01Task> dns01_tasks(AcmeClient& client, const Order& order);

// Runs the whole flow described above. The account must be registered on the client.
IssuedCertificate issue_certificate(AcmeClient& client, Dns01Solver& solver, const IssueRequest& request);

}  // namespace dns01::acme
