#pragma once
// AcmeClient: one account's conversation with one ACME CA (RFC 8555).
//
// Transport rules (RFC 8555 §6):
// - Every POST is a flattened JWS (jws.hpp) with Content-Type application/jose+json, signed with
//   `jwk` for newAccount and revocation by certificate key, `kid` (the account URL) otherwise.
//   Reads of resources are POST-as-GET (empty payload).
// - Nonces come from a pool filled by every reply's Replay-Nonce header; when it is empty one is
//   fetched from newNonce (HEAD). A `badNonce` problem is retried with the fresh nonce of the
//   error reply, at most AcmeClientOptions::max_bad_nonce_retries times.
// - POSTs are sent with idempotent=false (the HTTP layer then retries connection failures only);
//   every request has AcmeClientOptions::request_timeout and a size limit.
// - Any reply other than the expected 2xx becomes an AcmeError carrying the CA's problem
//   document (type, detail, identifier, subproblems) and Retry-After; malformed replies become
//   AcmeError("<step>", "<what is wrong>"); network failures stay NetworkError.
// - HTTPS only (§6.1): the directory URL, every redirect and every URL the CA hands out (nonce,
//   account, order, authorization, challenge, finalize, certificate, alternate chains, ARI) is
//   requested under a UrlPolicy that refuses plain http:// and link-local / cloud-metadata
//   addresses (http.hpp), so a hostile or impersonated CA cannot steer signed requests there.
//   The constructor refuses such a directory URL with a UsageError.
// - Interruption: every request (through HttpRequest::cancelled) and every poll wait ends within
//   about a second of SIGINT/SIGTERM (stop_requested, signals.hpp) with InterruptedError, also
//   against a CA that stalls.
// - Polling (authorizations, orders) honours Retry-After (capped), otherwise starts after
//   PollPolicy::first_delay (~75 ms: pebble and most CAs validate within milliseconds) and
//   doubles up to PollPolicy::max_interval, giving up after PollPolicy::timeout.
//
// Account key: a client built without one (the two-argument constructor) serves the
// unauthenticated calls — directory, ARI renewalInfo — and revocation by certificate key; any
// call that must sign with the account key then throws Error(internal) naming the step.
// ca_client() (ca_client.hpp) builds an HttpClient and an AcmeClient for one CA in one go.
//
// Ownership: the client borrows the HttpClient (which must outlive it) and owns the account key.
// Threading: not thread-safe; use one AcmeClient per thread (the HttpClient may be shared).
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dns01/acme/documents.hpp"
#include "dns01/acme/jws.hpp"
#include "dns01/acme/keys.hpp"
#include "dns01/http.hpp"

