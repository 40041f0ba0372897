#include "nsupdate_solver.hpp"

#include <chrono>
#include <cstdio>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "dns01/error.hpp"

namespace dns01::testing {

namespace {
std::string quote(const std::string& s) { return "'" + s + "'"; }  // test paths hold no quotes

std::string run_read(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}
}  // namespace

void NsupdateSolver::update(const std::vector<acme::Dns01Task>& tasks, const char* verb) {
  if (tasks.empty()) return;
  std::string script = fmt::format("server {} {}\n", server_, port_);
  for (const auto& t : tasks) script += fmt::format("update {} {}. 60 TXT \"{}\"\n", verb, t.record_name, value(t));
  script += "send\n";
  FILE* p = ::popen(("nsupdate -k " + quote(key_file_)).c_str(), "w");
  if (!p) throw ProviderError("nsupdate", verb, "cannot start nsupdate");
  std::fwrite(script.data(), 1, script.size(), p);
  const int rc = ::pclose(p);
  if (rc != 0) throw ProviderError("nsupdate", verb, fmt::format("nsupdate exited with status {}", rc));
}

void NsupdateSolver::present(const std::vector<acme::Dns01Task>& tasks) { update(tasks, "add"); }
void NsupdateSolver::cleanup(const std::vector<acme::Dns01Task>& tasks) { update(tasks, "delete"); }

void NsupdateSolver::wait_until_visible(const std::vector<acme::Dns01Task>& tasks) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (const auto& t : tasks) {
    while (true) {
      const std::string out = run_read(fmt::format("dig +short +norec +time=1 +tries=1 -p {} @{} TXT {}. 2>/dev/null",
                                                   port_, server_, t.record_name));
      if (out.find("\"" + value(t) + "\"") != std::string::npos) break;
      if (std::chrono::steady_clock::now() > deadline)
        throw PropagationError("wait for " + t.record_name, fmt::format("{} does not serve the value", server_));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

}  // namespace dns01::testing
