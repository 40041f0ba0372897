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
// WHAT A MODULE EXPORTS. Exactly two plain `extern "C"` symbols with default visibility, both
// emitted by DNS01_PROVIDER_EXPORT(YourProvider) at the end of your .cpp (no Boost needed):
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
// required keys, defaults applied, unknown keys refused, `choices`, `min`/`max`, `one_of` and
// `requires` checked, `<key>_file` secrets read, a key's `env` aliases such as
// CLOUDFLARE_DNS_API_TOKEN consulted when the table does not give it, secrets registered for
// redaction), and (2) Host: logging, an HTTP client (the host's CA bundle plus the table's own
// `ca_bundle`, timeouts, bounded retries, redaction), secret registration, cancellation and an
// interruptible sleep, and the process environment. A provider contains zero ACME logic and zero
// propagation logic: it changes records, the host checks that they are served.
//
// ENVIRONMENT. Settings come from Settings (the host already applied the env aliases declared in
// provider.toml). A provider reads the environment directly only for a vendor's credential chain
// that the vendor defines by environment and files (AWS_PROFILE, AWS_WEB_IDENTITY_TOKEN_FILE,
// AZURE_FEDERATED_TOKEN_FILE, IDENTITY_ENDPOINT, ...), and then only through Host::env(), never
// getenv(): tests inject the environment there, and the host logs which variable was read
// (never its value). Register every credential found that way with Host::add_secret().
//
// CANCELLATION. A provider that waits (polling a change until it is in sync, backing off after a
// 429) sleeps with Host::sleep(), which returns false as soon as the user pressed Ctrl-C or the
// process got SIGTERM; then stop waiting and return a failure promptly (any code; the host
// reports the interruption itself). Host::stop_requested() asks the same without sleeping. Never
// std::this_thread::sleep_for(): the host cannot interrupt it. During remove() and remove_all()
// a stop is not reported (stop_requested() stays false, sleep() sleeps, http() works): removing
// the records is the cleanup the stop asks for. Keep removals short; a second Ctrl-C ends the
// process and the journal lets the next run finish the cleanup.
//
// NO STATE BETWEEN CALLS THAT MATTERS. add() and remove() of one record may run in different
// processes (a certbot auth hook adds, the cleanup hook removes; `dns01 cleanup --stale` removes
// what a killed run added days ago). remove() must find the record again from (name, value) alone
// — e.g. list the TXT records at the name and delete the one whose content matches — and never
// rely on an id remembered from add(). Caching read-only facts (a zone id, an access token) for
// the life of the object is fine.
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
#define DNS01_PROVIDER_ABI_VERSION 20261201

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

// Optional facts a provider can state about itself; zero means "no opinion". The host reads them
// once, right after the factory returned.
struct Hints {
  // TTL used when neither the host nor the settings ask for one.
  std::chrono::seconds default_ttl{0};
  // (There is deliberately no "typical propagation time": the host never sleeps on a guess, it
  // asks every authoritative server until all serve the values. A provider whose API says when a
  // change is live, like Route 53's INSYNC, waits for that inside add_all() instead.)
  // Largest batch add_all()/remove_all() handles in one request; 0 = no limit. The host splits
  // larger batches into consecutive calls of at most this many records.
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
  // Accessors return `fallback` when the key is absent. A key present with another kind than the
  // accessor reads is a bug (code and provider.toml disagree): it throws Failure
  // (StatusCode::internal) naming the key, so a mismatch fails loudly instead of reading as
  // the fallback. Call them inside guard() (the factory and every entry point are).
  std::string string(std::string_view key, std::string fallback = {}) const {
    const Value* v = of_kind(key, ValueKind::string);
    return v ? v->text : fallback;
  }
  std::int64_t integer(std::string_view key, std::int64_t fallback = 0) const {
    const Value* v = of_kind(key, ValueKind::integer);
    return v ? v->integer : fallback;
  }
  bool boolean(std::string_view key, bool fallback = false) const {
    const Value* v = of_kind(key, ValueKind::boolean);
    return v ? v->boolean : fallback;
  }
  std::chrono::milliseconds duration(std::string_view key,
                                     std::chrono::milliseconds fallback) const {
    const Value* v = of_kind(key, ValueKind::duration);
    return v ? std::chrono::milliseconds(v->integer) : fallback;
  }
  std::vector<std::string> strings(std::string_view key) const {
    const Value* v = of_kind(key, ValueKind::string_list);
    return v ? v->list : std::vector<std::string>{};
  }

