// provider-throws.so: the right ABI, but a hand-written factory that throws instead of returning
// a failed Status (breaking the ABI's error convention). The host must turn that into a clean
// error naming the module instead of crashing.
#include <dns01/provider.hpp>

#include <cstdint>
#include <stdexcept>

// Written by hand (not DNS01_PROVIDER_EXPORT), as a module from another release would be.
extern "C" __attribute__((visibility("default"))) const std::uint32_t dns01_provider_abi = dns01::provider::kAbiVersion;

extern "C" __attribute__((visibility("default"))) dns01::provider::CreateResult
dns01_provider_create(const dns01::provider::Settings&, dns01::provider::Host&) {
  throw std::runtime_error("cannot reach the provider API at start-up");
}
