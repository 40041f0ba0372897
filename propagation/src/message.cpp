// Query building and defensive reply parsing with ldns.
#include "dns01/propagation/message.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "dns01/error.hpp"
#include "dns01/raii.hpp"

namespace dns01::propagation {
namespace {

std::string rdf_text(const ldns_rdf* rdf) {
  if (!rdf) return {};
  char* s = ldns_rdf2str(rdf);
  if (!s) return {};
  std::string out(s);
  LDNS_FREE(s);
  return out;
}

// A TXT rdf is one <character-string>: a length byte then that many bytes.
std::string character_string(const ldns_rdf* rdf) {
  const std::size_t size = ldns_rdf_size(rdf);
  const std::uint8_t* data = ldns_rdf_data(rdf);
  if (size == 0 || !data) return {};
  std::size_t len = std::min<std::size_t>(data[0], size - 1);
  return std::string(reinterpret_cast<const char*>(data + 1), len);
}

// Printable form of a TXT value for progress lines (it comes from the network).
std::string printable(std::string_view v) {
  std::string out;
  for (unsigned char c : v.substr(0, 64)) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') out += static_cast<char>(c);
    else out += fmt::format("\\{:03d}", c);
  }
  if (v.size() > 64) out += "...";
  return out;
}

Record convert(const ldns_rr* rr) {
  Record r;
  r.owner = canonical_name(rdf_text(ldns_rr_owner(rr)));
  r.type = static_cast<std::uint16_t>(ldns_rr_get_type(rr));
  r.ttl = ldns_rr_ttl(rr);
  const std::size_t n = ldns_rr_rd_count(rr);
  switch (r.type) {
    case rrtype::TXT:
      for (std::size_t i = 0; i < n; ++i) r.data += character_string(ldns_rr_rdf(rr, i));
      break;
    case rrtype::CNAME:
    case rrtype::NS:
      if (n >= 1) r.data = canonical_name(rdf_text(ldns_rr_rdf(rr, 0)));
      break;
    case rrtype::SOA:
      if (n >= 1) r.data = canonical_name(rdf_text(ldns_rr_rdf(rr, 0)));
      if (n >= 3) r.soa_serial = ldns_rdf2native_int32(ldns_rr_rdf(rr, 2));
      break;
    default:
      for (std::size_t i = 0; i < n; ++i) {
        if (i) r.data += ' ';
        r.data += rdf_text(ldns_rr_rdf(rr, i));
      }
  }
  return r;
}

std::vector<Record> convert_list(const ldns_rr_list* list) {
  std::vector<Record> out;
  if (!list) return out;
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(list); ++i)
    out.push_back(convert(ldns_rr_list_rr(list, i)));
  return out;
}

}  // namespace

std::string rcode_name(int rc) {
  switch (rc) {
    case 0: return "NOERROR";
    case 1: return "FORMERR";
    case 2: return "SERVFAIL";
    case 3: return "NXDOMAIN";
    case 4: return "NOTIMP";
    case 5: return "REFUSED";
    case 9: return "NOTAUTH";
    default: return fmt::format("RCODE{}", rc);
  }
}

std::string rrtype_name(std::uint16_t type) {
  switch (type) {
    case rrtype::A: return "A";
    case rrtype::NS: return "NS";
    case rrtype::CNAME: return "CNAME";
    case rrtype::SOA: return "SOA";
    case rrtype::TXT: return "TXT";
    case rrtype::AAAA: return "AAAA";
    default: return fmt::format("TYPE{}", type);
  }
}

std::string canonical_name(std::string_view name) {
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  while (out.size() > 1 && out.back() == '.') out.pop_back();
  // (Returning a new string rather than assigning "." avoids a GCC 12 -Wrestrict false positive.)
  if (out.empty()) return std::string(".");
  return out;
}

std::optional<std::string> parent_name(std::string_view canonical) {
  if (canonical == "." || canonical.empty()) return std::nullopt;
  auto dot = canonical.find('.');
  if (dot == std::string_view::npos) return std::string(".");
  return std::string(canonical.substr(dot + 1));
}

bool is_subdomain(std::string_view name, std::string_view zone) {
  if (zone == ".") return true;
  if (name == zone) return true;
  return name.size() > zone.size() && name.ends_with(zone) &&
         name[name.size() - zone.size() - 1] == '.';
}

