// Token bucket with AIMD backoff for one server address (see budget.hpp).
#include "dns01/propagation/budget.hpp"

#include <algorithm>

namespace dns01::propagation {

QueryBudget::QueryBudget(double rate, double burst, Clock::time_point now)
    : budget_(rate), burst_(std::max(1.0, burst)), rate_(rate), tokens_(burst_), last_(now) {}

void QueryBudget::refill(Clock::time_point now) {
  if (now <= last_) return;
  const double seconds = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + seconds * rate_);
  last_ = now;
}

bool QueryBudget::try_take(Clock::time_point now) {
  if (unlimited()) return true;
  refill(now);
  // A hair of tolerance: next_token() rounds to the clock's resolution, and a wake-up at that
  // moment must find the token there rather than spin for the last 1e-9 of it.
  if (tokens_ < 1.0 - 1e-6) return false;
  tokens_ -= 1.0;
  return true;
}

Clock::time_point QueryBudget::next_token(Clock::time_point now) {
  if (unlimited()) return now;
  refill(now);
  if (tokens_ >= 1.0 - 1e-6) return now;
  const auto wait = std::chrono::duration<double>((1.0 - tokens_) / rate_);
  return now + std::chrono::ceil<Clock::duration>(wait);
}

void QueryBudget::refund() {
  if (!unlimited()) tokens_ = std::min(burst_, tokens_ + 1.0);
}

void QueryBudget::charge(Clock::time_point now) {
  if (unlimited()) return;
  refill(now);
  tokens_ -= 1.0;
}

bool QueryBudget::in_debt(Clock::time_point now) {
  if (unlimited()) return false;
  refill(now);
  return tokens_ < 0;
}

bool QueryBudget::timed_out(Clock::time_point now, double floor) {
  if (unlimited()) return false;
  // Timeouts come in bursts (every query in flight when the server stopped answering): one
  // halving per half second reacts to the event, not to the number of queries it caught.
  if (last_backoff_ != Clock::time_point{} && now - last_backoff_ < std::chrono::milliseconds(500))
    return false;
  refill(now);
  const double lowered = std::max(std::min(floor, budget_), rate_ / 2);
  if (lowered >= rate_) return false;
  rate_ = lowered;
  tokens_ = std::min(tokens_, 1.0);  // no saved-up burst into a server that drops answers
  last_backoff_ = now;
  return true;
}

void QueryBudget::answered(Clock::time_point now) {
  if (unlimited()) return;
  refill(now);
  // Slowly: recovering from one halving takes 32 answers, so a server whose RRL sits below
  // the budget sees the rate hover around its limit rather than bounce back at once.
  rate_ = std::min(budget_, rate_ + budget_ / 64);
}

}  // namespace dns01::propagation
