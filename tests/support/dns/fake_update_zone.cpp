// A zone that takes DNS UPDATEs, for FakeDnsServer (see fake_update_zone.hpp).
#include "dns/fake_update_zone.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

namespace dns01::test {
namespace {

// Numbers from RFC 1035/2136/8945, spelt out once.
constexpr std::uint16_t kTypeSoa = 6, kTypeTxt = 16, kTypeAny = 255;
constexpr std::uint16_t kClassIn = 1, kClassNone = 254, kClassAny = 255;
constexpr int kNoError = 0, kNxDomain = 3, kRefused = 5, kNotAuth = 9, kNotZone = 10;
constexpr int kBadSig = 16, kBadKey = 17;
constexpr int kOpcodeUpdate = 5;

bool inside(const std::string& name, const std::string& zone) {
  return name == zone || (name.size() > zone.size() && name.ends_with("." + zone));
}

const char* type_name(std::uint16_t type) {
  switch (type) {
    case kTypeTxt: return "TXT";
    case kTypeSoa: return "SOA";
    default: return nullptr;
  }
}

// "\"a\" \"b\"" -> "ab": the TXT strings of a presentation-format RDATA, concatenated.
std::string txt_value(const std::string& rdata) {
  std::string out;
  bool quoted = false;
  for (std::size_t i = 0; i < rdata.size(); ++i) {
    const char c = rdata[i];
    if (c == '"') {
      quoted = !quoted;
    } else if (c == '\\' && i + 1 < rdata.size()) {
      out += rdata[++i];
    } else if (quoted || !std::isspace(static_cast<unsigned char>(c))) {
      out += c;
    }
  }
  return out;
}

}  // namespace

UpdatableZone::UpdatableZone(std::string zone) : zone_(std::move(zone)) {
  add(zone_ + ". 60 IN SOA ns1." + zone_ + ". admin." + zone_ + ". 1 60 60 600 30");
}

FakeDnsServer::Handler UpdatableZone::handler() {
  return [this](const DnsQuery& q) { return (*this)(q); };
}

DnsAction UpdatableZone::operator()(const DnsQuery& q) {
  return q.opcode == kOpcodeUpdate ? update(q) : query(q);
}

void UpdatableZone::require_key(std::string key_name, std::string algorithm) {
  std::lock_guard lock(mutex_);
  key_ = std::make_pair(std::move(key_name), std::move(algorithm));
}

void UpdatableZone::drop_updates(bool drop) {
  std::lock_guard lock(mutex_);
  drop_ = drop;
}

void UpdatableZone::add(const std::string& rr) {
  // The owner and type are the first and fourth fields of "owner ttl class type rdata".
  std::vector<std::string> fields;
  std::size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    const auto start = rr.find_first_not_of(' ', pos);
    pos = rr.find(' ', start);
    fields.push_back(rr.substr(start, pos - start));
  }
  std::string owner = fields[0];
  std::transform(owner.begin(), owner.end(), owner.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (owner.ends_with('.')) owner.pop_back();
  const std::uint16_t type = fields[3] == "TXT" ? kTypeTxt : fields[3] == "SOA" ? kTypeSoa : 0;
  std::lock_guard lock(mutex_);
  records_.emplace(std::make_pair(owner, type), rr);
}

std::vector<std::string> UpdatableZone::txt(const std::string& name) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  auto [b, e] = records_.equal_range({name, kTypeTxt});
  for (auto it = b; it != e; ++it) {
    // The RDATA follows "owner ttl IN TXT ".
    const auto at = it->second.find(" TXT ");
    out.push_back(txt_value(it->second.substr(at + 5)));
  }
  return out;
}

int UpdatableZone::applied() const {
  std::lock_guard lock(mutex_);
  return applied_;
}

std::optional<DnsAction> UpdatableZone::tsig_refusal(const DnsQuery& q) const {
  if (!q.tsig || q.tsig->verified) return std::nullopt;
  // BIND: a key it does not have (name or algorithm) is BADKEY, a wrong MAC is BADSIG; both
  // unsigned. Only the server's key (FakeDnsServer::set_tsig_key) can verify.
  const bool known = key_ && q.tsig->key_name == key_->first && q.tsig->algorithm == key_->second;
  return DnsAction{.rcode = kNotAuth, .aa = false, .tsig_error = known ? kBadSig : kBadKey};
}

DnsAction UpdatableZone::update(const DnsQuery& q) {
  std::lock_guard lock(mutex_);
  if (q.name != zone_) return DnsAction{.rcode = kNotAuth, .aa = false};
  if (auto refusal = tsig_refusal(q)) return *refusal;
  const bool keyed = q.tsig.has_value();  // and verified: BIND signs its replies to it
  if (key_ && !keyed) return DnsAction{.rcode = kRefused};
  for (const auto& rr : q.update)
    if (!inside(rr.name, zone_)) return DnsAction{.rcode = kNotZone, .sign = keyed};
  if (drop_) return DnsAction{.sign = keyed};
  for (const auto& rr : q.update) {
    const char* type = type_name(rr.type);
    if (rr.rclass == kClassIn && type) {
      const std::string text = rr.name + ". " + std::to_string(rr.ttl) + " IN " + type + " " + rr.rdata;
      auto [b, e] = records_.equal_range({rr.name, rr.type});
      const bool present = std::any_of(b, e, [&](const auto& kv) {
        return kv.second.substr(kv.second.find(type)) == text.substr(text.find(type));
      });
      if (!present) records_.emplace(std::make_pair(rr.name, rr.type), text);
    } else if (rr.rclass == kClassNone && type) {
      auto [b, e] = records_.equal_range({rr.name, rr.type});
      for (auto it = b; it != e;) {
        const auto at = it->second.find(std::string(" ") + type + " ");
        it = it->second.substr(at + std::string(type).size() + 2) == rr.rdata ? records_.erase(it)
                                                                              : std::next(it);
      }
    } else if (rr.rclass == kClassAny) {
      for (auto it = records_.begin(); it != records_.end();) {
        const bool match = it->first.first == rr.name &&
                           (rr.type == kTypeAny || it->first.second == rr.type);
        it = match ? records_.erase(it) : std::next(it);
      }
    }
  }
  ++applied_;
  return DnsAction{.rcode = kNoError, .sign = keyed};
}

DnsAction UpdatableZone::query(const DnsQuery& q) const {
  std::lock_guard lock(mutex_);
  if (auto refusal = tsig_refusal(q)) return *refusal;
  if (!inside(q.name, zone_)) return DnsAction{.rcode = kRefused, .aa = false};
  DnsAction a;
  a.sign = q.tsig.has_value();  // a signed query (nsupdate's SOA lookup) gets a signed answer
  auto [b, e] = records_.equal_range({q.name, q.type});
  for (auto it = b; it != e; ++it) a.answer.push_back(it->second);
  if (!a.answer.empty()) return a;
  const bool exists = std::any_of(records_.begin(), records_.end(),
                                  [&](const auto& kv) { return kv.first.first == q.name; });
  if (!exists) a.rcode = kNxDomain;
  auto [sb, se] = records_.equal_range({zone_, kTypeSoa});
  for (auto it = sb; it != se; ++it) a.authority.push_back(it->second);
  return a;
}

}  // namespace dns01::test
