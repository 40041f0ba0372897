// certbot renewal confs as `dns01 import` reads them (the whole import runs against the real
// certbot in tests/e2e/test_cli_import.py).
#include <catch2/catch.hpp>

#include "dns01/flow/certbot_import.hpp"

using dns01::flow::parse_certbot_conf;

TEST_CASE("certbot renewal confs: top-level keys and [renewalparams]", "[flow]") {
  const auto conf = parse_certbot_conf(
      "# renew_before_expiry = 30 days\n"
      "version = 2.1.0\n"
      "archive_dir = /etc/letsencrypt/archive/example.com\n"
      "cert = /etc/letsencrypt/live/example.com/cert.pem\n"
      "\n"
      "# Options used in the renewal process\n"
      "[renewalparams]\n"
      "account = 0123abcd\n"
      "authenticator = dns-rfc2136\n"
      "server = https://acme-v02.api.letsencrypt.org/directory\n"
      "renew_hook = \"systemctl reload nginx\"\n"
      "  key_type = ecdsa  \r\n"
      "[[webroot_map]]\n"
      "example.com = /var/www\n");
  CHECK(conf.at("version") == "2.1.0");
  CHECK(conf.at("cert") == "/etc/letsencrypt/live/example.com/cert.pem");
  CHECK(conf.at("renewalparams.authenticator") == "dns-rfc2136");
  CHECK(conf.at("renewalparams.server") == "https://acme-v02.api.letsencrypt.org/directory");
  CHECK(conf.at("renewalparams.renew_hook") == "systemctl reload nginx");
  CHECK(conf.at("renewalparams.key_type") == "ecdsa");
  CHECK(conf.at("webroot_map.example.com") == "/var/www");
  CHECK(conf.count("renew_before_expiry") == 0);  // a comment
}