 private:
  const Value* of_kind(std::string_view key, ValueKind kind) const;  // defined after Failure
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
  std::chrono::milliseconds timeout{0};  // whole exchange, per attempt; 0 = the host's default
  // May the host retry this call after a 5xx/429 or a lost connection? nullopt = by method
  // (GET, HEAD, PUT and DELETE yes; POST no).
  std::optional<bool> idempotent;
  // Total attempts the host may make (connection failures, and 5xx/429 when idempotent);
  // 0 = the host's default (4). Use 1 for a probe that must fail fast (a cloud metadata endpoint
  // off-cloud) or when the provider runs its own retry loop on the reply (Route 53 throttling
  // arrives as HTTP 400, which the host never retries).
  int max_attempts = 0;
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
  // True once the user asked dns01 to stop (SIGINT/SIGTERM). Long operations check it between
  // steps and return a failure promptly; the host then cleans up and exits 130.
  virtual bool stop_requested() const noexcept = 0;
  // Sleeps up to `duration`; returns false early (within ~50 ms) when a stop is requested, true
  // when the whole duration passed. The only way a provider should wait.
  virtual bool sleep(std::chrono::milliseconds duration) noexcept = 0;
  // The environment variable `name`, or nullopt when unset. See ENVIRONMENT above: only for a
  // vendor's credential chain. The host logs the name at debug level, never the value.
  virtual std::optional<std::string> env(std::string_view name) const noexcept = 0;

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
  // not there succeeds (cleanup is retried and must be idempotent). May run in another process
  // than the add() (see NO STATE BETWEEN CALLS): find the record from (name, value).
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

// Symbol names the host looks up.
inline constexpr const char* kAbiSymbol = "dns01_provider_abi";
inline constexpr const char* kCreateSymbol = "dns01_provider_create";

inline const Value* Settings::of_kind(std::string_view key, ValueKind kind) const {
  const Value* v = find(key);
  if (v && v->kind != kind)
    throw Failure(StatusCode::internal, "read setting '" + std::string(key) + "'",
                  "the provider reads it with another type than its provider.toml declares",
                  "this is a bug in the provider; please report it");
  return v;
}

}  // namespace dns01::provider

// Put this once, at namespace scope, in one .cpp of the module:
//   DNS01_PROVIDER_EXPORT(my::RecordProvider)
// ProviderClass needs a constructor ProviderClass(const Settings&, Host&) that throws
// dns01::provider::Failure (StatusCode::config) on unusable settings.
// The two symbols are plain C names with default visibility; everything else in a module built
// with hidden visibility stays private. (A C++ return type through extern "C" is fine here: host
// and module are C++ built with the same standard library, see COMPATIBILITY.)
#if defined(__clang__)
#define DNS01_PROVIDER_C_LINKAGE_BEGIN \
  _Pragma("clang diagnostic push") _Pragma("clang diagnostic ignored \"-Wreturn-type-c-linkage\"")
#define DNS01_PROVIDER_C_LINKAGE_END _Pragma("clang diagnostic pop")
#else
#define DNS01_PROVIDER_C_LINKAGE_BEGIN
#define DNS01_PROVIDER_C_LINKAGE_END
#endif
#define DNS01_PROVIDER_EXPORT(ProviderClass)                                                   \
  DNS01_PROVIDER_C_LINKAGE_BEGIN                                                               \
  extern "C" __attribute__((visibility("default")))                                            \
  const std::uint32_t dns01_provider_abi = ::dns01::provider::kAbiVersion;                     \
  extern "C" __attribute__((visibility("default")))                                            \
  ::dns01::provider::CreateResult dns01_provider_create(                                       \
      const ::dns01::provider::Settings& settings, ::dns01::provider::Host& host) {            \
    return ::dns01::provider::create_guarded<ProviderClass>(settings, host);                   \
  }                                                                                            \
  DNS01_PROVIDER_C_LINKAGE_END
