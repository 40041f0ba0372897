// libFuzzer target for the reply path of the propagation check: every byte string a server (or
// an attacker spoofing one) can send goes through parse_reply, then the checks applied to a
// parsed reply. Build with -fsanitize=fuzzer,address (the integrator wires the fuzz build):
//   clang++ -std=c++20 -fsanitize=fuzzer,address fuzz_dns_response.cpp -ldns01-propagation ...
#include <cstddef>
#include <cstdint>
#include <span>

#include "dns01/propagation/message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dns01::propagation;
  std::string why;
  auto reply = parse_reply(std::span(data, size), &why);
  if (!reply) return 0;
  const Question question{"_acme-challenge.example.test", rrtype::TXT};
  (void)reply_matches(*reply, reply->id, question);
  for (const auto& q : reply->questions) {
    (void)summarize(*reply, q.name);
    (void)reply->txt(q.name);
    (void)parent_name(q.name);
  }
  for (const auto* section : {&reply->answer, &reply->authority, &reply->additional})
    for (const auto& r : *section) (void)is_subdomain(r.owner, r.data);
  return 0;
}
