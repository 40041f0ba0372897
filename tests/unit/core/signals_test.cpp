#include <csignal>

#include <catch2/catch.hpp>

#include "dns01/signals.hpp"

TEST_CASE("SIGTERM becomes a stop request while StopOnSignals lives", "[signals]") {
  {
    dns01::StopOnSignals stop;
    CHECK_FALSE(dns01::stop_requested());
    std::raise(SIGTERM);
    CHECK(dns01::stop_requested());
    CHECK(dns01::stop_signal() == SIGTERM);
  }
  CHECK_FALSE(dns01::stop_requested());  // cleared with the guard
}

TEST_CASE("SIGINT is a stop request too", "[signals]") {
  dns01::StopOnSignals stop;
  std::raise(SIGINT);
  CHECK(dns01::stop_signal() == SIGINT);
}
