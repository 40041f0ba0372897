// The CA shortcut table (docs/acme.md lists the same names; keep them in sync).
#include "dns01/acme/ca.hpp"

#include <fmt/format.h>

#include "dns01/error.hpp"
#include "dns01/http.hpp"

namespace dns01::acme {

namespace {

constexpr CaShortcut kTable[] = {
    {"letsencrypt", "https://acme-v02.api.letsencrypt.org/directory", "letsencrypt-staging",
     "Let's Encrypt production"},
    {"letsencrypt-staging", "https://acme-staging-v02.api.letsencrypt.org/directory", nullptr,
     "Let's Encrypt staging (untrusted test certificates)"},
    {"zerossl", "https://acme.zerossl.com/v2/DV90", nullptr, "ZeroSSL (EAB required)"},
    {"google", "https://dv.acme-v02.api.pki.goog/directory", "google-staging",
     "Google Trust Services (EAB required)"},
    {"google-staging", "https://dv.acme-v02.test-api.pki.goog/directory", nullptr,
     "Google Trust Services staging (EAB required)"},
    {"buypass", "https://api.buypass.com/acme/directory", "buypass-staging", "Buypass Go SSL"},
    {"buypass-staging", "https://api.test4.buypass.no/acme/directory", nullptr, "Buypass staging"},
    {"actalis", "https://acme-api.actalis.com/acme/directory", nullptr, "Actalis (EAB required)"},
    {"sslcom", "https://acme.ssl.com/sslcom-dv-rsa", nullptr, "SSL.com RSA (EAB required; ECC: sslcom-dv-ecc)"},
};

const CaShortcut* find(std::string_view name_or_url) {
  for (const auto& ca : kTable)
    if (name_or_url == ca.name || name_or_url == ca.url) return &ca;
  return nullptr;
}

}  // namespace

const std::vector<CaShortcut>& ca_shortcuts() {
  static const std::vector<CaShortcut> table(std::begin(kTable), std::end(kTable));
  return table;
}

std::string resolve_directory_url(std::string_view name_or_url) {
  for (const auto& ca : kTable)
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
  for (const auto& ca : kTable) names += fmt::format("{}{}", names.empty() ? "" : ", ", ca.name);
  throw UsageError("acme", "resolve CA", fmt::format("'{}' is neither a known CA shortcut nor a URL", name_or_url),
                   fmt::format("give a directory URL (https://...) or one of: {}", names));
}

std::optional<std::string> staging_directory_for(std::string_view name_or_url) {
  const CaShortcut* ca = find(name_or_url);
  if (!ca || !ca->staging) return std::nullopt;
  const CaShortcut* twin = find(ca->staging);
  return twin ? std::optional<std::string>(twin->url) : std::nullopt;
}

bool is_staging_directory(std::string_view url) {
  const CaShortcut* ca = find(url);
  if (!ca) return false;
  for (const auto& prod : kTable)
    if (prod.staging && std::string_view(prod.staging) == ca->name) return true;
  return false;
}

std::optional<std::string> ca_shortcut_name(std::string_view url) {
  for (const auto& ca : kTable)
    if (url == ca.url) return std::string(ca.name);
  return std::nullopt;
}

}  // namespace dns01::acme
