#pragma once
// A provider::Host for unit tests of the kit and of providers: scripted HTTP replies (answered
// in order, every call recorded), an injectable environment, a stop switch, and sleeps that
// are recorded instead of slept (so retry schedules are checked without waiting).
#include <chrono>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "dns01/provider.hpp"

namespace dns01::kit::test {

class FakeHost final : public provider::Host {
 public:
  std::deque<provider::HttpReply> replies;            // next replies, front first
  std::vector<provider::HttpCall> calls;              // every call received
  std::vector<std::string> logs;                      // "<severity> <message>"
  std::vector<std::string> secrets;                   // add_secret() values
  std::vector<std::chrono::milliseconds> slept;       // every sleep() asked for
  std::map<std::string, std::string, std::less<>> environment;
  bool stop = false;                                  // stop_requested()
  int stop_after_sleeps = -1;                         // >= 0: request a stop after that many sleeps

  static provider::HttpReply reply(long code, std::string body = {},
                                   provider::HttpHeaders headers = {}) {
    provider::HttpReply r;
    r.code = code;
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
  }

  void log(provider::Severity severity, std::string_view message) noexcept override {
    logs.push_back(std::to_string(static_cast<int>(severity)) + " " + std::string(message));
  }
  provider::HttpReply http(const provider::HttpCall& call) noexcept override {
    calls.push_back(call);
    if (replies.empty()) {
      provider::HttpReply r;
      r.status = provider::Status::failure(provider::StatusCode::network, call.method + " " + call.url,
                                           "no scripted reply left");
      return r;
    }
    provider::HttpReply r = replies.front();
    replies.pop_front();
    return r;
  }
  void add_secret(std::string_view value) noexcept override { secrets.emplace_back(value); }
  bool stop_requested() const noexcept override { return stop; }
  bool sleep(std::chrono::milliseconds duration) noexcept override {
    slept.push_back(duration);
    if (stop_after_sleeps >= 0 && static_cast<int>(slept.size()) >= stop_after_sleeps) stop = true;
    return !stop;
  }
  std::optional<std::string> env(std::string_view name) const noexcept override {
    auto it = environment.find(name);
    if (it == environment.end()) return std::nullopt;
    return it->second;
  }
};

}  // namespace dns01::kit::test
