#pragma once
// Test-only Dns01Solver: writes the TXT records into the sandbox BIND primary with nsupdate
// (TSIG key file) and waits until that server answers them (dig +norec). Keeps the ACME module
// independent of the provider plugins.
#include <string>

#include "solver_lifecycle.hpp"

namespace dns01::testing {

class NsupdateSolver : public Dns01Solver {
 public:
  // sabotage: publish wrong values (to make the CA's validation fail on purpose).
  NsupdateSolver(std::string server, int port, std::string tsig_key_file, bool sabotage = false)
      : server_(std::move(server)), port_(port), key_file_(std::move(tsig_key_file)), sabotage_(sabotage) {}
  void present(const std::vector<acme::Dns01Task>& tasks) override;
  void wait_until_visible(const std::vector<acme::Dns01Task>& tasks) override;
  void cleanup(const std::vector<acme::Dns01Task>& tasks) override;

 private:
  void update(const std::vector<acme::Dns01Task>& tasks, const char* verb);
  std::string server_;
  int port_;
  std::string key_file_;
  bool sabotage_;
  std::string value(const acme::Dns01Task& t) const { return sabotage_ ? "wrong-" + t.txt_value : t.txt_value; }
};

}  // namespace dns01::testing
