#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "dns01/flow/hooks.hpp"
#include "dns01/log.hpp"
#include "temp_dir.hpp"

using namespace dns01;
using namespace dns01::flow;

namespace {
std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

TEST_CASE("a hook that exits 0 succeeds, its output is logged not returned", "[flow]") {
  // The logger writes to stderr: fd 2 goes to a file around the call, then comes back.
  test::TempDir tmp;
  const auto log_path = tmp / "stderr.log";
  std::fflush(stderr);
  const int saved = ::dup(2);
  REQUIRE(saved >= 0);
  const int file = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(file >= 0);
  ::dup2(file, 2);
  ::close(file);
  const auto level = Logger::global().level();
  Logger::global().set_level(LogLevel::info);
  const std::string error = run_hook({"echo hello; echo oops >&2", "deploy", {}, std::chrono::seconds(10)});
  Logger::global().set_level(level);
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  CHECK(error.empty());
  std::ifstream in(log_path);
  std::stringstream logged;
  logged << in.rdbuf();
  INFO(logged.str());
  CHECK(logged.str().find("hello") != std::string::npos);
  CHECK(logged.str().find("oops") != std::string::npos);
}

TEST_CASE("a failing hook is reported, never thrown", "[flow]") {
  const std::string error = run_hook({"exit 3", "deploy", {}, std::chrono::seconds(10)});
  CHECK(error == "deploy hook 'exit 3' exited with 3");
  CHECK(run_hook({"no-such-command-dns01", "post", {}, std::chrono::seconds(10)}).find("127") != std::string::npos);
  CHECK(run_hook({"kill -9 $$", "pre", {}, std::chrono::seconds(10)}) == "pre hook 'kill -9 $$' was killed by signal 9");
}

TEST_CASE("hooks get the process environment plus their variables, stdin empty", "[flow]") {
  test::TempDir dir;
  const auto out = dir / "env.txt";
  ::setenv("HOOK_TEST_INHERITED", "inherited", 1);
  ::setenv("RENEWED_DOMAINS", "stale value", 1);
  const std::string cmd = "printf '%s|%s|%s|' \"$RENEWED_LINEAGE\" \"$RENEWED_DOMAINS\" "
                          "\"$HOOK_TEST_INHERITED\" > " + out.string() + "; cat >> " + out.string();
  CHECK(run_hook({cmd, "deploy",
                  {{"RENEWED_LINEAGE", "/var/lib/dns01/live/a.test"}, {"RENEWED_DOMAINS", "a.test *.a.test"}},
                  std::chrono::seconds(10)})
            .empty());
  ::unsetenv("RENEWED_DOMAINS");
  ::unsetenv("HOOK_TEST_INHERITED");
  CHECK(slurp(out) == "/var/lib/dns01/live/a.test|a.test *.a.test|inherited|");
}

TEST_CASE("hooks never see DNS01_* variables or any variable holding a secret", "[flow]") {
  // Issue 17, finding 10: DNS01_PROVIDERS_*_SECRET reached every deploy hook's environment.
  test::TempDir dir;
  const auto out = dir / "env.txt";
  ::setenv("DNS01_PROVIDERS_MAIN_SECRET", "tsig-secret-value", 1);
  ::setenv("DNS01_CONFIG", "/etc/dns01/dns01.toml", 1);
  ::setenv("CLOUDFLARE_DNS_API_TOKEN", "cf-token-value-123", 1);
  ::setenv("HOOK_TEST_PLAIN", "plain", 1);
  Redactor::global().add_secret("cf-token-value-123");  // as a provider's env alias registers it
  const std::string cmd = "env > " + out.string();
  CHECK(run_hook({cmd, "deploy", {{"RENEWED_DOMAINS", "a.test"}}, std::chrono::seconds(10)}).empty());
  for (const char* v : {"DNS01_PROVIDERS_MAIN_SECRET", "DNS01_CONFIG", "CLOUDFLARE_DNS_API_TOKEN",
                        "HOOK_TEST_PLAIN"})
    ::unsetenv(v);
  const std::string env = slurp(out);
  CHECK(env.find("DNS01_") == std::string::npos);
  CHECK(env.find("tsig-secret-value") == std::string::npos);
  CHECK(env.find("cf-token-value-123") == std::string::npos);
  CHECK(env.find("HOOK_TEST_PLAIN=plain") != std::string::npos);
  CHECK(env.find("RENEWED_DOMAINS=a.test") != std::string::npos);
  CHECK(env.find("PATH=") != std::string::npos);
}

TEST_CASE("a hung hook is killed with everything it started", "[flow]") {
  test::TempDir dir;
  const auto pidfile = dir / "child.pid";
  // The background sleep holds the output pipe open and is in the hook's process group.
  const std::string cmd = "sleep 30 & echo $! > " + pidfile.string() + "; wait";
  const auto start = std::chrono::steady_clock::now();
  const std::string error = run_hook({cmd, "post", {}, std::chrono::milliseconds(400)});
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
  CHECK(error.find("post hook") == 0);
  CHECK(error.find("was killed after 400ms") != std::string::npos);
  const pid_t child = std::stoi(slurp(pidfile));
  // Killed by SIGKILL: gone (or a zombie reaped by init) within a moment.
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    std::ifstream stat("/proc/" + std::to_string(child) + "/stat");
    std::string text;
    std::getline(stat, text);
    gone = !stat || text.find(") Z") != std::string::npos;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(gone);
}

TEST_CASE("a background process keeping the pipe open does not hold a finished hook", "[flow]") {
  test::TempDir dir;
  const auto pidfile = dir / "bg.pid";
  const auto start = std::chrono::steady_clock::now();
  CHECK(run_hook({"sleep 5 & echo $! > " + pidfile.string(), "deploy", {}, std::chrono::seconds(10)}).empty());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(4));
  ::kill(std::stoi(slurp(pidfile)), SIGKILL);
}