std::vector<std::uint8_t> build_query(const Question& question, std::uint16_t id,
                                      const QueryOptions& options) {
  const std::string fqdn = question.name == "." ? "." : question.name + ".";
  LdnsRdfPtr owner{ldns_dname_new_frm_str(fqdn.c_str())};
  if (!owner)
    throw PropagationError("build query", fmt::format("'{}' is not a valid domain name", question.name),
                           "check the record name for typos");
  LdnsPktPtr pkt{ldns_pkt_query_new(owner.release(), static_cast<ldns_rr_type>(question.type),
                                    static_cast<ldns_rr_class>(question.klass),
                                    options.recursion_desired ? LDNS_RD : 0)};
  if (!pkt) throw PropagationError("build query", "out of memory");
  ldns_pkt_set_id(pkt.get(), id);
  if (options.edns_udp_size) ldns_pkt_set_edns_udp_size(pkt.get(), options.edns_udp_size);
  std::uint8_t* raw = nullptr;
  std::size_t size = 0;
  if (ldns_pkt2wire(&raw, pkt.get(), &size) != LDNS_STATUS_OK || !raw)
    throw PropagationError("build query", fmt::format("cannot encode a query for '{}'", question.name));
  LdnsWirePtr wire{raw};
  return std::vector<std::uint8_t>(raw, raw + size);
}

std::vector<std::string> Reply::txt(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& r : answer)
    if (r.type == rrtype::TXT && r.owner == name) out.push_back(r.data);
  return out;
}

std::optional<Reply> parse_reply(std::span<const std::uint8_t> wire, std::string* why) {
  auto fail = [&](std::string reason) -> std::optional<Reply> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  if (wire.size() < 12) return fail(fmt::format("truncated header ({} bytes)", wire.size()));
  if (wire.size() > 65535) return fail("larger than a DNS message can be");
  LdnsPktPtr pkt;
  ldns_status st = ldns_wire2pkt(out_ptr(pkt), wire.data(), wire.size());
  if (st != LDNS_STATUS_OK || !pkt) return fail(ldns_get_errorstr_by_id(st));
  Reply r;
  r.id = ldns_pkt_id(pkt.get());
  r.rcode = static_cast<int>(ldns_pkt_get_rcode(pkt.get()));
  r.qr = ldns_pkt_qr(pkt.get());
  r.aa = ldns_pkt_aa(pkt.get());
  r.tc = ldns_pkt_tc(pkt.get());
  r.rd = ldns_pkt_rd(pkt.get());
  r.ra = ldns_pkt_ra(pkt.get());
  const ldns_rr_list* q = ldns_pkt_question(pkt.get());
  for (std::size_t i = 0; q && i < ldns_rr_list_rr_count(q); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(q, i);
    r.questions.push_back({canonical_name(rdf_text(ldns_rr_owner(rr))),
                           static_cast<std::uint16_t>(ldns_rr_get_type(rr)),
                           static_cast<std::uint16_t>(ldns_rr_get_class(rr))});
  }
  r.answer = convert_list(ldns_pkt_answer(pkt.get()));
  r.authority = convert_list(ldns_pkt_authority(pkt.get()));
  r.additional = convert_list(ldns_pkt_additional(pkt.get()));
  return r;
}

bool reply_matches(const Reply& reply, std::uint16_t id, const Question& question) {
  if (!reply.qr || reply.id != id || reply.questions.size() != 1) return false;
  const auto& q = reply.questions.front();
  return q.name == question.name && q.type == question.type && q.klass == question.klass;
}

std::string summarize(const Reply& reply, std::string_view name) {
  std::string out = rcode_name(reply.rcode);
  if (reply.aa) out += " aa";
  if (reply.rcode != rcode::noerror) return out;
  auto values = reply.txt(name);
  if (values.empty()) {
    for (const auto& r : reply.answer)
      if (r.type == rrtype::CNAME && r.owner == name) return out + " CNAME " + r.data;
    return out + " (no TXT)";
  }
  out += " TXT";
  constexpr std::size_t kShown = 4;
  for (std::size_t i = 0; i < values.size() && i < kShown; ++i) {
    out += fmt::format("{} \"{}\"", i ? "," : "", printable(values[i]));
  }
  if (values.size() > kShown) out += fmt::format(", ... ({} values)", values.size());
  return out;
}

}  // namespace dns01::propagation
