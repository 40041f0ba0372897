// provider-test.so: a real provider module for the loader and lifecycle tests. It keeps its TXT
// records in a plain file (`state_path`, one "name value" line per record) so tests can see what
// it did, and appends every call it receives to `<state_path>.ops` ("add", "add_all 3", ...) so
// tests can tell a batch from single calls. Switches make it fail in each documented way.
#include <dns01/provider.hpp>

#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace dns01::provider;

class FileProvider final : public Provider {
 public:
  FileProvider(const Settings& settings, Host& host)
      : host_(host),
        state_(settings.string("state_path")),
        fail_value_(settings.string("fail_value")),
        throw_value_(settings.string("throw_value")),
        api_url_(settings.string("api_url")),
        token_(settings.string("token")),
        ttl_(settings.integer("ttl", 60)),
        max_batch_(static_cast<std::uint32_t>(settings.integer("max_batch", 0))),
        batch_remove_(settings.boolean("batch_remove", false)) {
    // Host::env(): records what the injected environment holds for `env_var`.
    if (const std::string var = settings.string("env_var"); !var.empty()) {
      const auto value = host_.env(var);
      note("env " + var + "=" + (value ? *value : std::string("<unset>")));
    }
    if (settings.boolean("refuse"))
      throw Failure(StatusCode::config, "check settings", "refuse = true was set",
                    "set refuse = false");
    if (state_.empty())
      throw Failure(StatusCode::config, "check settings", "state_path is empty");
    const std::string token = settings.string("token");
    // Deliberately logs the secret: the host must redact it (tests check the log line).
    if (!token.empty()) host_.log(Severity::info, "ready with token " + token);
    host_.log(Severity::debug, "state file " + state_);
  }

  Status add(const TxtRecord& record) noexcept override {
    return guard("add TXT " + record.name, [&] {
      note("add " + record.name + " " + record.value + " zone=" + record.zone);
      check_switches(record);
      if (!api_url_.empty()) announce(record);
      auto lines = read();
      const std::string line = record.name + " " + record.value;
      if (std::find(lines.begin(), lines.end(), line) == lines.end()) lines.push_back(line);
      write(lines);
      return Status::success();
    });
  }

  Status remove(const TxtRecord& record) noexcept override {
    return guard("remove TXT " + record.name, [&] {
      note("remove " + record.name + " " + record.value);
      auto lines = read();
      const std::string line = record.name + " " + record.value;
      lines.erase(std::remove(lines.begin(), lines.end(), line), lines.end());
      write(lines);
      return Status::success();
    });
  }

  Status add_all(const std::vector<TxtRecord>& records) noexcept override {
    return guard("add TXT batch", [&] {
      note("add_all " + std::to_string(records.size()));
      auto lines = read();
      for (const auto& record : records) {
        check_switches(record);
        const std::string line = record.name + " " + record.value;
        if (std::find(lines.begin(), lines.end(), line) == lines.end()) lines.push_back(line);
      }
      write(lines);
      return Status::success();
    });
  }

  Status remove_all(const std::vector<TxtRecord>& records) noexcept override {
    if (!batch_remove_) return Provider::remove_all(records);  // the ABI's one-by-one default
    return guard("remove TXT batch", [&] {
      note("remove_all " + std::to_string(records.size()));
      auto lines = read();
      for (const auto& record : records)
        lines.erase(std::remove(lines.begin(), lines.end(), record.name + " " + record.value),
                    lines.end());
      write(lines);
      return Status::success();
    });
  }

  Hints hints() const noexcept override {
    Hints hints;
    hints.default_ttl = std::chrono::seconds(ttl_);
    hints.max_batch = max_batch_;
    return hints;
  }

 private:
  void check_switches(const TxtRecord& record) const {
    if (!fail_value_.empty() && record.value == fail_value_)
      throw Failure(StatusCode::denied, "add TXT " + record.name,
                    "the value is on the deny list (fail_value)", "remove fail_value");
    if (!throw_value_.empty() && record.value == throw_value_)
      throw std::runtime_error("simulated crash in the test provider");
  }

  // Exercises Host::http(): POSTs the record to api_url with the token as a bearer credential.
  void announce(const TxtRecord& record) {
    HttpCall call;
    call.method = "POST";
    call.url = api_url_ + "/records";
    call.headers = {{"Authorization", "Bearer " + token_}, {"Content-Type", "text/plain"}};
    call.body = record.name + " " + record.value;
    HttpReply reply = host_.http(call);
    if (!reply.status.ok()) throw Failure(reply.status);
    if (reply.code == 401)
      throw Failure(StatusCode::auth, "add TXT " + record.name,
                    "the API refused the token (HTTP 401)", "check token");
    if (reply.code >= 300)
      throw Failure(StatusCode::server, "add TXT " + record.name,
                    "the API answered HTTP " + std::to_string(reply.code));
  }

  std::vector<std::string> read() const {
    std::vector<std::string> lines;
    std::ifstream in(state_);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) lines.push_back(line);
    return lines;
  }

  void write(const std::vector<std::string>& lines) const {
    std::ofstream out(state_, std::ios::trunc);
    for (const auto& line : lines) out << line << '\n';
    if (!out) throw Failure(StatusCode::server, "write state", "cannot write " + state_);
  }

  void note(const std::string& op) const {
    std::ofstream out(state_ + ".ops", std::ios::app);
    out << op << '\n';
  }

  Host& host_;
  std::string state_, fail_value_, throw_value_, api_url_, token_;
  std::int64_t ttl_;
  std::uint32_t max_batch_;
  bool batch_remove_;
};

}  // namespace

DNS01_PROVIDER_EXPORT(FileProvider)
