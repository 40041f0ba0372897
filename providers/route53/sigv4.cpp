// SigV4 signing: the recipe of the AWS General Reference, "Create a signed AWS API request".
#include "sigv4.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <map>
#include <stdexcept>

namespace route53 {
namespace {

std::string hex(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0x0f];
  }
  return out;
}

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &size))
    throw std::runtime_error("route53: sign: OpenSSL HMAC-SHA256 failed");
  return std::string(reinterpret_cast<const char*>(out), size);
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return out;
}

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

std::string encode(std::string_view text, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (unreserved(c) || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 0x0f];
    }
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding; '+' stays '+' (SigV4 queries are not form-encoded).
std::string decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// RFC 3986 §5.2.4 dot-segment removal, and empty segments ("//") collapsed as the suite's
// normalised cases expect.
std::string normalize_path(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(start, end - start);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.emplace_back(segment);
    }
    start = end + 1;
  }
  std::string out;
  for (const auto& s : segments) out += "/" + s;
  const bool trailing = !path.empty() && path.back() == '/' && !segments.empty();
  const bool dot_end = path.ends_with("/.") || path.ends_with("/..");
  if (out.empty()) return "/";
  if (trailing || dot_end) out += '/';
  return out;
}

std::string collapse(std::string_view value) {
  std::string out;
  bool space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!EVP_Digest(data.data(), data.size(), out, &size, EVP_sha256(), nullptr))
    throw std::runtime_error("route53: sign: OpenSSL SHA-256 failed");
  return hex(out, size);
}

std::string canonical_request(const SignedRequest& request) {
  std::string out = request.method + "\n";
  // Non-S3 services: the path is normalised, then each (already encoded) segment encoded again.
  out += encode(request.normalize ? normalize_path(request.path) : request.path, true) + "\n";

  std::vector<std::pair<std::string, std::string>> params;
  std::size_t start = 0;
  while (!request.query.empty() && start <= request.query.size()) {
    std::size_t end = request.query.find('&', start);
    if (end == std::string::npos) end = request.query.size();
    std::string_view pair = std::string_view(request.query).substr(start, end - start);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      const std::string key(eq == std::string_view::npos ? pair : pair.substr(0, eq));
      const std::string value(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
      params.emplace_back(encode(decode(key), false), encode(decode(value), false));
    }
    start = end + 1;
  }
  std::sort(params.begin(), params.end());
  for (std::size_t i = 0; i < params.size(); ++i)
    out += (i ? "&" : "") + params[i].first + "=" + params[i].second;
  out += "\n";

  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : request.headers) {
    auto& slot = headers[lower(name)];
    slot += (slot.empty() ? "" : ",") + collapse(value);
  }
  for (const auto& [name, value] : headers) out += name + ":" + value + "\n";
  out += "\n" + signed_header_names(request) + "\n" + sha256_hex(request.body);
  return out;
}

std::string signed_header_names(const SignedRequest& request) {
  std::vector<std::string> names;
  for (const auto& header : request.headers) names.push_back(lower(header.first));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ";") + name;
  return out;
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical) {
  return "AWS4-HMAC-SHA256\n" + std::string(amz_date) + "\n" + std::string(scope) + "\n" +
         sha256_hex(canonical);
}

std::string signature(std::string_view secret, std::string_view date, std::string_view region,
                      std::string_view service, std::string_view to_sign) {
  std::string key = hmac("AWS4" + std::string(secret), date);
  key = hmac(key, region);
  key = hmac(key, service);
  key = hmac(key, "aws4_request");
  const std::string mac = hmac(key, to_sign);
  return hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
}

std::vector<std::pair<std::string, std::string>> sign(SignedRequest request,
                                                      const SigningKey& key,
                                                      std::string_view amz_date,
                                                      std::string_view region,
                                                      std::string_view service) {
  std::vector<std::pair<std::string, std::string>> added;
  added.emplace_back("X-Amz-Date", std::string(amz_date));
  if (!key.session_token.empty()) added.emplace_back("X-Amz-Security-Token", key.session_token);
  for (const auto& header : added) request.headers.push_back(header);
  const std::string date(amz_date.substr(0, 8));
  const std::string scope = date + "/" + std::string(region) + "/" + std::string(service) +
                            "/aws4_request";
  const std::string to_sign = string_to_sign(amz_date, scope, canonical_request(request));
  added.emplace_back("Authorization",
                     "AWS4-HMAC-SHA256 Credential=" + key.access_key_id + "/" + scope +
                         ", SignedHeaders=" + signed_header_names(request) + ", Signature=" +
                         signature(key.secret_access_key, date, region, service, to_sign));
  return added;
}

UrlParts split_url(std::string_view url) {
  UrlParts parts;
  const auto colon = url.find("://");
  if (colon == std::string_view::npos) throw std::invalid_argument("not an absolute URL");
  parts.scheme = lower(url.substr(0, colon));
  if (parts.scheme != "https" && parts.scheme != "http")
    throw std::invalid_argument("the scheme is not https:// or http://");
  std::string_view rest = url.substr(colon + 3);
  const auto slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  if (authority.empty()) throw std::invalid_argument("the URL has no host");
  std::string host = lower(authority);
  const std::string default_port = parts.scheme == "https" ? ":443" : ":80";
  if (host.ends_with(default_port)) host.resize(host.size() - default_port.size());
  parts.host = host;
  std::string_view tail = slash == std::string_view::npos ? "" : rest.substr(slash);
  const auto q = tail.find('?');
  parts.path = std::string(tail.substr(0, q));
  if (parts.path.empty()) parts.path = "/";
  if (q != std::string_view::npos) parts.query = std::string(tail.substr(q + 1));
  return parts;
}

}  // namespace route53
