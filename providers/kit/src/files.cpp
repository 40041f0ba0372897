// Credential files of the provider kit (see dns01/kit/files.hpp).
#include "dns01/kit/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dns01/provider.hpp"

namespace dns01::kit {

namespace {

using provider::Failure;
using provider::StatusCode;

[[noreturn]] void fail(std::string_view what, const std::filesystem::path& path, std::string why,
                       std::string hint) {
  throw Failure(StatusCode::config, "read " + std::string(what), path.string() + ": " + why,
                std::move(hint));
}

// Owns the descriptor for the life of one read.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string read_checked(const std::filesystem::path& path, std::string_view what, bool secret) {
  Fd file;
  // O_NONBLOCK: opening a FIFO must not hang waiting for a writer; fstat refuses it next.
  file.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (file.fd < 0) {
    const int err = errno;
    fail(what, path, err == ENOENT ? "does not exist" : std::strerror(err),
         "check the path and that dns01 runs as a user who may read it");
  }
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) fail(what, path, std::strerror(errno), {});
  if (!S_ISREG(st.st_mode))
    fail(what, path, "is not a regular file", "point the setting at the file itself");
  if (st.st_size > static_cast<off_t>(kMaxCredentialFileBytes))
    fail(what, path, "is larger than 64 KiB, which no credentials file is",
         "check that the setting names the right file");
  if (secret) {
    if ((st.st_mode & 077) != 0)
      fail(what, path,
           "is readable or writable by group or others (mode " +
               std::to_string((st.st_mode >> 6) & 7) + std::to_string((st.st_mode >> 3) & 7) +
               std::to_string(st.st_mode & 7) + ")",
           "it holds credentials: chmod 600 " + path.string());
    if (st.st_uid != ::geteuid() && st.st_uid != 0)
      fail(what, path, "belongs to another user",
           "credential files must belong to the user dns01 runs as (or root)");
  }
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::read(file.fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(what, path, std::strerror(errno), {});
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  text.resize(done);
  return text;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string read_text_file(const std::filesystem::path& path, std::string_view what) {
  return read_checked(path, what, false);
}

std::string read_secret_text_file(const std::filesystem::path& path, std::string_view what) {
  return read_checked(path, what, true);
}

IniFile parse_ini(std::string_view text) {
  IniFile ini;
  std::string section;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = std::string(trim(line.substr(1, line.size() - 2)));
      ini[section];
      continue;
    }
    const auto sep = line.find_first_of("=:");
    if (sep == std::string_view::npos) continue;  // not a key line: ignored, as botocore does
    const std::string_view key = trim(line.substr(0, sep));
    std::string_view value = trim(line.substr(sep + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front())
      value = value.substr(1, value.size() - 2);
    if (!key.empty()) ini[section][std::string(key)] = std::string(value);
  }
  return ini;
}

}  // namespace dns01::kit
