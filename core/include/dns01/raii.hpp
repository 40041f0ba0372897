#pragma once
// RAII owners for every C handle dns01 uses. One line per handle type: a unique_ptr with the
// library's own free function. Nothing in dns01 holds a raw owning C pointer.
//
//   dns01::CurlPtr curl{curl_easy_init()};
//   dns01::EvpPkeyPtr key{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")};
//   dns01::LdnsPktPtr pkt{ldns_pkt_query_new(...)};
//
// For out-parameters of C APIs use out_ptr():  ldns_wire2pkt(dns01::out_ptr(pkt), ...).
#include <curl/curl.h>
#include "dns01/ldns.hpp"
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <unistd.h>

#include <memory>
#include <string>
#include <utility>

namespace dns01 {

template <auto Fn>
struct CDeleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    if (p) Fn(p);
  }
};

template <typename T, auto Fn>
using CPtr = std::unique_ptr<T, CDeleter<Fn>>;

// libcurl
using CurlPtr = CPtr<CURL, curl_easy_cleanup>;
using CurlSlistPtr = CPtr<curl_slist, curl_slist_free_all>;
using CurlSharePtr = CPtr<CURLSH, curl_share_cleanup>;
using CurlMultiPtr = CPtr<CURLM, curl_multi_cleanup>;
using CurlUrlPtr = CPtr<CURLU, curl_url_cleanup>;
using CurlCharPtr = CPtr<char, curl_free>;  // strings returned by curl_url_get etc.

// OpenSSL 3
using EvpPkeyPtr = CPtr<EVP_PKEY, EVP_PKEY_free>;
using EvpPkeyCtxPtr = CPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using EvpMdCtxPtr = CPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using EvpMacPtr = CPtr<EVP_MAC, EVP_MAC_free>;
using EvpMacCtxPtr = CPtr<EVP_MAC_CTX, EVP_MAC_CTX_free>;
using X509Ptr = CPtr<X509, X509_free>;
using X509ReqPtr = CPtr<X509_REQ, X509_REQ_free>;
using X509NamePtr = CPtr<X509_NAME, X509_NAME_free>;
using X509ExtensionPtr = CPtr<X509_EXTENSION, X509_EXTENSION_free>;
using BioPtr = CPtr<BIO, BIO_free_all>;
using BignumPtr = CPtr<BIGNUM, BN_free>;
using EcdsaSigPtr = CPtr<ECDSA_SIG, ECDSA_SIG_free>;
using OsslParamBldPtr = CPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using OsslParamPtr = CPtr<OSSL_PARAM, OSSL_PARAM_free>;
using GeneralNamePtr = CPtr<GENERAL_NAME, GENERAL_NAME_free>;
using GeneralNamesPtr = CPtr<GENERAL_NAMES, GENERAL_NAMES_free>;
inline void x509_extension_stack_free(STACK_OF(X509_EXTENSION) * s) noexcept {
  sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free);
}
using X509ExtensionStackPtr = CPtr<STACK_OF(X509_EXTENSION), x509_extension_stack_free>;
using AuthorityKeyIdPtr = CPtr<AUTHORITY_KEYID, AUTHORITY_KEYID_free>;
using Asn1IntegerPtr = CPtr<ASN1_INTEGER, ASN1_INTEGER_free>;
inline void openssl_free(void* p) noexcept { OPENSSL_free(p); }
using OpensslBytesPtr = CPtr<unsigned char, openssl_free>;  // buffers from i2d_* etc.
using OpensslCharPtr = CPtr<char, openssl_free>;

// Throws dns01::Error (category internal) for a failed OpenSSL call, with the text of the
// first queued OpenSSL error as the cause, and clears the queue. Defined in core/src/openssl_error.cpp.
[[noreturn]] void throw_openssl_error(const char* component, std::string step);

// ldns
using LdnsPktPtr = CPtr<ldns_pkt, ldns_pkt_free>;
using LdnsRrPtr = CPtr<ldns_rr, ldns_rr_free>;
using LdnsRrListPtr = CPtr<ldns_rr_list, ldns_rr_list_deep_free>;
using LdnsRdfPtr = CPtr<ldns_rdf, ldns_rdf_deep_free>;
using LdnsResolverPtr = CPtr<ldns_resolver, ldns_resolver_deep_free>;
using LdnsBufferPtr = CPtr<ldns_buffer, ldns_buffer_free>;
inline void ldns_bytes_free(std::uint8_t* p) noexcept { LDNS_FREE(p); }
using LdnsWirePtr = CPtr<std::uint8_t, ldns_bytes_free>;  // wire buffers from ldns_*2wire

// POSIX file descriptor (sockets, files, lock files).
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// Adapter for C out-parameters: `f(out_ptr(p))` frees the old value, then lets f store a new one.
template <typename Ptr>
class OutPtr {
 public:
  explicit OutPtr(Ptr& owner) : owner_(owner) {}
  ~OutPtr() { owner_.reset(raw_); }
  OutPtr(const OutPtr&) = delete;
  OutPtr& operator=(const OutPtr&) = delete;
  operator typename Ptr::pointer*() noexcept { return &raw_; }

 private:
  Ptr& owner_;
  typename Ptr::pointer raw_ = nullptr;
};

template <typename Ptr>
OutPtr<Ptr> out_ptr(Ptr& owner) {
  return OutPtr<Ptr>(owner);
}

}  // namespace dns01
