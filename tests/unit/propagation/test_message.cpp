// DNS message building and defensive parsing.
#include <catch2/catch.hpp>

#include "dns01/error.hpp"
#include "dns01/propagation/message.hpp"
#include "dns01/raii.hpp"

using namespace dns01::propagation;

namespace {

std::vector<std::uint8_t> reply_wire(const std::vector<std::string>& answer, std::uint16_t id = 7,
                                     const char* qname = "_acme-challenge.example.test.") {
  dns01::LdnsPktPtr pkt{ldns_pkt_new()};
  ldns_pkt_set_id(pkt.get(), id);
  ldns_pkt_set_qr(pkt.get(), true);
  ldns_pkt_set_aa(pkt.get(), true);
  dns01::LdnsRrPtr q;
  REQUIRE(ldns_rr_new_question_frm_str(dns01::out_ptr(q), (std::string(qname) + " IN TXT").c_str(),
                                       nullptr, nullptr) == LDNS_STATUS_OK);
  ldns_pkt_push_rr(pkt.get(), LDNS_SECTION_QUESTION, q.release());
  for (const auto& text : answer) {
    dns01::LdnsRrPtr rr;
    REQUIRE(ldns_rr_new_frm_str(dns01::out_ptr(rr), text.c_str(), 60, nullptr, nullptr) ==
            LDNS_STATUS_OK);
    ldns_pkt_push_rr(pkt.get(), LDNS_SECTION_ANSWER, rr.release());
  }
  std::uint8_t* raw = nullptr;
  std::size_t size = 0;
  REQUIRE(ldns_pkt2wire(&raw, pkt.get(), &size) == LDNS_STATUS_OK);
  dns01::LdnsWirePtr owner{raw};
  return {raw, raw + size};
}

}  // namespace

TEST_CASE("names are canonicalised and walked up", "[propagation]") {
  CHECK(canonical_name("_ACME-Challenge.Example.TEST.") == "_acme-challenge.example.test");
  CHECK(canonical_name(".") == ".");
  CHECK(canonical_name("") == ".");
  CHECK(parent_name("a.b.c") == "b.c");
  CHECK(parent_name("c") == ".");
  CHECK_FALSE(parent_name(".").has_value());
  CHECK(is_subdomain("a.example.test", "example.test"));
  CHECK(is_subdomain("example.test", "example.test"));
  CHECK_FALSE(is_subdomain("badexample.test", "example.test"));
  CHECK(is_subdomain("anything", "."));
}

TEST_CASE("a query round-trips with ID, RD and EDNS0", "[propagation]") {
  auto wire = build_query({"_acme-challenge.example.test", rrtype::TXT}, 0xbeef, {true, 1232});
  dns01::LdnsPktPtr pkt;
  REQUIRE(ldns_wire2pkt(dns01::out_ptr(pkt), wire.data(), wire.size()) == LDNS_STATUS_OK);
  CHECK(ldns_pkt_id(pkt.get()) == 0xbeef);
  CHECK(ldns_pkt_rd(pkt.get()));
  CHECK(ldns_pkt_edns_udp_size(pkt.get()) == 1232);
  auto no_rd = build_query({"example.test", rrtype::SOA}, 1, {false, 0});
  REQUIRE(ldns_wire2pkt(dns01::out_ptr(pkt), no_rd.data(), no_rd.size()) == LDNS_STATUS_OK);
  CHECK_FALSE(ldns_pkt_rd(pkt.get()));
  CHECK_FALSE(ldns_pkt_edns(pkt.get()));
}

TEST_CASE("multi-string TXT records are joined", "[propagation]") {
  auto wire = reply_wire({"_acme-challenge.example.test. 60 IN TXT \"abc\" \"def\"",
                          "_acme-challenge.example.test. 60 IN TXT \"single\""});
  auto reply = parse_reply(wire);
  REQUIRE(reply);
  CHECK(reply->aa);
  CHECK(reply->txt("_acme-challenge.example.test") == std::vector<std::string>{"abcdef", "single"});
  CHECK(reply_matches(*reply, 7, {"_acme-challenge.example.test", rrtype::TXT}));
  CHECK_FALSE(reply_matches(*reply, 8, {"_acme-challenge.example.test", rrtype::TXT}));
  CHECK_FALSE(reply_matches(*reply, 7, {"other.example.test", rrtype::TXT}));
  CHECK_FALSE(reply_matches(*reply, 7, {"_acme-challenge.example.test", rrtype::SOA}));
  CHECK(summarize(*reply, "_acme-challenge.example.test") == "NOERROR aa TXT \"abcdef\", \"single\"");
}

TEST_CASE("malformed replies are rejected with a reason, never a crash", "[propagation]") {
  auto good = reply_wire({"_acme-challenge.example.test. 60 IN TXT \"abc\""});
  std::string why;
  CHECK_FALSE(parse_reply(std::span(good.data(), 5), &why));
  CHECK_THAT(why, Catch::Contains("truncated header"));
  for (std::size_t cut = 12; cut < good.size(); ++cut) {
    auto r = parse_reply(std::span(good.data(), cut));  // every truncation point
    if (r) CHECK(r->answer.size() <= 1);
  }
  auto bad_count = good;
  bad_count[7] = 200;  // ANCOUNT far beyond the data
  CHECK_FALSE(parse_reply(bad_count, &why));
  std::vector<std::uint8_t> pointer_loop = {0, 7, 0x84, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 16, 0, 1};
  CHECK_FALSE(parse_reply(pointer_loop, &why));
}

TEST_CASE("query names that cannot be encoded are a PropagationError", "[propagation]") {
  std::string long_label(70, 'a');
  CHECK_THROWS_AS(build_query({long_label + ".example.test", rrtype::TXT}, 1, {}),
                  dns01::PropagationError);
}
