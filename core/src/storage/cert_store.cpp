#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <random>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fmt/format.h>

#include "dns01/error.hpp"
#include "dns01/log.hpp"
#include "dns01/raii.hpp"
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

// N of a live link's target "../../archive/<name>/<kind>N.pem"; 0 for any other target.
int link_version(const fs::path& target, const std::string& name, std::string_view kind) {
  const fs::path expected_dir = fs::path("..") / ".." / "archive" / name;
  if (target.parent_path() != expected_dir) return 0;
  const std::string f = target.filename().string();
  if (!f.starts_with(kind) || !f.ends_with(".pem") || f.size() <= kind.size() + 4) return 0;
  int version = 0;
  const char* first = f.data() + kind.size();
  const char* last = f.data() + f.size() - 4;
  auto [p, err] = std::from_chars(first, last, version);
  return err == std::errc() && p == last ? version : 0;
}

fs::path archive_file(const fs::path& archive, const char* kind, int version) {
  return archive / fmt::format("{}{}.pem", kind, version);
}

// Whether archive/<name>/*N.pem are all there and privkeyN.pem is the key of certN.pem.
bool version_usable(const fs::path& archive, int version) {
  if (version <= 0) return false;
  for (const char* kind : kKinds) {
    std::error_code ec;
    if (!fs::is_regular_file(archive_file(archive, kind, version), ec)) return false;
  }
  try {
    const std::string cert_pem = read_file(archive_file(archive, "cert", version));
    std::string key_pem = read_file(archive_file(archive, "privkey", version));
    BioPtr cert_bio{BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()))};
    BioPtr key_bio{BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()))};
    X509Ptr cert{cert_bio ? PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr) : nullptr};
    EvpPkeyPtr key{key_bio ? PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr) : nullptr};
    OPENSSL_cleanse(key_pem.data(), key_pem.size());
    const bool match = cert && key && X509_check_private_key(cert.get(), key.get()) == 1;
    ERR_clear_error();
    return match;
  } catch (const StorageError&) {
    return false;
  }
}

// The versions the four live links point at (cert, chain, fullchain, privkey; 0 = broken).
std::array<int, 4> link_versions(const fs::path& live, const std::string& name) {
  std::array<int, 4> out{};
  for (std::size_t i = 0; i < 4; ++i) {
    std::error_code ec;
    const fs::path to = fs::read_symlink(live / fmt::format("{}.pem", kKinds[i]), ec);
    out[i] = ec ? 0 : link_version(to, name, kKinds[i]);
  }
  return out;
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
  // A leading '-' would read as an option to every tool that is given the path; '.' hides it.
  if (!std::isalnum(static_cast<unsigned char>(name.front())) && name.front() != '_')
    bad("it must start with a letter, a digit or '_'");
  if (name.find("..") != std::string_view::npos) bad("it must not contain '..'");
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_'))
      bad(std::isprint(static_cast<unsigned char>(c))
              ? fmt::format("character '{}' is not allowed", c)
              : fmt::format("character 0x{:02x} is not allowed", static_cast<unsigned char>(c)));
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
  const fs::path live = dir_ / "live" / name;
  fs::path target = fs::read_symlink(live / "cert.pem", ec);
  if (ec) return std::nullopt;
  check_private_dir(live);
  check_private_dir(dir_ / "archive" / name);
  // Only links of the shape save() makes are read through: ../../archive/<name>/<kind>N.pem.
  auto versions = link_versions(live, name);
  for (std::size_t i = 0; i < 4; ++i)
    if (versions[i] <= 0)
      throw StorageError(
          "read certificate",
          fmt::format("{}/{}.pem is not a link into archive/{} as dns01 makes them", live.string(),
                      kKinds[i], name),
          fmt::format("check live/{0}; `dns01 issue --cert-name {0}` stores a fresh version", name));
  bool complete = std::all_of(versions.begin(), versions.end(), [&](int v) { return v == versions[0]; });
  if (!complete) {
    // A run was killed between the four link switches. Completed here when no other run holds
    // the lineage (one that does may be switching right now, and completes it itself).
    try {
      LineageLock lock(dir_, name);  // repairs (see LineageLock)
      versions = link_versions(live, name);
      complete = std::all_of(versions.begin(), versions.end(), [&](int v) { return v == versions[0]; });
    } catch (const StorageError&) {
    }
  }
  LineagePaths paths = live_paths(dir_, name, versions[0]);
  paths.complete = complete;
  return paths;
}

std::string CertStore::repair(const std::string& name) const {
  const fs::path live = dir_ / "live" / name;
  const fs::path archive = dir_ / "archive" / name;
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(live, ec)) || !fs::is_directory(fs::symlink_status(archive, ec)))
    return {};
  check_private_dir(live);
  check_private_dir(archive);
  std::string done;
  auto note = [&](const std::string& what) { done += (done.empty() ? "" : "; ") + what; };

  // 1. Four links pointing at different versions: all to the newest one that is complete and
  //    whose key matches its certificate (save() writes and syncs all of archive/N before the
  //    first switch, so that is the version the killed run was switching to), else the oldest.
  auto versions = link_versions(live, name);
  if (!std::all_of(versions.begin(), versions.end(), [&](int v) { return v == versions[0]; })) {
    std::vector<int> candidates(versions.begin(), versions.end());
    std::sort(candidates.rbegin(), candidates.rend());
    for (int v : candidates) {
      if (!version_usable(archive, v)) continue;
      for (const char* kind : {"privkey", "cert", "chain", "fullchain"})
        switch_symlink(fs::path("..") / ".." / "archive" / name / fmt::format("{}{}.pem", kind, v),
                       live / fmt::format("{}.pem", kind));
      fsync_dir(live);
      note(fmt::format("the live links pointed at versions {}/{}/{}/{} (cert/chain/fullchain/"
                       "privkey: a run was killed while switching them); all point at version {} now",
                       versions[0], versions[1], versions[2], versions[3], v));
      versions.fill(v);
      break;
    }
  }
  // 2. Leftovers of killed runs: temporary files, unfinished link switches, and versions
  //    written to archive/ but never linked (complete private keys nobody uses).
  const int linked = *std::max_element(versions.begin(), versions.end());
  int removed_versions = 0;
  for (const auto& dir : {archive, live}) {
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string f = entry.path().filename().string();
      bool stale = f.starts_with(".") && (f.ends_with(".tmp") || f.ends_with(".new"));
      if (!stale && dir == archive && linked > 0)
        for (const char* kind : kKinds)
          if (const int v = link_version(fs::path("..") / ".." / "archive" / name / f, name, kind);
              v > linked) {
            stale = true;
            if (std::string_view(kind) == "cert") ++removed_versions;
          }
      if (stale && ::unlink(entry.path().c_str()) == 0 && f.starts_with("."))
        note(fmt::format("removed {} left by an interrupted run", (dir / f).string()));
    }
  }
  if (removed_versions > 0)
    note(fmt::format("removed {} version{} above {} in archive/{} that no link used (left by an "
                     "interrupted run)",
                     removed_versions, removed_versions == 1 ? "" : "s", linked, name));
  if (!done.empty()) Logger::global().warn("storage", "{}: {}", name, done);
  return done;
}

std::vector<std::string> CertStore::lineages() const {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(dir_ / "live", ec)) return out;
  check_private_dir(dir_ / "live");
  for (const auto& entry : fs::directory_iterator(dir_ / "live", ec))
    if (entry.is_directory() && !entry.is_symlink()) out.push_back(entry.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace dns01
