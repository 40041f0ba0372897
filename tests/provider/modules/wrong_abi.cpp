// provider-wrongabi.so: exports a valid factory but an old ABI version, exactly as a module
// built against a previous dns01/provider.hpp would. The loader must refuse it without calling
// the factory.
#include <dns01/provider.hpp>

#include <cstdint>
#include <stdexcept>

// Written by hand (not DNS01_PROVIDER_EXPORT), as a module from another release would be.
extern "C" __attribute__((visibility("default"))) const std::uint32_t dns01_provider_abi = 19990101;

extern "C" __attribute__((visibility("default"))) dns01::provider::CreateResult
dns01_provider_create(const dns01::provider::Settings&, dns01::provider::Host&) {
  throw std::logic_error("the factory of a wrong-ABI module must never be called");
}
