#pragma once
// What the hook-mode clients send, turned into a HookRequest (records.hpp): the record name
// rule shared by every client, and lego's argument forms (exec provider `present`/`cleanup`
// and the httpreq JSON bodies carry the same two shapes). certbot's environment variables are
// read by its verb (cli/cmd_certbot.cpp). All functions are pure; errors are UsageError naming
// what was wrong and how the client is meant to call dns01.
#include <string>
#include <string_view>
#include <vector>

#include "dns01/flow/hookmodes/record_store.hpp"

namespace dns01::flow {

// What a client asks to publish.
struct HookRequest {
  HookClient client = HookClient::unknown;
  std::string domain;       // "" when only the record name is known (lego's fqdn form)
  std::string record_name;  // with or without a trailing dot
  std::string value;
  long owner_pid = 0;
};

// Canonical record name for an identifier: "_acme-challenge.<domain>" with any "*." and
// trailing dot removed, lower-cased. Throws UsageError for an empty or malformed name.
std::string challenge_record_name(std::string_view domain);

// lego's two argument forms (exec provider, httpreq): {"<fqdn.>", "<value>"}, or RAW
// {"<domain>", "<token>", "<keyAuth>"} whose value is base64url(SHA-256(keyAuth)).
// Throws UsageError for any other shape.
HookRequest lego_request(const std::vector<std::string>& args, HookClient client);

}  // namespace dns01::flow
