// Placeholder until the owning issue lands: registers nothing, so --help never lists a verb
// that does not work.
#include "commands.hpp"

namespace dns01::cli {
void register_providers(CLI::App&, Context&) {}
}  // namespace dns01::cli
