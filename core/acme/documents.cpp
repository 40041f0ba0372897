// Defensive parsers for the ACME resources. Each one converts any json.hpp Error into an
// AcmeError naming the document, so callers only ever see the acme category.
#include "dns01/acme/documents.hpp"

#include <ctime>

#include <fmt/format.h>

namespace dns01::acme {

namespace {

using json::Json;

template <typename F>
auto guarded(const std::string& step, F&& f) -> decltype(f(std::declval<const json::Context&>())) {
  const json::Context ctx{ErrorCategory::acme, "acme", step};
  try {
    return f(ctx);
  } catch (const AcmeError&) {
    throw;
  } catch (const Error& e) {
    throw AcmeError(step, e.cause(), "the CA sent a reply dns01 cannot use; report it to the CA if it persists");
  } catch (const Json::exception& e) {
    throw AcmeError(step, fmt::format("unexpected JSON shape ({})", e.what()));
  }
}

std::string opt_str(const Json& o, std::string_view k, const json::Context& ctx) {
  return json::opt_string(o, k, ctx).value_or("");
}

std::vector<std::string> opt_str_array(const Json& o, std::string_view k, const json::Context& ctx) {
  auto it = o.find(k);
  if (it == o.end() || it->is_null()) return {};
  return json::get_string_array(o, k, ctx);
}

std::optional<Clock::time_point> opt_time(const Json& o, std::string_view k, const json::Context& ctx) {
  auto s = json::opt_string(o, k, ctx);
  if (!s) return std::nullopt;
  auto t = parse_rfc3339(*s);
  if (!t) throw AcmeError(ctx.step, fmt::format("member '{}' is not an RFC 3339 time", k));
  return t;
}

Identifier parse_identifier(const Json& o, const json::Context& ctx) {
  if (!o.is_object()) throw AcmeError(ctx.step, "an identifier is not an object");
  return Identifier{json::get_string(o, "type", ctx), json::get_string(o, "value", ctx)};
}

AcmeProblem problem_from(const Json& j, int status, int depth) {
  AcmeProblem p;
  p.status = status;
  auto str = [&](const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  p.type = str("type");
  p.detail = str("detail");
  if (auto it = j.find("status"); it != j.end() && it->is_number_integer()) {
    const auto s = it->get<std::int64_t>();
    if (s >= 100 && s <= 599 && status == 0) p.status = static_cast<int>(s);
  }
  if (auto it = j.find("identifier"); it != j.end() && it->is_object()) {
    auto v = it->find("value");
    if (v != it->end() && v->is_string()) p.identifier = v->get<std::string>();
  }
  if (auto it = j.find("subproblems"); it != j.end() && it->is_array() && depth < 4) {
    for (const auto& sub : *it)
      if (sub.is_object() && p.subproblems.size() < 100) p.subproblems.push_back(problem_from(sub, 0, depth + 1));
  }
  return p;
}

Challenge challenge_from(const Json& c, const json::Context& ctx) {
  if (!c.is_object()) throw AcmeError(ctx.step, "a challenge is not an object");
  Challenge ch;
  ch.type = json::get_string(c, "type", ctx);
  ch.url = json::get_string(c, "url", ctx);
  ch.status = parse_challenge_status(json::get_string(c, "status", ctx));
  ch.token = opt_str(c, "token", ctx);
  if (auto it = c.find("error"); it != c.end() && it->is_object()) ch.error = problem_from(*it, 0, 0);
  return ch;
}

// Wire names indexed by the enum's value; index 0 is `unknown`.
constexpr std::string_view kOrderStatus[] = {"unknown", "pending", "ready", "processing", "valid", "invalid"};
constexpr std::string_view kAuthorizationStatus[] = {"unknown", "pending", "valid", "invalid",
                                                     "deactivated", "expired", "revoked"};
constexpr std::string_view kChallengeStatus[] = {"unknown", "pending", "processing", "valid", "invalid"};

template <typename E, std::size_t N>
E from_wire(const std::string_view (&names)[N], std::string_view wire) noexcept {
  for (std::size_t i = 1; i < N; ++i)
    if (names[i] == wire) return static_cast<E>(i);
  return static_cast<E>(0);
}

template <typename E, std::size_t N>
std::string_view to_wire(const std::string_view (&names)[N], E e) noexcept {
  const auto i = static_cast<std::size_t>(e);
  return i < N ? names[i] : names[0];
}

}  // namespace

std::string_view to_string(OrderStatus s) noexcept { return to_wire(kOrderStatus, s); }
std::string_view to_string(AuthorizationStatus s) noexcept { return to_wire(kAuthorizationStatus, s); }
std::string_view to_string(ChallengeStatus s) noexcept { return to_wire(kChallengeStatus, s); }
OrderStatus parse_order_status(std::string_view wire) noexcept { return from_wire<OrderStatus>(kOrderStatus, wire); }
AuthorizationStatus parse_authorization_status(std::string_view wire) noexcept {
  return from_wire<AuthorizationStatus>(kAuthorizationStatus, wire);
}
ChallengeStatus parse_challenge_status(std::string_view wire) noexcept {
  return from_wire<ChallengeStatus>(kChallengeStatus, wire);
}

Directory parse_directory(std::string_view body) {
  return guarded("parse directory", [&](const json::Context& ctx) {
    const Json j = json::parse_object(body, ctx, kMaxDocumentBytes);
    Directory d;
    d.new_nonce = json::get_string(j, "newNonce", ctx);
    d.new_account = json::get_string(j, "newAccount", ctx);
    d.new_order = json::get_string(j, "newOrder", ctx);
    d.new_authz = opt_str(j, "newAuthz", ctx);
    d.revoke_cert = opt_str(j, "revokeCert", ctx);
    d.key_change = opt_str(j, "keyChange", ctx);
    d.renewal_info = opt_str(j, "renewalInfo", ctx);
    if (auto it = j.find("meta"); it != j.end() && !it->is_null()) {
      if (!it->is_object()) throw AcmeError(ctx.step, "member 'meta' is not an object");
      const Json& m = *it;
      d.meta.terms_of_service = opt_str(m, "termsOfService", ctx);
      d.meta.website = opt_str(m, "website", ctx);
      d.meta.caa_identities = opt_str_array(m, "caaIdentities", ctx);
      d.meta.external_account_required = json::opt_bool(m, "externalAccountRequired", ctx).value_or(false);
      if (auto p = m.find("profiles"); p != m.end() && !p->is_null()) {
        if (!p->is_object()) throw AcmeError(ctx.step, "member 'meta.profiles' is not an object");
        for (const auto& [name, desc] : p->items())
          d.meta.profiles[name] = desc.is_string() ? desc.get<std::string>() : std::string();
      }
    }
    return d;
  });
}

AcmeProblem parse_problem(std::string_view body, int http_status) {
  const Json j = body.size() > kMaxDocumentBytes ? Json()
                                                  : Json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_object()) {
    AcmeProblem p = problem_from(j, http_status, 0);
    if (!p.type.empty() || !p.detail.empty()) return p;
  }
  AcmeProblem p;
  p.status = http_status;
  p.detail = body.empty() ? fmt::format("HTTP {} with an empty body", http_status)
                          : fmt::format("HTTP {} with a body that is not a problem document", http_status);
  return p;
}

bool is_problem(const AcmeProblem& p, std::string_view short_type) { return p.short_type() == short_type; }

Account parse_account(std::string_view body) {
  return guarded("parse account", [&](const json::Context& ctx) {
    const Json j = json::parse_object(body, ctx, kMaxDocumentBytes);
    Account a;
    a.status = json::get_string(j, "status", ctx);
    a.contact = opt_str_array(j, "contact", ctx);
    a.orders = opt_str(j, "orders", ctx);
    return a;
  });
}

const Challenge* Authorization::find_challenge(std::string_view type) const {
  for (const auto& c : challenges)
    if (c.type == type) return &c;
  return nullptr;
}

Challenge parse_challenge(std::string_view body) {
  return guarded("parse challenge", [&](const json::Context& ctx) {
    return challenge_from(json::parse_object(body, ctx, kMaxDocumentBytes), ctx);
  });
}

Authorization parse_authorization(std::string_view body) {
  return guarded("parse authorization", [&](const json::Context& ctx) {
    const Json j = json::parse_object(body, ctx, kMaxDocumentBytes);
    Authorization a;
    a.identifier = parse_identifier(json::get_object(j, "identifier", ctx), ctx);
    a.status = parse_authorization_status(json::get_string(j, "status", ctx));
    a.wildcard = json::opt_bool(j, "wildcard", ctx).value_or(false);
    a.expires = opt_time(j, "expires", ctx);
    for (const auto& c : json::get_array(j, "challenges", ctx)) a.challenges.push_back(challenge_from(c, ctx));
    return a;
  });
}

Order parse_order(std::string_view body) {
  return guarded("parse order", [&](const json::Context& ctx) {
    const Json j = json::parse_object(body, ctx, kMaxDocumentBytes);
    Order o;
    o.status = parse_order_status(json::get_string(j, "status", ctx));
    for (const auto& i : json::get_array(j, "identifiers", ctx)) o.identifiers.push_back(parse_identifier(i, ctx));
    o.authorizations = json::get_string_array(j, "authorizations", ctx);
    o.finalize = json::get_string(j, "finalize", ctx);
    o.certificate = opt_str(j, "certificate", ctx);
    o.profile = opt_str(j, "profile", ctx);
    o.replaces = opt_str(j, "replaces", ctx);
    o.expires = opt_time(j, "expires", ctx);
    if (auto it = j.find("error"); it != j.end() && it->is_object()) o.error = problem_from(*it, 0, 0);
    return o;
  });
}

RenewalInfo parse_renewal_info(std::string_view body) {
  return guarded("parse renewal info", [&](const json::Context& ctx) {
    const Json j = json::parse_object(body, ctx, kMaxDocumentBytes);
    const Json& w = json::get_object(j, "suggestedWindow", ctx);
    RenewalInfo r;
    auto start = parse_rfc3339(json::get_string(w, "start", ctx));
    auto end = parse_rfc3339(json::get_string(w, "end", ctx));
    if (!start || !end) throw AcmeError(ctx.step, "suggestedWindow start/end is not an RFC 3339 time");
    if (*end < *start) throw AcmeError(ctx.step, "suggestedWindow ends before it starts");
    r.window_start = *start;
    r.window_end = *end;
    r.explanation_url = opt_str(j, "explanationURL", ctx);
    return r;
  });
}

std::optional<Clock::time_point> parse_rfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)
  auto digits = [&](std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int Y, M, D, h, m, sec;
  if (!digits(0, 4, Y) || s.size() < 20 || s[4] != '-' || !digits(5, 2, M) || s[7] != '-' ||
      !digits(8, 2, D) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(11, 2, h) ||
      s[13] != ':' || !digits(14, 2, m) || s[16] != ':' || !digits(17, 2, sec))
    return std::nullopt;
  // Years outside 1900..2200 are refused: nanosecond time points overflow a few centuries out.
  if (Y < 1900 || Y > 2200) return std::nullopt;
  if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60) return std::nullopt;
  std::size_t pos = 19;
  std::chrono::nanoseconds frac{0};
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    long long scale = 100'000'000;
    std::size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      frac += std::chrono::nanoseconds((s[pos] - '0') * scale);
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  int offset_min = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(pos + 4, 2, om))
      return std::nullopt;
    offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const auto days = std::chrono::sys_days(std::chrono::year(Y) / std::chrono::month(static_cast<unsigned>(M)) /
                                          std::chrono::day(static_cast<unsigned>(D)));
  auto tp = Clock::time_point(std::chrono::duration_cast<Clock::duration>(
      days.time_since_epoch() + std::chrono::hours(h) + std::chrono::minutes(m - offset_min) +
      std::chrono::seconds(sec) + frac));
  return tp;
}

std::string format_rfc3339(Clock::time_point t) {
  const std::time_t tt = Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace dns01::acme
