// Finding and reading dns01.toml.
#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "dns01/config.hpp"
#include "dns01/storage.hpp"

namespace dns01 {

namespace {

constexpr std::size_t kMaxConfigBytes = 1 << 20;

std::optional<std::string> named_by_env(const LoadOptions& options) {
  if (options.env) {
    auto it = options.env->find("DNS01_CONFIG");
    if (it != options.env->end() && !it->second.empty()) return it->second;
    return std::nullopt;
  }
  // Read while the CLI starts, before any thread exists.
  const char* v = std::getenv("DNS01_CONFIG");  // NOLINT(concurrency-mt-unsafe)
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
  // Only a regular file of bounded size: /dev/zero would grow without end, a FIFO would block.
  FileRead file = read_regular_file(*path, kMaxConfigBytes);
  switch (file.problem) {
    case FileRead::none: break;
    case FileRead::too_large:
      throw ConfigError("read config file", file.describe(*path, kMaxConfigBytes),
                        "is it the right file?");
    case FileRead::cannot_open:
    case FileRead::cannot_read:
      throw ConfigError("read config file", file.describe(*path, kMaxConfigBytes),
                        "check the file's permissions");
    default:
      throw ConfigError("read config file", file.describe(*path, kMaxConfigBytes),
                        "name the dns01.toml file itself (a regular file)");
  }
  return parse_config(file.data, path->string(), options);
}

}  // namespace dns01
