#pragma once
// In-process stand-ins for the engine's unit tests (test_records.cpp, test_issue_flow.cpp,
// test_engine.cpp): a DNS zone served by a FakeDnsServer on loopback whose TXT records an
// in-process provider (ProviderSet::from_providers) writes directly, and a scripted CA behind the
// CaAccount/CaConnection seam. Everything real in between: RecordPublisher, the journal, the
// propagation Checker asking the fake server, the lineage store.
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "dns/fake_dns_server.hpp"
#include "dns01/flow/engine.hpp"
#include "dns01/provider.hpp"
#include "test_certs.hpp"

namespace dns01::test {

// TXT records of a few zones, served authoritatively (SOA at each apex).
class TxtZones {
 public:
  explicit TxtZones(std::vector<std::string> zones) : zones_(std::move(zones)) {}
  void add(const std::string& name, const std::string& value) {
    const std::lock_guard lock(mutex_);
    txt_[name].push_back(value);
  }
  void remove(const std::string& name, const std::string& value) {
    const std::lock_guard lock(mutex_);
    auto& v = txt_[name];
    std::erase(v, value);
    if (v.empty()) txt_.erase(name);
  }
  std::size_t count() const {
    const std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& [name, values] : txt_) n += values.size();
    return n;
  }
  DnsAction operator()(const DnsQuery& q) const {
    const std::lock_guard lock(mutex_);
    std::string zone;
    for (const auto& z : zones_)
      if (q.name == z || q.name.ends_with("." + z)) zone = z;
    if (zone.empty()) return DnsAction{.rcode = 5, .aa = false};
    const std::string soa = zone + ". 60 IN SOA ns." + zone + ". admin." + zone + ". 1 60 60 600 60";
    DnsAction a;
    if (q.type == 6 && q.name == zone) {
      a.answer.push_back(soa);
      return a;
    }
    if (auto it = txt_.find(q.name); it != txt_.end() && q.type == 16) {
      for (const auto& v : it->second) a.answer.push_back(q.name + ". 60 IN TXT \"" + v + "\"");
      return a;
    }
    if (q.name != zone && !txt_.count(q.name)) a.rcode = 3;  // NXDOMAIN
    a.authority.push_back(soa);
    return a;
  }

 private:
  std::vector<std::string> zones_;
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<std::string>> txt_;
};

// What a FakeProvider saw, shared with the test.
struct ProviderLog {
  std::mutex mutex;
  std::vector<std::size_t> add_batches;  // sizes of add_all() calls
  std::vector<std::string> removed;      // names removed
  std::function<provider::Status(const std::vector<provider::TxtRecord>&)> on_add_all;  // may fail
  std::function<void()> on_remove_all;  // runs before a removal (outside the mutex)
};

class FakeProvider final : public provider::Provider {
 public:
  FakeProvider(TxtZones& zones, ProviderLog& log, std::uint32_t max_batch = 0)
      : zones_(zones), log_(log), max_batch_(max_batch) {}
  provider::Status add(const provider::TxtRecord& r) noexcept override { return add_all({r}); }
  provider::Status remove(const provider::TxtRecord& r) noexcept override { return remove_all({r}); }
  provider::Status add_all(const std::vector<provider::TxtRecord>& records) noexcept override {
    {
      const std::lock_guard lock(log_.mutex);
      log_.add_batches.push_back(records.size());
    }
    if (log_.on_add_all) {
      provider::Status s = log_.on_add_all(records);
      if (!s.ok()) return s;
    }
    for (const auto& r : records) zones_.add(r.name, r.value);
    return provider::Status::success();
  }
  provider::Status remove_all(const std::vector<provider::TxtRecord>& records) noexcept override {
    if (log_.on_remove_all) log_.on_remove_all();
    const std::lock_guard lock(log_.mutex);
    for (const auto& r : records) {
      zones_.remove(r.name, r.value);
      log_.removed.push_back(r.name);
    }
    return provider::Status::success();
  }
  provider::Hints hints() const noexcept override { return {std::chrono::seconds(0), max_batch_}; }

 private:
  TxtZones& zones_;
  ProviderLog& log_;
  std::uint32_t max_batch_;
};

