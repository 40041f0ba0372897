#pragma once
// ============================================================================================
//  dns01 provider ABI: the plugin author's manual
// ============================================================================================
//
// A DNS provider is a shared module `provider-<code>.so` that adds and removes the
// `_acme-challenge` TXT records dns01 needs. This header is the whole contract between dns01
// (the host) and a provider: a provider includes this header and nothing else from dns01, and
// never links libdns01. The host never names a provider; it finds modules on disk.
//
// ONE CODE NAMES EVERYTHING. A provider has one lower-case code, e.g. `rfc2136`:
//   folder      providers/rfc2136/                 (in tree) or your own repository
//   module      provider-rfc2136.so
//   metadata    provider.toml (installed as provider-rfc2136.toml beside the module)
//   config      [providers.<name>] type = "rfc2136"
//   errors      "rfc2136: <step>: <cause>"
//
// WHAT A MODULE EXPORTS. Exactly two symbols, as Boost.DLL aliases, both emitted by
// DNS01_PROVIDER_EXPORT(YourProvider) at the end of your .cpp:
//   dns01_provider_abi     a `const std::uint32_t` holding kAbiVersion as compiled into the module
//   dns01_provider_create  a CreateFn (below)
// The host opens the module lazily and reads `dns01_provider_abi` before touching anything
// else; a module whose version differs from the host's is refused with an error naming the file
// and both versions, and its factory is never called. Build with hidden visibility
// (meson: gnu_symbol_visibility : 'hidden') and, to drop the weak libstdc++ template symbols
// hidden visibility leaves, the version script providers/provider.map: then these two are the
// only exports (the provider suite checks it for the in-tree modules). Do not
// register anything from static initializers: the host calls the factory when, and only when, a
// configuration uses your provider.
//
// WHAT A PROVIDER RECEIVES. The factory gets (1) Settings: a typed view of its
// `[providers.<name>]` table, already validated by the host against provider.toml (types,
// required keys, defaults applied, unknown keys refused, `<key>_file` secrets read and
// registered for redaction), and (2) Host: logging, an HTTP client (the host's CA bundle,
// timeouts, retries and redaction) and secret registration. Nothing else: no config file, no
// environment reading for settings, no ACME or propagation logic. A provider contains zero ACME
// logic and zero propagation logic: it changes records, the host checks that they are served.
//
// ERROR CONVENTION. Exceptions never cross the module boundary.
//   - Every Provider entry point is `noexcept` and returns a Status. Status::success() when the
//     change is done (or was already the case), otherwise a StatusCode that says whose problem it
//     is plus a step, a message and a hint. The host turns a failed Status into its own error
//     (`<code>: <step>: <message>`, hint on the next line) and maps the StatusCode to an exit
//     code: config -> 3, network -> 4, everything else -> 6.
//   - Inside your module you may throw dns01::provider::Failure (or anything derived from
//     std::exception) and convert at the entry point with guard(); DNS01_PROVIDER_EXPORT already
//     does this for your constructor, so a constructor may simply throw Failure on bad settings.
//   - The host also survives a factory that throws anyway (it catches at the call), but an
//     exception escaping a `noexcept` entry point ends the process: use guard().
//   - Messages must never contain a secret (tokens, TSIG secrets, passwords). Values you derive
//     at run time (e.g. a short-lived access token) must be passed to Host::add_secret() first.
//
// THREADING. The host calls one Provider object from one thread at a time (never concurrently),
// but possibly from different threads over its life. Host services may be called from any thread.
//
// LIFETIME. The host keeps the module loaded until every object it created is destroyed, and the
// Host object outlives the Provider. The Provider is deleted through its virtual destructor
// (so `delete` runs inside your module). Do not keep pointers to Settings after the factory
// returns: copy what you need.
//
// COMPATIBILITY. The host and a module must be built from the same kAbiVersion and with the same
// C++ standard library (libstdc++, C++20). Changing anything in this header, including adding a
// virtual function or a struct member, requires a new kAbiVersion (the date of the change).
//
// See docs/plugins.md for building a provider out of tree (pkg-config `dns01-provider`).
// ============================================================================================
#include <boost/dll/alias.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The ABI version as a macro, for `#if` in code that must build against several releases.
#define DNS01_PROVIDER_ABI_VERSION 20261124

