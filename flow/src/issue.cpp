// issue(): the engine (engine.hpp) with one lineage; its error is thrown, not recorded.
#include "dns01/flow/issue.hpp"

#include <exception>

namespace dns01::flow {

IssueResult issue(const Config& config, const IssueOptions& options, const EngineOptions& engine,
                  IssueServices services) {
  EngineRun run = run_engine(config, {options}, engine, std::move(services));
  LineageRun& lineage = run.lineages.at(0);
  if (lineage.error) std::rethrow_exception(lineage.error);
  return std::move(*lineage.result);
}

IssueResult issue(const Config& config, const IssueOptions& options) {
  EngineOptions engine;
  engine.concurrency = 1;  // one lineage: every phase on the calling thread
  return issue(config, options, engine, {});
}

}  // namespace dns01::flow
