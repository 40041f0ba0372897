// placeholder: filled in by its owner
#include "commands.hpp"

namespace dns01::cli {
void register_issue(CLI::App&, Context&) {}
}  // namespace dns01::cli
