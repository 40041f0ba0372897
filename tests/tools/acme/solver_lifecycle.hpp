#pragma once
// The ACME driver's own issuance lifecycle (test tool only): it exercises the ACME client against
// pebble with a test solver (nsupdate into the sandbox BIND, or none), without provider plugins
// or propagation checks. dns01 itself issues through flow/src/issue.cpp; this is not a second
// product lifecycle.
//
// issue_certificate() runs, in this order:
//   1. newOrder for all names; fetch every authorization (already valid ones are skipped);
//   2. solver.present(all tasks);
//   3. solver.wait_until_visible(all);
//   4. answer every dns-01 challenge, then poll each authorization until valid;
//   5. solver.cleanup(all) — ALWAYS attempted, also when 2–4 failed;
//   6. finalize with a CSR for the certificate key, poll, download all chains, pick one.
#include <string>
#include <vector>

#include "dns01/acme/client.hpp"
#include "dns01/acme/solver.hpp"

namespace dns01::testing {

class Dns01Solver {
 public:
  virtual ~Dns01Solver() = default;
  // Adds every TXT value. Throws (any dns01::Error) when one cannot be added.
  virtual void present(const std::vector<acme::Dns01Task>& tasks) = 0;
  // Returns once the CA can see every value; throws when it never happens.
  virtual void wait_until_visible(const std::vector<acme::Dns01Task>& tasks) = 0;
  // Removes the values it added; must tolerate values that were never added. Errors are
  // reported by throwing; issue_certificate logs them and keeps going.
  virtual void cleanup(const std::vector<acme::Dns01Task>& tasks) = 0;
};

struct IssueRequest {
  std::vector<std::string> names;
  const acme::PrivateKey* certificate_key = nullptr;  // required; not owned
  std::string profile;
  std::string replaces;         // ARI CertID of the certificate being renewed
  std::string preferred_chain;  // issuer CN of the preferred chain's top certificate
};

struct IssuedCertificate {
  acme::Order order;
  acme::CertificateChain chain;  // the selected chain (leaf first, PEM)
  std::vector<acme::CertificateChain> all_chains;
  std::vector<std::string> cleanup_errors;  // cleanup failures (the certificate is still valid)
};

// Runs the whole flow described above. The account must be registered on the client.
IssuedCertificate issue_certificate(acme::AcmeClient& client, Dns01Solver& solver, const IssueRequest& request);

}  // namespace dns01::testing
