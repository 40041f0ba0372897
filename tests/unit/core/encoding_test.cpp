#include <catch2/catch.hpp>

#include "dns01/encoding.hpp"

using namespace dns01;

TEST_CASE("base64url encodes without padding (RFC 4648 test vectors)", "[encoding]") {
  CHECK(base64url_encode("") == "");
  CHECK(base64url_encode("f") == "Zg");
  CHECK(base64url_encode("fo") == "Zm8");
  CHECK(base64url_encode("foo") == "Zm9v");
  CHECK(base64url_encode("foob") == "Zm9vYg");
  const std::uint8_t raw[] = {0xfb, 0xff, 0xbf};
  CHECK(base64url_encode(raw) == "-_-_");
}

TEST_CASE("base64url decodes with or without padding and rejects bad input", "[encoding]") {
  CHECK(base64url_decode("Zm9vYg") == Bytes{'f', 'o', 'o', 'b'});
  CHECK(base64url_decode("Zm9vYg==") == Bytes{'f', 'o', 'o', 'b'});
  CHECK(base64url_decode("-_-_") == Bytes{0xfb, 0xff, 0xbf});
  CHECK(base64url_decode("").empty());
  CHECK_THROWS_AS(base64url_decode("Zm9v+g"), std::invalid_argument);
  CHECK_THROWS_AS(base64url_decode("Z"), std::invalid_argument);
  CHECK_THROWS_AS(base64url_decode("Zm9v*"), std::invalid_argument);
}

TEST_CASE("standard base64 round-trips and rejects bad input", "[encoding]") {
  CHECK(base64_encode(as_bytes("foobar")) == "Zm9vYmFy");
  CHECK(base64_decode("Zm9vYmE=") == Bytes{'f', 'o', 'o', 'b', 'a'});
  CHECK_THROWS_AS(base64_decode("Zm9"), std::invalid_argument);
  CHECK_THROWS_AS(base64_decode("Zm9-"), std::invalid_argument);
}

TEST_CASE("hex encodes lower case and decodes either case", "[encoding]") {
  const std::uint8_t raw[] = {0x00, 0xab, 0xff};
  CHECK(hex_encode(raw) == "00abff");
  CHECK(hex_decode("00ABff") == Bytes{0x00, 0xab, 0xff});
  CHECK_THROWS_AS(hex_decode("abc"), std::invalid_argument);
  CHECK_THROWS_AS(hex_decode("zz"), std::invalid_argument);
}

TEST_CASE("sha256 matches the FIPS 180-2 'abc' vector", "[encoding]") {
  CHECK(hex_encode(sha256("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("constant_time_equal compares content and length", "[encoding]") {
  CHECK(constant_time_equal(as_bytes("secret"), as_bytes("secret")));
  CHECK_FALSE(constant_time_equal(as_bytes("secret"), as_bytes("secreT")));
  CHECK_FALSE(constant_time_equal(as_bytes("secret"), as_bytes("secrets")));
}
