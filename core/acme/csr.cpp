#include "dns01/acme/csr.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <fmt/format.h>

#include "dns01/error.hpp"

namespace dns01::acme {

namespace {

[[noreturn]] void openssl_fail(std::string step) { throw_openssl_error("acme", std::move(step)); }


std::vector<std::string> dns_names_of(const GENERAL_NAMES* names) {
  std::vector<std::string> out;
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
    if (gn->type != GEN_DNS) continue;
    const ASN1_IA5STRING* s = gn->d.dNSName;
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<std::size_t>(ASN1_STRING_length(s)));
  }
  return out;
}

std::string name_cn(const X509_NAME* name) {
  if (!name) return {};
  int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (idx < 0) return {};
  const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, s);
  if (len < 0) return {};
  OpensslBytesPtr owner{utf8};
  return std::string(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
}

}  // namespace

std::string normalize_dns_name(std::string_view name) {
  std::string n(name);
  if (!n.empty() && n.back() == '.') n.pop_back();
  for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto bad = [&](const char* why) {
    throw UsageError("acme", "check domain name", fmt::format("'{}' is not a valid domain name: {}", name, why),
                     "give names like example.com or *.example.com");
  };
  if (n.empty()) bad("it is empty");
  if (n.size() > 253) bad("it is longer than 253 characters");
  std::string_view rest = n;
  if (rest.starts_with("*.")) rest.remove_prefix(2);
  if (rest.empty()) bad("nothing follows the wildcard");
  std::size_t label = 0;
  for (std::size_t i = 0; i <= rest.size(); ++i) {
    if (i == rest.size() || rest[i] == '.') {
      if (label == 0) bad("it has an empty label");
      if (label > 63) bad("a label is longer than 63 characters");
      if (rest[i - 1] == '-' || rest[i - label] == '-') bad("a label starts or ends with '-'");
      label = 0;
      continue;
    }
    const char c = rest[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      bad(c == '*' ? "a wildcard may only be the whole first label" : "it holds a character other than letters, digits, '-' and '.'");
    ++label;
  }
  return n;
}

Bytes make_csr(const PrivateKey& key, const std::vector<std::string>& names) {
  if (names.empty())
    throw UsageError("acme", "build CSR", "no domain names given", "give at least one name");
  std::vector<std::string> normalized;
  for (const auto& n : names) normalized.push_back(normalize_dns_name(n));

  X509ReqPtr req{X509_REQ_new()};
  if (!req || !X509_REQ_set_version(req.get(), 0)) openssl_fail("build CSR");
  X509NamePtr subject{X509_NAME_new()};
  if (!subject) openssl_fail("build CSR");
  for (const auto& n : normalized) {
    if (n.size() > 64) continue;  // CN is limited to 64 characters (RFC 5280 ub-common-name)
    if (!X509_NAME_add_entry_by_NID(subject.get(), NID_commonName, MBSTRING_UTF8,
                                    reinterpret_cast<const unsigned char*>(n.c_str()), -1, -1, 0))
      openssl_fail("build CSR");
    break;
  }
  if (!X509_REQ_set_subject_name(req.get(), subject.get())) openssl_fail("build CSR");

  GeneralNamesPtr sans{sk_GENERAL_NAME_new_null()};
  if (!sans) openssl_fail("build CSR");
  for (const auto& n : normalized) {
    GeneralNamePtr gn{GENERAL_NAME_new()};
    CPtr<ASN1_IA5STRING, ASN1_IA5STRING_free> ia5{ASN1_IA5STRING_new()};
    if (!gn || !ia5 || !ASN1_STRING_set(ia5.get(), n.data(), static_cast<int>(n.size()))) openssl_fail("build CSR");
    GENERAL_NAME_set0_value(gn.get(), GEN_DNS, ia5.release());  // now owned by gn
    if (!sk_GENERAL_NAME_push(sans.get(), gn.get())) openssl_fail("build CSR");
    gn.release();  // now owned by the stack
  }
  X509ExtensionPtr ext{X509V3_EXT_i2d(NID_subject_alt_name, 0, sans.get())};
  X509ExtensionStackPtr exts{sk_X509_EXTENSION_new_null()};
  if (!ext || !exts || !sk_X509_EXTENSION_push(exts.get(), ext.get())) openssl_fail("build CSR");
  ext.release();
  if (!X509_REQ_add_extensions(req.get(), exts.get())) openssl_fail("build CSR");
  if (!X509_REQ_set_pubkey(req.get(), key.get())) openssl_fail("build CSR");
  if (X509_REQ_sign(req.get(), key.get(), key.type() == KeyType::ec384 ? EVP_sha384() : EVP_sha256()) <= 0)
    openssl_fail("sign CSR");

  unsigned char* der = nullptr;
  int len = i2d_X509_REQ(req.get(), &der);
  if (len <= 0) openssl_fail("encode CSR");
  OpensslBytesPtr owner{der};
  return Bytes(der, der + len);
}

std::vector<X509Ptr> parse_pem_certificates(std::string_view pem) {
  BioPtr bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
  if (!bio) openssl_fail("read certificate");
  std::vector<X509Ptr> out;
  while (true) {
    X509Ptr cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)};
    if (!cert) break;
    out.push_back(std::move(cert));
  }
  ERR_clear_error();
  if (out.empty())
    throw AcmeError("read certificate chain", "the reply holds no PEM certificate",
                    "the CA should answer with application/pem-certificate-chain");
  return out;
}

Bytes certificate_der(X509* cert) {
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  if (len <= 0) openssl_fail("encode certificate");
  OpensslBytesPtr owner{der};
  return Bytes(der, der + len);
}

std::string certificate_pem(X509* cert) {
  BioPtr bio{BIO_new(BIO_s_mem())};
  if (!bio || !PEM_write_bio_X509(bio.get(), cert)) openssl_fail("encode certificate");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::vector<std::string> certificate_dns_names(X509* cert) {
  GeneralNamesPtr names{static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr))};
  return dns_names_of(names.get());
}

std::vector<std::string> csr_dns_names(X509_REQ* req) {
  X509ExtensionStackPtr exts{X509_REQ_get_extensions(req)};
  if (!exts) return {};
  GeneralNamesPtr names{static_cast<GENERAL_NAMES*>(X509V3_get_d2i(exts.get(), NID_subject_alt_name, nullptr, nullptr))};
  return dns_names_of(names.get());
}

std::string issuer_common_name(X509* cert) { return name_cn(X509_get_issuer_name(cert)); }
std::string subject_common_name(X509* cert) { return name_cn(X509_get_subject_name(cert)); }

}  // namespace dns01::acme
