// `dns01 serve-httpreq --listen ADDR:PORT`: lego's httpreq provider endpoints.
//
//   POST /present  {"fqdn": "_acme-challenge.example.com.", "value": "..."}     (default mode)
//   POST /cleanup  {"domain": "example.com", "token": "...", "keyAuth": "..."}  (HTTPREQ_MODE=RAW)
//
// /present answers only once every authoritative nameserver serves the value (so raise lego's
// HTTPREQ_HTTP_TIMEOUT above the expected propagation time); any 2xx is success for lego.
// Optional HTTP basic auth (--username, --password-file). On SIGINT/SIGTERM the server stops and
// removes the records it presented that were not cleaned up yet.
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "dns01/config.hpp"
#include "dns01/encoding.hpp"
#include "dns01/error.hpp"
#include "dns01/flow/hookmodes/httpreq_server.hpp"
#include "dns01/flow/hookmodes/records.hpp"
#include "dns01/log.hpp"
#include "dns01/signals.hpp"

namespace dns01::cli {
namespace {

constexpr const char* kComponent = "serve-httpreq";

struct ServeArgs {
  std::string listen;
  std::string username;
  std::optional<std::string> password_file;
};

flow::ServerResponse json_response(int status, const nlohmann::json& body) {
  return {status, body.dump() + "\n", "application/json"};
}

flow::ServerResponse error_response(int status, const std::string& message, const std::string& hint = {}) {
  nlohmann::json j = {{"ok", false}, {"error", Redactor::global().apply(message)}};
  if (!hint.empty()) j["hint"] = hint;
  return json_response(status, j);
}

bool authorized(const flow::ServerRequest& req, const std::string& expected) {
  auto it = req.headers.find("authorization");
  if (it == req.headers.end() || it->second.size() < 6) return false;
  const std::string_view value = it->second;
  if (value.substr(0, 6) != "Basic " && value.substr(0, 6) != "basic ") return false;
  Bytes decoded;
  try {
    decoded = base64_decode(value.substr(6));
  } catch (const std::exception&) {
    return false;
  }
  return constant_time_equal(decoded, as_bytes(expected));
}

// The request body as lego's exec-style arguments: {fqdn, value} or RAW {domain, token, keyAuth}.
std::optional<std::vector<std::string>> lego_args(const nlohmann::json& body) {
  if (!body.is_object()) return std::nullopt;
  auto str = [&](const char* key) -> std::optional<std::string> {
    auto it = body.find(key);
    if (it == body.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  if (auto fqdn = str("fqdn"), value = str("value"); fqdn && value) return std::vector{*fqdn, *value};
  if (auto d = str("domain"), t = str("token"), k = str("keyAuth"); d && t && k)
    return std::vector{*d, *t, *k};
  return std::nullopt;
}

class HttpreqHandler {
 public:
  HttpreqHandler(flow::HookSession& session, std::string credentials)
      : session_(session), credentials_(std::move(credentials)) {}

  flow::ServerResponse operator()(const flow::ServerRequest& req) {
    std::string path = req.target.substr(0, req.target.find('?'));
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    const bool present = path.ends_with("/present"), cleanup = path.ends_with("/cleanup");
    if (!present && !cleanup) return error_response(404, "unknown path: POST /present or /cleanup");
    if (req.method != "POST") return error_response(405, "use POST");
    if (!credentials_.empty() && !authorized(req, credentials_)) {
      Logger::global().warn(kComponent, "{} {}: refused: missing or wrong basic auth credentials",
                            req.method, path);
      return error_response(401, "missing or wrong basic auth credentials");
    }
    auto args = lego_args(nlohmann::json::parse(req.body, nullptr, false));
    if (!args)
      return error_response(400, "expected a JSON object {fqdn, value} or (RAW) {domain, token, keyAuth}");
    try {
      auto request = flow::lego_request(*args, flow::HookClient::httpreq);
      request.owner_pid = static_cast<long>(::getpid());
      if (present) {
        auto record = flow::present_hook_record(session_.store, session_.providers,
                                                session_.checker, request);
        auto result = flow::wait_hook_records(session_.store, session_.checker, {record});
        Logger::global().info(kComponent, "present {}: served by every authoritative nameserver "
                              "after {} ms", record.effective_name, result.elapsed.count());
        return json_response(200, {{"ok", true}, {"fqdn", record.effective_name + "."},
                                   {"elapsed_ms", result.elapsed.count()}});
      }
      flow::remove_hook_record(session_.store, session_.providers, session_.checker,
                               request.record_name, request.value);
      return json_response(200, {{"ok", true}});
    } catch (const Error& e) {
      print_error(e);
      const int status = e.category() == ErrorCategory::usage ? 400 : 500;
      return error_response(status, e.what(), e.hint());
    }
  }

 private:
  flow::HookSession& session_;
  std::string credentials_;  // "user:password", empty = no auth
};

// Removes the records this server presented that no cleanup removed (lego killed meanwhile).
void remove_leftovers(flow::HookSession& session) {
  const long self = static_cast<long>(::getpid());
  for (const auto& r : session.store.list()) {
    if (r.client == flow::HookClient::httpreq && r.owner_pid == self) flow::withdraw_hook_record(session, r);
  }
}

int run_serve(const ServeArgs& args, Context& ctx) {
  Endpoint listen;
  try {
    listen = parse_endpoint(args.listen, 0);
  } catch (const std::invalid_argument& e) {
    throw UsageError(kComponent, "read --listen", e.what(), "give ADDR:PORT, e.g. 127.0.0.1:8080");
  }
  const Config& config = ctx.config();
  std::string credentials;
  if (!args.username.empty() || args.password_file) {
    if (args.username.empty() || !args.password_file)
      throw UsageError(kComponent, "read the basic auth options",
                       "--username and --password-file go together",
                       "give both (lego: HTTPREQ_USERNAME and HTTPREQ_PASSWORD) or neither");
    const std::string password = read_secret_file(
        *args.password_file, ctx.global.allow_insecure_secret_files || config.allow_insecure_secret_files,
        {*args.password_file, 0, 0});
    credentials = args.username + ":" + password;
    Redactor::global().add_secret(credentials);
  }
  flow::HookSession session(config);
  StopOnSignals stop;
  flow::HttpServer server(listen);
  Logger::global().info(kComponent, "listening on http://{} (POST /present, /cleanup{})",
                        server.address(), credentials.empty() ? "" : "; basic auth");
  HttpreqHandler handler(session, credentials);
  server.serve([&](const flow::ServerRequest& req) { return handler(req); },
               [] { return stop_requested(); });
  Logger::global().info(kComponent, "stopping");
  remove_leftovers(session);
  return 0;
}

}  // namespace

void register_serve_httpreq(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand(
      "serve-httpreq",
      "Serve lego's httpreq provider endpoints (POST /present, /cleanup; JSON {fqdn, value} or "
      "RAW {domain, token, keyAuth}); /present answers once every authoritative nameserver "
      "serves the value");
  cmd->add_option("--listen", args->listen, "ADDR:PORT to listen on (an IP literal; port 0 = any)")
      ->required();
  cmd->add_option("--username", args->username, "Require HTTP basic auth with this user name");
  cmd->add_option("--password-file", args->password_file,
                  "File holding the basic auth password (mode 0600)");
  cmd->callback([args, &ctx] { ctx.run = [args, &ctx] { return run_serve(*args, ctx); }; });
}

}  // namespace dns01::cli