namespace dns01::provider {

// Date-stamped ABI version (YYYYMMDD of the last change to this header).
inline constexpr std::uint32_t kAbiVersion = DNS01_PROVIDER_ABI_VERSION;

// --------------------------------------------------------------------------------------------
// Results
// --------------------------------------------------------------------------------------------

// Whose problem a failure is. The host maps it to an error category and exit code.
enum class StatusCode : std::int32_t {
  ok = 0,
  config = 1,    // the settings cannot work (bad value, unsupported algorithm): the user edits config
  auth = 2,      // credentials rejected (unknown key, bad secret or token, expired token)
  denied = 3,    // authenticated but not allowed to change this record (update policy, permissions)
  zone = 4,      // the record is not in a zone this provider account/server serves
  network = 5,   // the provider's server could not be reached or did not answer in time
  server = 6,    // the server failed or answered something unexpected
  internal = 7,  // a bug in the provider (unexpected exception, impossible state)
};

struct Status {
  StatusCode code = StatusCode::ok;
  std::string step;     // what was being done: "add TXT _acme-challenge.example.com"
  std::string message;  // what went wrong: "the server answered REFUSED"; never a secret
  std::string hint;     // what the user can do about it; may be empty

  bool ok() const noexcept { return code == StatusCode::ok; }
  static Status success() { return {}; }
  static Status failure(StatusCode code, std::string step, std::string message,
                        std::string hint = {}) {
    return Status{code, std::move(step), std::move(message), std::move(hint)};
  }
};

// An exception carrying a Status, for use inside a module only (see guard()).
class Failure : public std::exception {
 public:
  explicit Failure(Status status) : status_(std::move(status)) {}
  Failure(StatusCode code, std::string step, std::string message, std::string hint = {})
      : status_(Status::failure(code, std::move(step), std::move(message), std::move(hint))) {}
  const Status& status() const noexcept { return status_; }
  const char* what() const noexcept override { return status_.message.c_str(); }

 private:
  Status status_;
};

// Runs fn() (which returns Status) and converts any exception into a Status: Failure keeps its
// status, other exceptions become StatusCode::internal with `step`. Use it in every entry point:
//   Status add(const TxtRecord& r) noexcept override { return guard("add", [&] { ...; }); }
template <typename Fn>
Status guard(std::string_view step, Fn&& fn) noexcept {
  try {
    return std::forward<Fn>(fn)();
  } catch (const Failure& failure) {
    return failure.status();
  } catch (const std::exception& e) {
    try {
      return Status::failure(StatusCode::internal, std::string(step), e.what(),
                             "this is a bug in the provider; please report it");
    } catch (...) {
      return Status{StatusCode::internal, {}, {}, {}};
    }
  } catch (...) {
    return Status{StatusCode::internal, {}, {}, {}};
  }
}

// --------------------------------------------------------------------------------------------
// Records
// --------------------------------------------------------------------------------------------

struct TxtRecord {
  // Fully-qualified owner name, lower-case, no trailing dot: "_acme-challenge.example.com".
  std::string name;
  // The TXT data as one character-string, without quotes (for ACME: 43 base64url characters).
  std::string value;
  // The entry of this instance's `zones` list that routed the record here (lower-case, no
  // trailing dot). This is a routing fact, not necessarily the DNS zone apex (a listed zone may
  // contain delegated sub-zones): a provider that needs the apex (UPDATE zone section, API zone
  // id) must still look it up or take it from its own settings.
  std::string zone;
  // TTL the host asks for; 0 = the provider's default (Settings or Hints::default_ttl).
  std::uint32_t ttl = 0;
};

// Optional facts a provider can state about itself; zero means "no opinion".
struct Hints {
  // TTL used when neither the host nor the settings ask for one.
  std::chrono::seconds default_ttl{0};
  // Typical time from a successful add() until every authoritative server serves the record
  // (e.g. a cloud API that applies changes asynchronously). The host uses it only to pace its
  // first propagation check; it always checks every authoritative server anyway.
  std::chrono::seconds propagation{0};
  // Largest batch add_all()/remove_all() handles in one request; 0 = no limit.
  std::uint32_t max_batch = 0;
};

// --------------------------------------------------------------------------------------------
// Settings: a typed view of the [providers.<name>] table
// --------------------------------------------------------------------------------------------

// Types a provider.toml key can declare (`type = "..."`).
enum class ValueKind : std::uint8_t {
  string = 0,       // "string"
  integer = 1,      // "integer"   (TOML integer)
  boolean = 2,      // "boolean"
  duration = 3,     // "duration"  ("90s", "2m", "500ms", or integer seconds) -> milliseconds
  string_list = 4,  // "strings"   (TOML array of strings)
};

struct Value {
  ValueKind kind = ValueKind::string;
  std::string text;               // string value; for other kinds the value as written
  std::int64_t integer = 0;       // integer value; duration in milliseconds
  bool boolean = false;
  std::vector<std::string> list;  // string_list
  bool secret = false;            // declared `secret = true`: never log or echo it
};

struct Settings {
  std::string instance;            // the table name: "internal" for [providers.internal]
  std::string code;                // the provider code: "rfc2136"
  std::vector<std::string> zones;  // the table's `zones` (lower-case, no trailing dot)
  // Every key provider.toml declares that has a value (given, or its default), already checked
  // against its declared type. Optional keys without default and not given are absent.
  std::map<std::string, Value, std::less<>> values;

