#pragma once
// Credential files for provider modules: the vendor's own files (certbot's cloudflare.ini and
// azure.ini, ~/.aws/credentials and config, a federated token file) read with the same care the
// host gives `*_file` secrets. Part of the provider kit.
//
// Errors: throw provider::Failure(StatusCode::config) naming the file and what to do; never the
// content.
#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace dns01::kit {

inline constexpr std::size_t kMaxCredentialFileBytes = 64 * 1024;

// A regular file (symlinks are followed: mounted secrets are links) of at most
// kMaxCredentialFileBytes; FIFOs, devices and directories are refused without blocking.
// `what` names the file for errors ("the certbot credentials file").
std::string read_text_file(const std::filesystem::path& path, std::string_view what);

// read_text_file, and the file must not be readable or writable by group or others and must be
// owned by the running user or root (as certbot and ssh insist for credential files).
std::string read_secret_text_file(const std::filesystem::path& path, std::string_view what);

// An INI file as the vendors write them: `[section]` headers (keys before any header are in
// section ""), `key = value` or `key: value`, `#` and `;` comment lines, surrounding whitespace
// and one pair of matching quotes around a value dropped. Keys are kept as written (AWS and
// certbot keys are lower-case already). A later duplicate key wins, as in botocore/configobj.
using IniSection = std::map<std::string, std::string, std::less<>>;
using IniFile = std::map<std::string, IniSection, std::less<>>;
IniFile parse_ini(std::string_view text);

}  // namespace dns01::kit
