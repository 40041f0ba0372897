#include <catch2/catch.hpp>

#include "dns01/config.hpp"

using namespace dns01;
using namespace std::chrono_literals;

TEST_CASE("parse_endpoint accepts IPv4, IPv6 and host names with optional ports", "[config]") {
  auto ep = parse_endpoint("127.0.0.1", 53);
  CHECK(ep.host == "127.0.0.1");
  CHECK(ep.port == 53);
  CHECK(parse_endpoint("127.0.0.2:5353", 53).port == 5353);
  CHECK(parse_endpoint("::1", 53).str() == "[::1]:53");
  CHECK(parse_endpoint("[::1]:5300", 53).str() == "[::1]:5300");
  CHECK(parse_endpoint("[fd00::53]", 5353).str() == "[fd00::53]:5353");
  CHECK(parse_endpoint("2001:db8::1", 53).host == "2001:db8::1");
  CHECK(parse_endpoint("NS1.Example.TEST.", 53).str() == "ns1.example.test:53");
  CHECK(parse_endpoint("localhost:8053", 53).str() == "localhost:8053");
}

TEST_CASE("parse_endpoint refuses malformed input with a reason", "[config]") {
  for (const char* bad : {"", ":53", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
                          "127.0.0.1:-1", "127.0.0.1:5x", "[::1", "[::1]x", "[nothex]:53",
                          "1:2:3", "300.1.1.1", "1.2.3", "bad host:53", "a..b"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_endpoint(bad, 53), std::invalid_argument);
  }
  CHECK_THROWS_WITH(
      parse_endpoint("10.0.0.1:99999", 53),
      "'10.0.0.1:99999' is not a valid endpoint: port '99999' is not a number in 1..65535");
}

TEST_CASE("parse_duration reads units, combinations and bare seconds", "[config]") {
  CHECK(parse_duration("90s") == 90s);
  CHECK(parse_duration("2m") == 2min);
  CHECK(parse_duration("500ms") == 500ms);
  CHECK(parse_duration("1h") == 1h);
  CHECK(parse_duration("1h30m") == 90min);
  CHECK(parse_duration("1m30s") == 90s);
  CHECK(parse_duration("45") == 45s);
  CHECK(parse_duration(" 10s ") == 10s);
  CHECK(parse_duration("0") == 0ms);
}

TEST_CASE("parse_duration refuses bad input", "[config]") {
  for (const char* bad : {"", "s", "-5s", "1.5s", "10x", "10 s", "1m-5s", "5s10", "ten",
                          "99999999999999999999s", "1000000000h"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_duration(bad), std::invalid_argument);
  }
  CHECK_THROWS_WITH(parse_duration("10d"), Catch::Contains("unknown unit 'd'"));
}

TEST_CASE("format_duration is read back by parse_duration", "[config]") {
  for (std::chrono::milliseconds d : {std::chrono::milliseconds(0), std::chrono::milliseconds(500),
                                      std::chrono::milliseconds(1500),
                                      std::chrono::milliseconds(90s), std::chrono::milliseconds(2min),
                                      std::chrono::milliseconds(1h),
                                      std::chrono::milliseconds(3h + 1ms)}) {
    INFO(d.count());
    CHECK(parse_duration(format_duration(d)) == d);
  }
  CHECK(format_duration(90s) == "90s");
  CHECK(format_duration(120s) == "2m");
}

TEST_CASE("did_you_mean suggests close keys only", "[config]") {
  const std::vector<std::string> keys = {"server", "email", "timeout", "port", "dir", "key_type"};
  CHECK(did_you_mean("sever", keys) == "server");
  CHECK(did_you_mean("timout", keys) == "timeout");
  CHECK(did_you_mean("timeuot", keys) == "timeout");  // transposition counts once
  CHECK(did_you_mean("prot", keys) == "port");
  CHECK(did_you_mean("Server", keys) == "server");
  CHECK(did_you_mean("keytype", keys) == "key_type");
  CHECK_FALSE(did_you_mean("xyz", keys));
  CHECK_FALSE(did_you_mean("completely_different", keys));
  CHECK_FALSE(did_you_mean("sever", {}));
}