  const Value* find(std::string_view key) const noexcept {
    auto it = values.find(key);
    return it == values.end() ? nullptr : &it->second;
  }
  bool has(std::string_view key) const noexcept { return find(key) != nullptr; }
  // Accessors return `fallback` when the key is absent or holds another kind.
  std::string string(std::string_view key, std::string fallback = {}) const {
    const Value* v = find(key);
    return v && v->kind == ValueKind::string ? v->text : fallback;
  }
  std::int64_t integer(std::string_view key, std::int64_t fallback = 0) const noexcept {
    const Value* v = find(key);
    return v && v->kind == ValueKind::integer ? v->integer : fallback;
  }
  bool boolean(std::string_view key, bool fallback = false) const noexcept {
    const Value* v = find(key);
    return v && v->kind == ValueKind::boolean ? v->boolean : fallback;
  }
  std::chrono::milliseconds duration(std::string_view key,
                                     std::chrono::milliseconds fallback) const noexcept {
    const Value* v = find(key);
    return v && v->kind == ValueKind::duration ? std::chrono::milliseconds(v->integer) : fallback;
  }
  std::vector<std::string> strings(std::string_view key) const {
    const Value* v = find(key);
    return v && v->kind == ValueKind::string_list ? v->list : std::vector<std::string>{};
  }
};

// --------------------------------------------------------------------------------------------
// Host services
// --------------------------------------------------------------------------------------------

enum class Severity : std::int32_t { trace = 0, debug = 1, info = 2, warn = 3, error = 4 };

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpCall {
  std::string method = "GET";
  std::string url;
  HttpHeaders headers;
  std::string body;
  std::chrono::milliseconds timeout{0};  // 0 = the host's default
  // May the host retry this call after a 5xx/429 or a lost connection? nullopt = by method
  // (GET, HEAD, PUT and DELETE yes; POST no).
  std::optional<bool> idempotent;
};

struct HttpReply {
  // ok() when the server answered, whatever the HTTP status. A network failure (connect, TLS,
  // timeout, retries exhausted) is StatusCode::network with a message naming the URL.
  Status status;
  long code = 0;  // HTTP status code
  HttpHeaders headers;
  std::string body;

  // First header with that name, case-insensitive.
  std::optional<std::string> header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (key.size() != name.size()) continue;
      bool same = true;
      for (std::size_t i = 0; i < key.size() && same; ++i) {
        same = (key[i] | 0x20) == (name[i] | 0x20);
      }
      if (same) return value;
    }
    return std::nullopt;
  }
};

