// Extra trust anchors: added to the store OpenSSL already filled from the system bundle, so a
// private or test CA (pebble) is trusted without losing the public roots.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <fmt/format.h>

#include "dns01/error.hpp"
#include "dns01/storage.hpp"
#include "http_internal.hpp"

namespace dns01::http_detail {

CaBundle CaBundle::load(const std::string& path) {
  CaBundle bundle;
  bundle.path = path;
  // Read once, bounded, regular files only (a FIFO or /dev/zero must not hang or exhaust
  // memory); curl gets the same bytes (CURLOPT_CAINFO_BLOB), never the path a second time.
  FileRead file = read_regular_file(path, kMaxCaBundleBytes);
  if (file.problem != FileRead::none)
    throw ConfigError(fmt::format("read CA bundle {}", path), file.describe(path, kMaxCaBundleBytes),
                      "check the ca_bundle path and its permissions (a PEM file)");
  bundle.pem = std::move(file.data);
  BioPtr bio{BIO_new_mem_buf(bundle.pem.data(), static_cast<int>(bundle.pem.size()))};
  if (!bio) throw Error(ErrorCategory::internal, "http", "read CA bundle", "out of memory");
  while (X509Ptr cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)})
    bundle.certs.push_back(std::move(cert));
  ERR_clear_error();  // the loop ends on an expected "no start line" at end of file
  if (bundle.certs.empty())
    throw ConfigError(fmt::format("read CA bundle {}", path), "no PEM certificate found",
                      "ca_bundle must hold one or more -----BEGIN CERTIFICATE----- blocks");
  return bundle;
}

CURLcode add_bundle_to_ssl_ctx(CURL*, void* ssl_ctx, void* bundle_ptr) {
  const auto* bundle = static_cast<const CaBundle*>(bundle_ptr);
  X509_STORE* store = SSL_CTX_get_cert_store(static_cast<SSL_CTX*>(ssl_ctx));
  if (!store) return CURLE_SSL_CERTPROBLEM;
  for (const auto& cert : bundle->certs) {
    if (X509_STORE_add_cert(store, cert.get()) != 1) {
      // A certificate already in the system store is fine; anything else is not.
      const unsigned long err = ERR_peek_last_error();
      ERR_clear_error();
      if (ERR_GET_REASON(err) != X509_R_CERT_ALREADY_IN_HASH_TABLE) return CURLE_SSL_CERTPROBLEM;
    }
  }
  return CURLE_OK;
}

}  // namespace dns01::http_detail
