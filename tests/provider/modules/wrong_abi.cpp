// provider-wrongabi.so: exports a valid factory but an old ABI version, exactly as a module
// built against a previous dns01/provider.hpp would. The loader must refuse it without calling
// the factory.
#include <dns01/provider.hpp>

#include <cstdint>
#include <stdexcept>

namespace wrong_abi {

const std::uint32_t abi_version = 19990101;

dns01::provider::CreateResult create(const dns01::provider::Settings&, dns01::provider::Host&) {
  throw std::logic_error("the factory of a wrong-ABI module must never be called");
}

}  // namespace wrong_abi

BOOST_DLL_ALIAS(wrong_abi::abi_version, dns01_provider_abi)
BOOST_DLL_ALIAS(wrong_abi::create, dns01_provider_create)
