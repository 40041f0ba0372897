#pragma once
// RAII owners for the C handles the rfc2136 provider uses (ldns, getaddrinfo). They live in the
// provider's folder because a provider includes no dns01 header but the ABI's: code used by one
// provider stays in that provider.
//
// Threading: plain unique_ptr semantics. Errors: none (the deleters are noexcept and accept null).

// ldns/common.h defines the macros `bool`, `true` and `false` in C++ unless
// __bool_true_false_are_defined is set, which breaks later standard headers; <stdbool.h> sets it.
#include <stdbool.h>  // NOLINT(modernize-deprecated-headers): must come before ldns

#include <ldns/ldns.h>
#include <netdb.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

namespace rfc2136 {

template <auto Fn>
struct CDeleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    if (p) Fn(p);
  }
};

template <typename T, auto Fn>
using CPtr = std::unique_ptr<T, CDeleter<Fn>>;

inline void ldns_bytes_free(std::uint8_t* p) noexcept { LDNS_FREE(p); }

using LdnsPktPtr = CPtr<ldns_pkt, ldns_pkt_free>;
using LdnsRrPtr = CPtr<ldns_rr, ldns_rr_free>;
using LdnsRrListPtr = CPtr<ldns_rr_list, ldns_rr_list_deep_free>;
using LdnsRdfPtr = CPtr<ldns_rdf, ldns_rdf_deep_free>;
using LdnsResolverPtr = CPtr<ldns_resolver, ldns_resolver_deep_free>;
using LdnsWirePtr = CPtr<std::uint8_t, ldns_bytes_free>;  // buffers from ldns_pkt2wire
using AddrinfoPtr = CPtr<addrinfo, freeaddrinfo>;

// The presentation text of an rdf ("example.com.", "\"token\""); empty when ldns cannot print it.
inline std::string rdf_text(const ldns_rdf* rdf) {
  // ldns_rdf2str returns a malloc'd string that the caller frees.
  std::unique_ptr<char, decltype(&std::free)> raw{rdf ? ldns_rdf2str(rdf) : nullptr, &std::free};
  return raw ? std::string(raw.get()) : std::string();
}

}  // namespace rfc2136