inline plugins::InProcessProvider fake_instance(const std::string& name, std::vector<std::string> zones,
                                                TxtZones& txt, ProviderLog& log, std::uint32_t max_batch = 0) {
  ProviderInstanceConfig c;
  c.name = name;
  c.type = "fake";
  c.zones = std::move(zones);
  return {c, [&txt, &log, max_batch](provider::Host&) { return std::make_unique<FakeProvider>(txt, log, max_batch); }};
}

// A CA that validates everything at once and issues a self-signed certificate for the CSR's
// names. `fail_finalize` names the lineages (first domain) whose finalize throws an AcmeError.
struct FakeCa {
  std::mutex mutex;
  std::atomic<int> orders{0}, accounts{0}, finalizes{0};
  std::set<std::string> fail_finalize;
  std::function<void()> during_finalize;  // runs inside finalize(), before it answers
  std::map<std::string, std::vector<std::string>> names;  // order URL -> names
};

class FakeConnection final : public flow::CaConnection {
 public:
  explicit FakeConnection(FakeCa& ca) : ca_(ca) {}
  acme::Order new_order(const acme::NewOrderOptions& o) override {
    const int n = ++ca_.orders;
    acme::Order order;
    order.url = "https://ca.test/order/" + std::to_string(n);
    order.status = acme::OrderStatus::pending;
    for (const auto& name : o.names) {
      order.identifiers.push_back({"dns", name});
      order.authorizations.push_back("https://ca.test/authz/" + std::to_string(n) + "/" + name);
    }
    const std::lock_guard lock(ca_.mutex);
    ca_.names[order.url] = o.names;
    return order;
  }
  std::vector<acme::Dns01Task> tasks(const acme::Order& order) override {
    std::vector<acme::Dns01Task> out;
    for (std::size_t i = 0; i < order.identifiers.size(); ++i) {
      acme::Dns01Task t;
      const std::string& name = order.identifiers[i].value;
      t.wildcard = name.starts_with("*.");
      t.domain = t.wildcard ? name.substr(2) : name;
      t.record_name = "_acme-challenge." + t.domain;
      t.txt_value = "v-" + order.url.substr(order.url.rfind('/') + 1) + "-" + std::to_string(i);
      t.authorization_url = order.authorizations[i];
      t.challenge_url = order.authorizations[i] + "/chall";
      out.push_back(t);
    }
    return out;
  }
  std::size_t deactivate_valid(const acme::Order&) override { return 0; }
  void answer(const acme::Dns01Task&) override {}
  void wait_valid(const acme::Dns01Task&) override {}
  acme::Order wait_ready(const std::string& url) override {
    acme::Order o;
    o.url = url;
    o.status = acme::OrderStatus::ready;
    return o;
  }
  acme::Order finalize(const acme::Order& order, const Bytes&) override {
    ++ca_.finalizes;
    if (ca_.during_finalize) ca_.during_finalize();
    {
      const std::lock_guard lock(ca_.mutex);
      if (ca_.fail_finalize.count(ca_.names[order.url].front()))
        throw AcmeError("finalize order", AcmeProblem{"urn:ietf:params:acme:error:badCSR", "refused", 400, "", {}});
    }
    acme::Order o = order;
    o.status = acme::OrderStatus::valid;
    o.certificate = order.url + "/cert";
    return o;
  }
  std::vector<acme::CertificateChain> download(const std::string& url) override {
    std::vector<std::string> names;
    {
      const std::lock_guard lock(ca_.mutex);
      names = ca_.names[url.substr(0, url.size() - 5)];
    }
    acme::CertificateChain c;
    c.url = url;
    TestCertSpec spec;
    spec.names = names;
    c.pem = make_test_cert(spec).pem;
    return {c};
  }
 private:
  FakeCa& ca_;
};

class FakeAccount final : public flow::CaAccount {
 public:
  explicit FakeAccount(FakeCa& ca) : ca_(ca) { ++ca_.accounts; }
  std::unique_ptr<flow::CaConnection> connect() override { return std::make_unique<FakeConnection>(ca_); }

 private:
  FakeCa& ca_;
};

}  // namespace dns01::test
