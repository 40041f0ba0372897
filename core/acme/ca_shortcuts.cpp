// The CA shortcut table (docs/acme.md lists the same names; keep them in sync).
#include <fmt/format.h>

#include "dns01/acme/documents.hpp"
#include "dns01/http.hpp"

namespace dns01::acme {

const std::vector<CaShortcut>& ca_shortcuts() {
  static const std::vector<CaShortcut> table = {
      {"letsencrypt", "https://acme-v02.api.letsencrypt.org/directory", "Let's Encrypt production"},
      {"letsencrypt-staging", "https://acme-staging-v02.api.letsencrypt.org/directory",
       "Let's Encrypt staging (untrusted test certificates)"},
      {"zerossl", "https://acme.zerossl.com/v2/DV90", "ZeroSSL (EAB required)"},
      {"google", "https://dv.acme-v02.api.pki.goog/directory", "Google Trust Services (EAB required)"},
      {"google-staging", "https://dv.acme-v02.test-api.pki.goog/directory",
       "Google Trust Services staging (EAB required)"},
      {"buypass", "https://api.buypass.com/acme/directory", "Buypass Go SSL"},
      {"buypass-staging", "https://api.test4.buypass.no/acme/directory", "Buypass staging"},
      {"actalis", "https://acme-api.actalis.com/acme/directory", "Actalis (EAB required)"},
      {"sslcom", "https://acme.ssl.com/sslcom-dv-rsa", "SSL.com RSA (EAB required; ECC: sslcom-dv-ecc)"},
  };
  return table;
}

std::string resolve_directory_url(std::string_view name_or_url) {
  for (const auto& ca : ca_shortcuts())
    if (name_or_url == ca.name) return ca.url;
  if (name_or_url.starts_with("http://"))
    throw UsageError("acme", "resolve CA",
                     fmt::format("'{}' is a plain http:// URL; RFC 8555 requires HTTPS for ACME",
                                 redact_url(name_or_url)),
                     "give the CA's https:// directory URL");
  if (name_or_url.starts_with("https://")) {
    if (name_or_url.size() > 8 && name_or_url.find_first_of(" \t\r\n") == std::string_view::npos)
      return std::string(name_or_url);
  }
  std::string names;
  for (const auto& ca : ca_shortcuts()) names += fmt::format("{}{}", names.empty() ? "" : ", ", ca.name);
  throw UsageError("acme", "resolve CA", fmt::format("'{}' is neither a known CA shortcut nor a URL", name_or_url),
                   fmt::format("give a directory URL (https://...) or one of: {}", names));
}

}  // namespace dns01::acme