// Implemented by the host; valid for the whole life of the Provider. Safe to call from any thread.
class Host {
 public:
  // One log line, prefixed by the host with the provider code and instance name. Secrets
  // registered with add_secret() (and every `secret = true` setting) are redacted.
  virtual void log(Severity severity, std::string_view message) noexcept = 0;
  // One HTTP exchange through the host's client: its CA bundle, timeouts, bounded retries with
  // backoff (honouring Retry-After), User-Agent, and redaction of Authorization/token headers in
  // its logs.
  virtual HttpReply http(const HttpCall& call) noexcept = 0;
  // Registers a value learnt at run time (access token, session key) for redaction everywhere.
  virtual void add_secret(std::string_view value) noexcept = 0;

 protected:
  ~Host() = default;  // the host owns it; a provider never deletes it
};

// --------------------------------------------------------------------------------------------
// The provider
// --------------------------------------------------------------------------------------------

class Provider {
 public:
  virtual ~Provider() = default;

  // Makes `record.value` one of the TXT values at `record.name`, keeping every other TXT value
  // there (the apex and the wildcard challenge share a name). Adding a value that is already
  // present succeeds. Never replace or delete the RRset.
  virtual Status add(const TxtRecord& record) noexcept = 0;

  // Removes exactly that one value at that name, keeping the others. Removing a value that is
  // not there succeeds (cleanup is retried and must be idempotent).
  virtual Status remove(const TxtRecord& record) noexcept = 0;

  // Optional batch forms: the host passes records it routed to one entry of `zones`, at most
  // Hints::max_batch at a time when that is set.
  // Override them when the backend can apply several changes in one request (one DNS UPDATE,
  // one Route 53 change batch). On failure, any subset may have been applied: the host then
  // removes every record of a failed add batch, which is safe because remove() of an absent
  // value succeeds. The defaults call add()/remove() one record at a time.
  virtual Status add_all(const std::vector<TxtRecord>& records) noexcept {
    for (const auto& record : records) {
      Status status = add(record);
      if (!status.ok()) return status;
    }
    return Status::success();
  }
  virtual Status remove_all(const std::vector<TxtRecord>& records) noexcept {
    Status first = Status::success();
    for (const auto& record : records) {  // try every record even after a failure: cleanup
      Status status = remove(record);
      if (!status.ok() && first.ok()) first = std::move(status);
    }
    return first;
  }

  virtual Hints hints() const noexcept { return {}; }
};

// --------------------------------------------------------------------------------------------
// The factory and the export macro
// --------------------------------------------------------------------------------------------

// What the factory returns: a provider, or a failed status (and no provider).
struct CreateResult {
  std::unique_ptr<Provider> provider;
  Status status;
};

// The factory signature. Validate the settings completely here (fail early with
// StatusCode::config, before any record is touched); do not contact the server unless needed to
// validate. `host` outlives the returned provider.
using CreateFn = CreateResult(const Settings& settings, Host& host);

// Builds ProviderClass(settings, host), converting exceptions from its constructor.
template <typename ProviderClass>
CreateResult create_guarded(const Settings& settings, Host& host) noexcept {
  CreateResult result;
  result.status = guard("create provider", [&] {
    result.provider = std::make_unique<ProviderClass>(settings, host);
    return Status::success();
  });
  if (!result.status.ok()) result.provider.reset();
  return result;
}

// Alias names the host looks up.
inline constexpr const char* kAbiSymbol = "dns01_provider_abi";
inline constexpr const char* kCreateSymbol = "dns01_provider_create";

}  // namespace dns01::provider

// Put this once, at namespace scope, in one .cpp of the module:
//   DNS01_PROVIDER_EXPORT(my::RecordProvider)
// ProviderClass needs a constructor ProviderClass(const Settings&, Host&) that throws
// dns01::provider::Failure (StatusCode::config) on unusable settings.
#define DNS01_PROVIDER_EXPORT(ProviderClass)                                                   \
  namespace dns01_provider_export {                                                            \
  const std::uint32_t abi_version = ::dns01::provider::kAbiVersion;                            \
  ::dns01::provider::CreateResult create(const ::dns01::provider::Settings& settings,          \
                                         ::dns01::provider::Host& host) {                      \
    return ::dns01::provider::create_guarded<ProviderClass>(settings, host);                   \
  }                                                                                            \
  }                                                                                            \
  BOOST_DLL_ALIAS(dns01_provider_export::abi_version, dns01_provider_abi)                      \
  BOOST_DLL_ALIAS(dns01_provider_export::create, dns01_provider_create)
