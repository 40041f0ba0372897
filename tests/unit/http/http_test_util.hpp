#pragma once
// Helpers shared by the [http] unit tests: fast retry options with a recording sleep, a quiet
// logger, and a loopback port that refuses connections.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dns01/http.hpp"
#include "dns01/log.hpp"

namespace dns01::test {

// Retries without sleeping: every requested delay is recorded instead.
struct RecordedSleeps {
  std::shared_ptr<std::vector<std::chrono::milliseconds>> delays =
      std::make_shared<std::vector<std::chrono::milliseconds>>();
  std::function<void(std::chrono::milliseconds)> fn() const {
    auto d = delays;
    return [d](std::chrono::milliseconds delay) { d->push_back(delay); };
  }
};

inline Logger& quiet_logger() {
  static Logger logger(LogLevel::off);
  return logger;
}

// Small timeouts and delays so no test takes long; the sleep only records.
inline HttpOptions fast_options(const RecordedSleeps& sleeps, int max_attempts = 3) {
  HttpOptions options;
  options.timeout = std::chrono::milliseconds{2000};
  options.connect_timeout = std::chrono::milliseconds{1000};
  options.retry.max_attempts = max_attempts;
  options.retry.base_delay = std::chrono::milliseconds{10};
  options.retry.max_delay = std::chrono::milliseconds{30'000};
  options.sleep = sleeps.fn();
  options.logger = &quiet_logger();
  return options;
}

// A loopback port that is bound but not listening: connecting to it is refused, and no other
// test can take it while this object lives.
class RefusingPort {
 public:
  RefusingPort() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~RefusingPort() { ::close(fd_); }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  int fd_;
  unsigned short port_ = 0;
};

}  // namespace dns01::test
