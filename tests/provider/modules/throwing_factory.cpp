// provider-throws.so: the right ABI, but a hand-written factory that throws instead of returning
// a failed Status (breaking the ABI's error convention). The host must turn that into a clean
// error naming the module instead of crashing.
#include <dns01/provider.hpp>

#include <cstdint>
#include <stdexcept>

namespace throwing {

const std::uint32_t abi_version = dns01::provider::kAbiVersion;

dns01::provider::CreateResult create(const dns01::provider::Settings&, dns01::provider::Host&) {
  throw std::runtime_error("cannot reach the provider API at start-up");
}

}  // namespace throwing

BOOST_DLL_ALIAS(throwing::abi_version, dns01_provider_abi)
BOOST_DLL_ALIAS(throwing::create, dns01_provider_create)
