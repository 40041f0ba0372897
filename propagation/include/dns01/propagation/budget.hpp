#pragma once
// The query budget of one server address during the wait: a token bucket with backoff.
//
// Why: authoritative servers rate-limit identical answers (BIND's `rate-limit`, RRL in Knot and
// PowerDNS, every DNS host). The NXDOMAIN/NODATA answers of a lagging server all count as one
// answer per zone there, so 100 names polled on their own schedules (5,243 queries in 2 s)
// get dropped and slipped answers. The bucket caps what one server gets:
//
//  - `rate` tokens per second, at most `burst` saved up; a query takes one token;
//  - an answer that finishes a (server, name) pair gives its token back (refund): every name
//    costs one final answer whatever the budget, the budget limits the repeated "not yet"s.
//    A run of N names at one server therefore sends at most N + burst + rate × seconds queries
//    there, and names a server already serves are answered at network speed;
//  - a UDP timeout (a dropped answer: the server stopped answering, or its RRL drops) halves
//    the rate, at most once per half second, never below a floor the caller gives (one probe
//    per pending name per second, capped at the budget); every answer adds back budget/64, up
//    to the budget.
//
// rate <= 0 means no budget: every call succeeds (the schedule alone decides).
//
// Threading: plain value, one thread. Time is passed in, so tests drive it without sleeping.
#include "dns01/propagation/transport.hpp"

namespace dns01::propagation {

class QueryBudget {
 public:
  QueryBudget(double rate, double burst, Clock::time_point now);

  bool unlimited() const { return budget_ <= 0; }
  // Takes a token when one is there (after refilling up to `now`); false: wait.
  bool try_take(Clock::time_point now);
  // When the next token will be there (`now` when one already is).
  Clock::time_point next_token(Clock::time_point now);
  // The query's answer finished its pair: the token comes back (up to `burst`).
  void refund();
  // A query sent without a token (a sweep, see checker.hpp) did not finish its pair: it costs
  // its token after all, as debt if need be (the next queries wait for it).
  void charge(Clock::time_point now);
  // The query's UDP leg timed out: halve the rate, not below `floor` queries/s. Returns true
  // when the rate did go down (at most once per 500 ms).
  bool timed_out(Clock::time_point now, double floor);
  // A reply came: additive increase back to the budget.
  void answered(Clock::time_point now);

  // Whether charges have spent more than the bucket held (refilled up to `now`).
  bool in_debt(Clock::time_point now);

  double rate() const { return rate_; }
  double tokens() const { return tokens_; }

 private:
  void refill(Clock::time_point now);

  double budget_, burst_, rate_, tokens_;
  Clock::time_point last_, last_backoff_{};
};

}  // namespace dns01::propagation
