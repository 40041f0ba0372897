#pragma once
// AWS Signature Version 4 for header-signed requests (Route 53, STS), on OpenSSL's SHA-256 and
// HMAC. Pure functions: the caller supplies the time, so the AWS signing test suite
// (../shared/vectors/aws-sigv4, tests/sigv4_test.cpp) checks every step byte for byte.
//
// Errors: none expected; OpenSSL failures throw std::runtime_error (a bug or a broken libcrypto).
// Threading: pure functions.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace route53 {

struct SigningKey {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty: long-term keys
};

// What is signed: method, the path as sent (percent-encoded), the raw query (or empty), the
// headers to sign (Host included, with a non-default port exactly as sent) and the body.
struct SignedRequest {
  std::string method;
  std::string path;
  std::string query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool normalize = true;  // remove "."/".." and empty segments (every service but S3)
};

std::string sha256_hex(std::string_view data);

// The canonical request (SigV4 task 1): path normalised and encoded again (non-S3 services),
// query decoded and re-encoded then sorted, header names lower-cased, values trimmed with inner
// whitespace runs collapsed, duplicates comma-joined in order.
std::string canonical_request(const SignedRequest& request);
// "host;x-amz-date": the lower-case sorted names of request.headers.
std::string signed_header_names(const SignedRequest& request);
// Task 2. amz_date "20150830T123600Z"; scope "20150830/us-east-1/service/aws4_request".
std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical);
// Tasks 3 and 4: the hex signature.
std::string signature(std::string_view secret, std::string_view date, std::string_view region,
                      std::string_view service, std::string_view string_to_sign);

// The whole recipe: the headers to add to `request` (X-Amz-Date, X-Amz-Security-Token when the
// key has one, Authorization). request.headers must hold Host; X-Amz-Date and the token are
// added to the signed set here.
std::vector<std::pair<std::string, std::string>> sign(SignedRequest request,
                                                      const SigningKey& key,
                                                      std::string_view amz_date,
                                                      std::string_view region,
                                                      std::string_view service);

// Splits an absolute URL into what SigV4 needs: Host header value as curl sends it (port kept
// unless it is the scheme's default), path (at least "/") and raw query.
struct UrlParts {
  std::string scheme;
  std::string host;  // "route53.amazonaws.com", "127.0.0.1:18553"
  std::string path;
  std::string query;
};
UrlParts split_url(std::string_view url);  // throws std::invalid_argument when not http(s)://

}  // namespace route53
