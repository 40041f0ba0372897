// Finding and reading dns01.toml.
#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "dns01/config.hpp"

namespace dns01 {

namespace {

constexpr std::size_t kMaxConfigBytes = 1 << 20;

std::optional<std::string> named_by_env(const LoadOptions& options) {
  if (options.env) {
    auto it = options.env->find("DNS01_CONFIG");
    if (it != options.env->end() && !it->second.empty()) return it->second;
    return std::nullopt;
  }
  const char* v = std::getenv("DNS01_CONFIG");
  if (v && *v) return std::string(v);
  return std::nullopt;
}

void require_file(const std::filesystem::path& path, std::string_view named_by) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status))
    throw ConfigError("find config file",
                      fmt::format("'{}' (named by {}) does not exist", path.string(), named_by),
                      "check the path, or omit it to use ./dns01.toml or /etc/dns01/dns01.toml");
  if (std::filesystem::is_directory(status))
    throw ConfigError("find config file",
                      fmt::format("'{}' (named by {}) is a directory", path.string(), named_by),
                      "name the dns01.toml file itself");
}

}  // namespace

std::optional<std::filesystem::path> find_config_path(const LoadOptions& options) {
  if (options.path) {
    require_file(*options.path, "--config");
    return *options.path;
  }
  if (auto env = named_by_env(options)) {
    require_file(*env, "DNS01_CONFIG");
    return std::filesystem::path(*env);
  }
  for (const char* candidate : {"dns01.toml", "/etc/dns01/dns01.toml"}) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec)) return std::filesystem::path(candidate);
  }
  return std::nullopt;
}

Config load_config(const LoadOptions& options) {
  const auto path = find_config_path(options);
  if (!path) return parse_config("", "", options);
  std::ifstream in(*path, std::ios::binary);
  if (!in)
    throw ConfigError("read config file",
                      fmt::format("cannot open '{}': {}", path->string(), std::strerror(errno)),
                      "check the file's permissions");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad())
    throw ConfigError("read config file", fmt::format("cannot read '{}'", path->string()));
  const std::string content = text.str();
  if (content.size() > kMaxConfigBytes)
    throw ConfigError("read config file",
                      fmt::format("'{}' is larger than {} bytes", path->string(), kMaxConfigBytes),
                      "is it the right file?");
  return parse_config(content, path->string(), options);
}

}  // namespace dns01
