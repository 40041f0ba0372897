// The hook clients' argument forms → HookRequest (protocols.hpp).
#include "dns01/flow/hookmodes/protocols.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "dns01/acme/jws.hpp"
#include "dns01/config.hpp"
#include "dns01/error.hpp"

namespace dns01::flow {
namespace {
constexpr const char* kComponent = "hooks";
}  // namespace

std::string challenge_record_name(std::string_view domain) {
  std::string_view d = domain;
  if (d.starts_with("*.")) d.remove_prefix(2);
  if (d.empty() || d == ".")
    throw UsageError(kComponent, "read the domain", "the domain is empty",
                     "the client must name the identifier, e.g. example.com");
  try {
    return "_acme-challenge." + normalize_dns_name(d);
  } catch (const std::invalid_argument& e) {
    throw UsageError(kComponent, fmt::format("read the domain '{}'", domain), e.what(),
                     "give the identifier as the CA has it, e.g. example.com");
  }
}

HookRequest lego_request(const std::vector<std::string>& args, HookClient client) {
  HookRequest request;
  request.client = client;
  if (args.size() == 2) {
    request.record_name = args[0];
    request.value = args[1];
  } else if (args.size() == 3) {
    request.domain = args[0];
    request.record_name = challenge_record_name(args[0]);
    if (!args[2].starts_with(args[1] + "."))
      throw UsageError(kComponent, "read the RAW arguments",
                       "the key authorization does not start with the token and a dot",
                       "RAW mode passes <domain> <token> <keyAuth> in that order");
    request.value = acme::dns01_txt_value(args[2]);
  } else {
    throw UsageError(kComponent, "read the arguments",
                     fmt::format("expected 2 (<fqdn.> <value>) or 3 (-- <domain> <token> "
                                 "<keyAuth>) arguments, got {}",
                                 args.size()),
                     "this is lego's exec protocol: EXEC_PATH=dns01 (see docs/hooks.md)");
  }
  if (request.value.empty())
    throw UsageError(kComponent, "read the TXT value", "the value is empty",
                     "pass the challenge's TXT value (43 base64url characters)");
  return request;
}

}  // namespace dns01::flow
