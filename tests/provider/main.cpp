// The provider suite: Catch2 tests that load the real provider-*.so modules from the build tree.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
