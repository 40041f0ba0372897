// Secret files (*_file keys, DNS01_*_FILE variables): strict modes, one trailing newline dropped,
// value registered with the Redactor before anything else can print it.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "dns01/config.hpp"
#include "dns01/raii.hpp"

namespace dns01 {

namespace {

// Secrets are small; a larger file is almost certainly the wrong path.
constexpr std::size_t kMaxSecretBytes = std::size_t{64} * 1024;

[[noreturn]] void fail(const SourceLocation& where, std::string message, std::string hint = {}) {
  throw ConfigError({ConfigIssue{where.file, where.line, where.column, std::move(message)}},
                    std::move(hint));
}

// The whole content of an open secret file, at most kMaxSecretBytes (the file may grow after
// the fstat size check).
std::string read_all(int fd, const std::string& name, const SourceLocation& where) {
  std::string value;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(where, fmt::format("cannot read secret file '{}': {}", name,
                              std::generic_category().message(errno)));
    }
    if (n == 0) return value;
    value.append(buffer, static_cast<std::size_t>(n));
    if (value.size() > kMaxSecretBytes)
      fail(where, fmt::format("secret file '{}' is larger than {} bytes", name, kMaxSecretBytes));
  }
}

}  // namespace

std::string read_secret_file(const std::filesystem::path& path, bool allow_insecure,
                             const SourceLocation& where) {
  const std::string name = path.string();
  if (name.empty()) fail(where, "the secret file path is empty");
  // open + fstat checks the mode of the very file read (no race with a rename in between).
  // Symlinks are followed on purpose: mounted secrets (Kubernetes, systemd credentials) are links.
  // O_NONBLOCK: a FIFO must not block the open; it is refused below as not a regular file.
  UniqueFd file(::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!file) {
    const int err = errno;
    if (err == ENOENT)
      fail(where, fmt::format("secret file '{}' does not exist", name),
           "check the path, or create the file with mode 600");
    fail(where,
         fmt::format("cannot open secret file '{}': {}", name,
                     std::generic_category().message(err)),
         "make it readable by the user running dns01 (and by nobody else: chmod 600)");
  }
  struct stat st {};
  if (::fstat(file.get(), &st) != 0)
    fail(where, fmt::format("cannot stat secret file '{}': {}", name,
                            std::generic_category().message(errno)));
  if (!S_ISREG(st.st_mode))
    fail(where,
         fmt::format("secret file '{}' is not a regular file ({})", name,
                     S_ISDIR(st.st_mode) ? "a directory" : "a device, FIFO or socket"),
         "name the file that holds the secret");
  if (const int flags = ::fcntl(file.get(), F_GETFL); flags >= 0)
    ::fcntl(file.get(), F_SETFL, flags & ~O_NONBLOCK);
  const unsigned mode = st.st_mode & 07777;
  if ((mode & 077) != 0 && !allow_insecure)
    fail(where,
         fmt::format("secret file '{}' has mode {:04o}: it is accessible by group or others; run "
                     "'chmod 600 {}', or accept it with --allow-insecure-secret-files (or "
                     "[security] allow_insecure_secret_files = true)",
                     name, mode, name),
         fmt::format("chmod 600 {}", name));
  if (static_cast<std::size_t>(st.st_size) > kMaxSecretBytes)
    fail(where, fmt::format("secret file '{}' is larger than {} bytes; is it the right file?", name,
                            kMaxSecretBytes));

  std::string value = read_all(file.get(), name, where);
  // Exactly one trailing newline (as written by `echo` or an editor) is not part of the secret.
  if (!value.empty() && value.back() == '\n') {
    value.pop_back();
    if (!value.empty() && value.back() == '\r') value.pop_back();
  }
  if (value.empty())
    fail(where, fmt::format("secret file '{}' is empty", name), "write the secret into the file");
  Redactor::global().add_secret(value);
  return value;
}

}  // namespace dns01