namespace dns01::acme {

struct PollPolicy {
  std::chrono::milliseconds first_delay{75};
  std::chrono::milliseconds max_interval{2'000};
  std::chrono::milliseconds max_retry_after{60'000};  // cap on a CA's Retry-After while polling
  std::chrono::milliseconds timeout{180'000};
};

struct AcmeClientOptions {
  std::string directory_url;  // a URL (use resolve_directory_url() for shortcuts)
  std::chrono::milliseconds request_timeout{30'000};
  std::size_t max_body = kMaxDocumentBytes;       // JSON documents
  std::size_t max_certificate_body = 1u << 20;    // PEM chains
  int max_bad_nonce_retries = 5;
  PollPolicy poll;
  // How polling waits; tests may replace it. Default: std::this_thread::sleep_for.
  std::function<void(std::chrono::milliseconds)> sleep;
  // Test seam: also accept plain http:// to a loopback address (the fake CA of the e2e tests).
  // dns01 itself never sets it; see "Transport rules" above.
  bool allow_http_loopback = false;
};

struct NewAccountOptions {
  std::vector<std::string> contact;  // "mailto:admin@example.com"
  bool agree_to_terms = false;       // must be true when the directory has termsOfService
  std::optional<ExternalAccountBinding> eab;
};

struct NewOrderOptions {
  std::vector<std::string> names;  // DNS names, wildcards allowed
  std::string profile;             // draft-aaron-acme-profiles; "" = CA default
  std::string replaces;            // ARI CertID of the certificate this order renews; "" = none
};

// One certificate chain as the CA served it (the default one or a Link rel="alternate").
struct CertificateChain {
  std::string url;
  std::string pem;             // leaf first
  std::string top_issuer_cn;   // issuer CN of the last certificate in the chain
  std::vector<std::string> issuer_cns;  // issuer CN of every certificate, leaf first
};

// Picks the chain whose top-most issuer CN equals `preferred_issuer_cn`, else the first chain in
// which any certificate's issuer CN matches, else the default (first) chain. Like certbot/lego.
const CertificateChain& select_chain(const std::vector<CertificateChain>& chains,
                                     std::string_view preferred_issuer_cn);

// RFC 5280 revocation reasons accepted by ACME CAs.
enum class RevocationReason {
  unspecified = 0, key_compromise = 1, affiliation_changed = 3, superseded = 4,
  cessation_of_operation = 5,
};

class AcmeClient {
 public:
  AcmeClient(HttpClient& http, PrivateKey account_key, AcmeClientOptions options);
  // Without an account key: for directory(), renewal_info() and revoke_with_certificate_key().
  AcmeClient(HttpClient& http, AcmeClientOptions options);

  // The directory, fetched on first use and cached.
  const Directory& directory();

  bool has_account_key() const noexcept { return account_key_.has_value(); }
  // The account key; Error(internal) when the client was built without one.
  const PrivateKey& account_key() const;
  // JWK thumbprint of the account key; Error(internal) without one.
  std::string thumbprint() const;
  // The account URL ("kid"); empty until register_account/find_account or set_account_url.
  const std::string& account_url() const { return account_url_; }
  void set_account_url(std::string url) { account_url_ = std::move(url); }

  // --- accounts (§7.3) ---
  // Creates the account (or returns the existing one for this key: 200 instead of 201).
  // Throws UsageError when the CA has terms of service not agreed to, or requires EAB and none
  // was given.
  Account register_account(const NewAccountOptions& options);
  // onlyReturnExisting: AcmeError "accountDoesNotExist" when the key has no account.
  Account find_account();
  Account fetch_account();
  Account update_contacts(const std::vector<std::string>& contact);
  Account deactivate_account();
  // Key rollover (§7.3.5); on success the client signs with the new key. Needs an account key.
  void change_account_key(PrivateKey new_key);

  // --- orders (§7.4) ---
  Order new_order(const NewOrderOptions& options);
  Order fetch_order(const std::string& url);
  Authorization fetch_authorization(const std::string& url);
  // Tells the CA the challenge is ready (POST {}).
  Challenge answer_challenge(const Challenge& challenge);
  void deactivate_authorization(const std::string& url);
  // Polls until the authorization leaves pending; returns it when valid, throws AcmeError with
  // the challenge's problem (identifier filled in) when invalid or otherwise failed.
  Authorization wait_authorization(const std::string& url);
  // Polls until the order is `ready` (or already valid); throws AcmeError when invalid.
  Order wait_order_ready(const std::string& url);
  // Finalizes with the DER CSR and polls until `valid`; throws AcmeError when invalid.
  Order finalize(const Order& order, const Bytes& csr_der);
  // Downloads the certificate chain and, when `alternates`, every Link rel="alternate" chain.
  std::vector<CertificateChain> download_chains(const std::string& certificate_url, bool alternates = true);

  // --- revocation (§7.6) ---
  void revoke(const Bytes& certificate_der, std::optional<RevocationReason> reason);
  void revoke_with_certificate_key(const Bytes& certificate_der, const PrivateKey& certificate_key,
                                   std::optional<RevocationReason> reason);

  // --- ARI (RFC 9773) ---
  // GET <renewalInfo>/<certID>. UsageError when the CA has no renewalInfo endpoint.
  RenewalInfo renewal_info(const std::string& cert_id);

  // --- low level ---
  struct PostOptions {
    bool use_jwk = false;                 // sign with the jwk header instead of kid
    const PrivateKey* key = nullptr;      // signing key; nullptr = the account key
    std::string accept;                   // Accept header, "" = none
    std::size_t max_body = 0;             // 0 = options.max_body
    std::vector<long> expected = {200};   // acceptable statuses (others → AcmeError)
  };
  // Signs and POSTs (payload nullopt = POST-as-GET) with badNonce retries. `step` names the
  // operation in errors ("create account").
  HttpResponse post(const std::string& url, const std::optional<Json>& payload, const std::string& step,
                    const PostOptions& options);
  HttpResponse post(const std::string& url, const std::optional<Json>& payload, const std::string& step) {
    return post(url, payload, step, PostOptions{});
  }

 private:
  std::string take_nonce();
  void remember_nonce(const HttpResponse& response);
  void require_account(const std::string& step) const;
  void pause(std::chrono::milliseconds d);
  // Every request goes out through here, under the client's UrlPolicy.
  HttpResponse send(HttpRequest request);
  UrlPolicy url_policy() const;

  HttpClient& http_;
  std::optional<PrivateKey> account_key_;
  AcmeClientOptions options_;
  std::optional<Directory> directory_;
  std::string account_url_;
  std::vector<std::string> nonces_;
};

}  // namespace dns01::acme
