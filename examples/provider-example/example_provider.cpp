// example_provider.cpp: a provider for a JSON REST API with one record per TXT value.
#include <dns01/kit/http.hpp>
#include <dns01/kit/json.hpp>
#include <dns01/kit/names.hpp>
#include <dns01/kit/settings.hpp>
#include <dns01/provider.hpp>

namespace {
using namespace dns01::provider;
namespace kit = dns01::kit;

struct ExampleSettings {
  std::string api_url, token;
  std::int64_t ttl = 0;
};

ExampleSettings parse_settings(const Settings& s) {  // the only reader of Settings
  ExampleSettings out;
  kit::SettingsReader in(s);
  in.required("api_url", out.api_url);
  in.required("token", out.token);
  in.optional("ttl", out.ttl);                        // its default is in provider.toml
  if (out.api_url.rfind("https://", 0) != 0) in.problem("api_url must start with https://");
  in.finish();
  return out;
}

class ExampleProvider final : public Provider {
 public:
  ExampleProvider(const Settings& settings, Host& host)
      : host_(host), s_(parse_settings(settings)) {}

  Status add(const TxtRecord& r) noexcept override {
    return guard("add TXT " + r.name, [&] {
      auto reply = kit::send_with_retry(host_, request("POST", "/records").json(
          {{"name", r.name}, {"type", "TXT"}, {"content", r.value}, {"ttl", s_.ttl}}),
          "add TXT " + r.name);
      if (reply.code != 200 && reply.code != 409)   // 409: the same record exists, fine
        throw kit::http_failure(reply, "add TXT " + r.name, {}, "check the token's rights");
      return Status::success();
    });
  }

  // Another process may have added it: find it by (name, value), then delete it by id.
  Status remove(const TxtRecord& r) noexcept override {
    return guard("remove TXT " + r.name, [&] {
      auto found = kit::send(host_, request("GET", "/records").query("name", r.name)
                                        .query("content", r.value), "find TXT " + r.name);
      if (found.code != 200) throw kit::http_failure(found, "find TXT " + r.name, {});
      for (const auto& record : kit::parse_json(found.body, "find TXT " + r.name)["records"]) {
        auto gone = kit::send(host_, request("DELETE", "/records/" +
                                             record.at("id").get<std::string>()), "remove");
        if (gone.code != 200 && gone.code != 404) throw kit::http_failure(gone, "remove", {});
      }
      return Status::success();
    });
  }

 private:
  kit::Request request(std::string method, const std::string& path) const {
    return kit::Request(std::move(method), s_.api_url + path)
        .header("Authorization", "Bearer " + s_.token);
  }
  Host& host_;
  ExampleSettings s_;
};
}  // namespace

DNS01_PROVIDER_EXPORT(ExampleProvider)
