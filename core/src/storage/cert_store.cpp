#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <random>

#include <fmt/format.h>

#include "dns01/error.hpp"
#include "dns01/storage.hpp"

namespace dns01 {

namespace {

constexpr const char* kKinds[] = {"cert", "chain", "fullchain", "privkey"};

// Highest N among archive/<name>/certN.pem.
int highest_version(const fs::path& archive) {
  int best = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(archive, ec)) {
    std::string f = entry.path().filename().string();
    if (!f.starts_with("cert") || !f.ends_with(".pem")) continue;
    std::string_view digits(f.data() + 4, f.size() - 8);
    int n = 0;
    auto [p, err] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (err == std::errc() && p == digits.data() + digits.size()) best = std::max(best, n);
  }
  return best;
}

// Points `link` at `target` atomically: a new symlink under a temporary name renamed over it.
void switch_symlink(const fs::path& target, const fs::path& link) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  fs::path tmp = link.parent_path() / fmt::format(".{}.{:x}.new", link.filename().string(), rng());
  if (::symlink(target.c_str(), tmp.c_str()) != 0 || ::rename(tmp.c_str(), link.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw StorageError("update live link", fmt::format("{}: {}", link.string(), std::strerror(err)));
  }
}

LineagePaths live_paths(const fs::path& dir, const std::string& name, int version) {
  LineagePaths p;
  p.name = name;
  p.version = version;
  p.live_dir = dir / "live" / name;
  p.cert = p.live_dir / "cert.pem";
  p.chain = p.live_dir / "chain.pem";
  p.fullchain = p.live_dir / "fullchain.pem";
  p.privkey = p.live_dir / "privkey.pem";
  return p;
}

}  // namespace

CertStore::CertStore(fs::path dir) : dir_(std::move(dir)) {}

void CertStore::check_name(std::string_view name) {
  auto bad = [&](const std::string& why) {
    throw UsageError("storage", "check certificate name",
                     fmt::format("'{}' cannot be a certificate name: {}", name, why),
                     "use letters, digits, '.', '-' and '_' (e.g. the first domain)");
  };
  if (name.empty() || name.size() > 255) bad("it must be 1 to 255 characters");
  if (name.front() == '.') bad("it must not start with '.'");
  if (name.find("..") != std::string_view::npos) bad("it must not contain '..'");
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
          c == '*'))
      bad(fmt::format("character '{}' is not allowed", c));
}

LineagePaths CertStore::save(const std::string& name, const CertificateFiles& files) {
  check_name(name);
  ensure_private_dir(dir_);
  const fs::path archive = dir_ / "archive" / name;
  const fs::path live = dir_ / "live" / name;
  ensure_private_dir(archive);
  ensure_private_dir(live);

  const int version = highest_version(archive) + 1;
  const std::string* contents[] = {&files.cert, &files.chain, &files.fullchain, &files.privkey};
  for (int i = 0; i < 4; ++i) {
    const bool key = std::string_view(kKinds[i]) == "privkey";
    write_file_atomic(archive / fmt::format("{}{}.pem", kKinds[i], version), *contents[i],
                      key ? 0600 : 0644, /*sync_dir=*/false);
  }
  fsync_dir(archive);  // once for the four new names, before any link points at them
  // Each link switches atomically; the four switches are not one transaction (neither are
  // certbot's). Servers read the files when the deploy hook reloads them, after all four.
  for (const char* kind : {"privkey", "cert", "chain", "fullchain"})
    switch_symlink(fs::path("..") / ".." / "archive" / name / fmt::format("{}{}.pem", kind, version),
                   live / fmt::format("{}.pem", kind));
  fsync_dir(live);
  return live_paths(dir_, name, version);
}

std::optional<LineagePaths> CertStore::current(const std::string& name) const {
  // The version is the one live/ points at, not the newest in archive/: a run killed between
  // writing archive/ and switching live/ leaves a newer, unused version behind.
  std::error_code ec;
  fs::path target = fs::read_symlink(dir_ / "live" / name / "cert.pem", ec);
  if (ec) return std::nullopt;
  std::string f = target.filename().string();
  int version = 0;
  if (f.starts_with("cert") && f.ends_with(".pem"))
    std::from_chars(f.data() + 4, f.data() + f.size() - 4, version);
  return live_paths(dir_, name, version);
}

std::vector<std::string> CertStore::lineages() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_ / "live", ec))
    if (entry.is_directory()) out.push_back(entry.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace dns01
