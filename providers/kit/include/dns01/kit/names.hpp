#pragma once
// DNS names as provider APIs want them. Part of the provider kit. Pure functions, no exceptions
// except where stated.
#include <string>
#include <string_view>
#include <vector>

namespace dns01::kit {

// Lower-case (ASCII only; names reach providers in their xn-- form) without a trailing dot:
// "_ACME-Challenge.Example.COM." -> "_acme-challenge.example.com".
std::string normalize_name(std::string_view name);

// Is `name` the zone itself or below it, label by label ("a.example.com" is in "example.com",
// "badexample.com" is not)? Both sides are normalised first.
bool in_zone(std::string_view name, std::string_view zone);

// `name` relative to `zone`: "_acme-challenge.www" for _acme-challenge.www.example.com in
// example.com, "@" for the apex. Throws std::invalid_argument when the name is not in the zone.
std::string relative_name(std::string_view name, std::string_view zone);

// The name and each parent, longest first, stopping before the last label:
// "_acme-challenge.a.example.com" -> {"_acme-challenge.a.example.com", "a.example.com",
// "example.com"}. For a longest-match zone lookup through an API.
std::vector<std::string> zone_candidates(std::string_view name);

// A TXT value as one RFC 1035 character-string in presentation form: "\"value\"", with '"' and
// '\' escaped. ACME values never need escaping; other callers might.
std::string quote_txt(std::string_view value);
// The inverse: strips one pair of surrounding quotes and unescapes \" and \\. Values that are
// not quoted come back unchanged; several quoted strings ("a" "b") are concatenated.
std::string unquote_txt(std::string_view text);

}  // namespace dns01::kit
