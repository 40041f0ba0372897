// The fake DNS server's UPDATE and TSIG support, checked with an independent client: BIND's
// nsupdate (package bind9-dnsutils). The provider tests rely on the fake verifying real TSIG
// signatures, signing replies a real client accepts, and answering TSIG errors as BIND does.
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "dns/fake_dns_server.hpp"
#include "dns/fake_update_zone.hpp"
#include "temp_dir.hpp"

using dns01::test::FakeDnsServer;
using dns01::test::TempDir;
using dns01::test::UpdatableZone;

namespace {

constexpr const char* kSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I=";
constexpr const char* kOtherSecret = "b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItb3Q=";
constexpr const char* kName = "_acme-challenge.example.test";

struct Run {
  int status = -1;
  std::string output;
};

// nsupdate -y <algorithm:name:secret> on a script, with a 5 s timeout per exchange.
Run nsupdate(const FakeDnsServer& server, const std::string& key, const std::string& commands) {
  TempDir dir("fake-update");
  const auto script = dir.path() / "commands";
  std::ofstream(script) << "server " << server.ip() << " " << server.port() << "\n"
                        << commands << "send\n";
  const std::string command =
      "nsupdate -t 5 -y '" + key + "' '" + script.string() + "' 2>&1";
  Run run;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe{::popen(command.c_str(), "r"), ::pclose};
  REQUIRE(pipe);
  std::array<char, 512> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe.get())) run.output += buffer.data();
  run.status = ::pclose(pipe.release());
  return run;
}

}  // namespace

TEST_CASE("fake dns: nsupdate's signed UPDATE is verified, applied and its signed reply accepted",
          "[fake][rfc2136]") {
  UpdatableZone zone("example.test");
  FakeDnsServer server(zone.handler());
  server.set_tsig_key({"dns01-acme", "hmac-sha256", kSecret});
  zone.require_key("dns01-acme", "hmac-sha256");
  const std::string key = std::string("hmac-sha256:dns01-acme:") + kSecret;

  auto run = nsupdate(server, key,
                      "update add " + std::string(kName) + ". 60 TXT \"from-nsupdate\"\n"
                      "update add " + std::string(kName) + ". 60 TXT \"second\"\n");
  INFO(run.output);
  CHECK(run.status == 0);  // nsupdate fails on a reply whose TSIG does not verify
  CHECK(zone.txt(kName) == std::vector<std::string>{"from-nsupdate", "second"});
  const auto updates = server.queries();
  REQUIRE_FALSE(updates.empty());
  const auto& update = updates.back();
  CHECK(update.opcode == 5);
  CHECK(update.name == "example.test");
  REQUIRE(update.update.size() == 2);
  CHECK(update.update[0].name == kName);
  CHECK(update.update[0].type == 16);
  CHECK(update.update[0].rclass == 1);
  CHECK(update.update[0].ttl == 60);
  CHECK(update.update[0].rdata == "\"from-nsupdate\"");
  REQUIRE(update.tsig);
  CHECK(update.tsig->verified);

  run = nsupdate(server, key, "update delete " + std::string(kName) + ". TXT \"from-nsupdate\"\n");
  CHECK(run.status == 0);
  CHECK(zone.txt(kName) == std::vector<std::string>{"second"});
}

TEST_CASE("fake dns: a wrong secret and an unknown key get BIND's TSIG errors",
          "[fake][rfc2136]") {
  UpdatableZone zone("example.test");
  FakeDnsServer server(zone.handler());
  server.set_tsig_key({"dns01-acme", "hmac-sha256", kSecret});
  zone.require_key("dns01-acme", "hmac-sha256");
  const std::string add = "update add " + std::string(kName) + ". 60 TXT \"x\"\n";

  auto run = nsupdate(server, std::string("hmac-sha256:dns01-acme:") + kOtherSecret, add);
  INFO(run.output);
  CHECK(run.status != 0);
  CHECK(run.output.find("NOTAUTH(BADSIG)") != std::string::npos);
  CHECK_FALSE(server.queries().back().tsig->verified);

  run = nsupdate(server, std::string("hmac-sha256:no-such-key:") + kSecret, add);
  INFO(run.output);
  CHECK(run.output.find("NOTAUTH(BADKEY)") != std::string::npos);
  CHECK(zone.txt(kName).empty());
  CHECK(zone.applied() == 0);
}
