#pragma once
// Certificate signing requests and the certificate helpers the ACME flow needs.
//
// make_csr builds a PKCS#10 request signed with the certificate key: subject CN = the first
// name that fits (≤ 64 characters), and every name as a dNSName in subjectAltName, wildcards
// ("*.example.com") included. Names are validated (letters, digits, '-', '.', a leading "*."
// only) and lower-cased; an invalid name throws UsageError. Thread-safe, no shared state.
#include <string>
#include <string_view>
#include <vector>

#include "dns01/acme/keys.hpp"
#include "dns01/encoding.hpp"
#include "dns01/raii.hpp"

namespace dns01::acme {

// Validates and lower-cases a DNS identifier (trailing dot removed). Throws UsageError.
std::string normalize_dns_name(std::string_view name);

// DER of the CSR.
Bytes make_csr(const PrivateKey& key, const std::vector<std::string>& names);

// PEM helpers for certificates (a chain is several PEM blocks).
std::vector<X509Ptr> parse_pem_certificates(std::string_view pem);  // AcmeError if none/invalid
Bytes certificate_der(X509* cert);
std::string certificate_pem(X509* cert);
// The dNSName entries of a certificate's subjectAltName (or a CSR's extension request).
std::vector<std::string> certificate_dns_names(X509* cert);
std::vector<std::string> csr_dns_names(X509_REQ* req);
// CN of the certificate's issuer / subject ("" when absent).
std::string issuer_common_name(X509* cert);
std::string subject_common_name(X509* cert);

}  // namespace dns01::acme
