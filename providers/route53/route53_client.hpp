#pragma once
// The Route 53 API (rest-xml, version 2013-04-01): one method per endpoint dns01 uses, each
// signed with SigV4 (service route53) and retried on Throttling, PriorRequestNotComplete and 5xx
// with backoff and jitter through Host::sleep().
//
// Errors: Failure with `route53`'s StatusCode mapping: 403 AccessDenied -> denied naming the IAM
// action; InvalidClientTokenId / SignatureDoesNotMatch / ExpiredToken -> auth; NoSuchHostedZone
// -> zone; anything else -> server; no answer -> network. change() returns an InvalidChangeBatch
// instead of throwing it, because a batch that raced another writer is re-read and retried.
// Threading: as the provider (one thread at a time).
#include <dns01/provider.hpp>

#include <optional>
#include <string>
#include <vector>

#include "credentials.hpp"
#include "settings.hpp"

namespace route53 {

struct HostedZone {
  std::string id;    // without "/hostedzone/"
  std::string name;  // lower case, trailing dot: "example.com."
  bool private_zone = false;
};

struct ZonePage {
  std::vector<HostedZone> zones;
  bool truncated = false;
  std::string next_dns_name, next_zone_id;
};

// A TXT RRset as Route 53 holds it: each value in presentation form ("\"abc\"").
struct TxtSet {
  std::uint32_t ttl = 0;
  std::vector<std::string> values;
};

struct Change {
  std::string action;  // CREATE, DELETE, UPSERT
  std::string name;    // FQDN without trailing dot
  TxtSet set;
};

struct ChangeOutcome {
  std::string change_id;              // without "/change/"; empty when rejected
  std::vector<std::string> rejected;  // InvalidChangeBatch messages
};

// The ChangeResourceRecordSetsRequest body, elements in the order the API model gives them.
std::string change_batch_xml(const std::vector<Change>& changes, const std::string& comment);

class Route53Client {
 public:
  Route53Client(dns01::provider::Host& host, const Route53Settings& settings,
                CredentialChain& credentials)
      : host_(host), settings_(settings), credentials_(credentials) {}

  // https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHostedZonesByName.html
  // An empty dns_name lists from the account's first zone.
  ZonePage list_hosted_zones_by_name(const std::string& dns_name, const std::string& zone_id);
  // https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSets.html
  // The TXT RRset at exactly `name` (the listing starts there; other names are ignored).
  std::optional<TxtSet> get_txt(const std::string& zone_id, const std::string& name);
  // https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html
  ChangeOutcome change(const std::string& zone_id, const std::vector<Change>& changes);
  // https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetChange.html
  // "PENDING" or "INSYNC".
  std::string get_change(const std::string& change_id);

 private:
  dns01::provider::HttpReply call(const std::string& method, const std::string& path,
                                  const std::vector<std::pair<std::string, std::string>>& query,
                                  const std::string& body, const std::string& step,
                                  const std::string& action);
  [[noreturn]] void fail(const dns01::provider::HttpReply& reply, const std::string& step,
                         const std::string& action);

  dns01::provider::Host& host_;
  const Route53Settings& settings_;
  CredentialChain& credentials_;
};

}  // namespace route53
