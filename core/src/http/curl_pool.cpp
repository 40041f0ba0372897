// Pool of libcurl easy handles with a shared DNS cache and TLS session cache.
//
// Why connections are not in the share: libcurl documents CURL_LOCK_DATA_CONNECT as "not
// supported with multiple concurrent threads" (curl 7.88, Debian 12), and HttpClient promises
// thread-safety. Keeping connections with their easy handle and reusing the most recently
// released handle gives the same reuse for the sequential requests dns01 makes, without the bug.
#include <mutex>

#include "dns01/error.hpp"
#include "http_internal.hpp"

namespace dns01::http_detail {

namespace {
// Idle handles kept beyond this are closed with their connections.
constexpr std::size_t kMaxIdleHandles = 8;

void global_init() {
  // curl_global_init is not thread-safe; do it exactly once, before the first handle.
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      throw Error(ErrorCategory::internal, "http", "initialise libcurl",
                  "curl_global_init failed");
  });
}
}  // namespace

CurlPool::CurlPool() {
  global_init();
  share_.reset(curl_share_init());
  if (!share_) throw Error(ErrorCategory::internal, "http", "create curl share", "out of memory");
  curl_share_setopt(share_.get(), CURLSHOPT_LOCKFUNC, &CurlPool::lock);
  curl_share_setopt(share_.get(), CURLSHOPT_UNLOCKFUNC, &CurlPool::unlock);
  curl_share_setopt(share_.get(), CURLSHOPT_USERDATA, this);
  curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
}

CurlPool::~CurlPool() {
  // Every easy handle must be gone before the share is cleaned up (else CURLSHE_IN_USE).
  std::lock_guard guard(idle_mutex_);
  idle_.clear();
}

void CurlPool::lock(CURL*, curl_lock_data data, curl_lock_access, void* self) {
  static_cast<CurlPool*>(self)->locks_[static_cast<std::size_t>(data)].lock();
}

void CurlPool::unlock(CURL*, curl_lock_data data, void* self) {
  static_cast<CurlPool*>(self)->locks_[static_cast<std::size_t>(data)].unlock();
}

CurlPool::Lease CurlPool::acquire() {
  {
    std::lock_guard guard(idle_mutex_);
    if (!idle_.empty()) {
      CurlPtr handle = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(handle));
    }
  }
  CurlPtr handle{curl_easy_init()};
  if (!handle) throw Error(ErrorCategory::internal, "http", "create curl handle", "out of memory");
  curl_easy_setopt(handle.get(), CURLOPT_SHARE, share_.get());
  return Lease(*this, std::move(handle));
}

void CurlPool::release(CurlPtr handle) {
  // curl_easy_reset clears every option but keeps live connections and the share.
  curl_easy_reset(handle.get());
  std::lock_guard guard(idle_mutex_);
  if (idle_.size() < kMaxIdleHandles) idle_.push_back(std::move(handle));
}

CurlPool::Lease::~Lease() {
  if (handle_) pool_->release(std::move(handle_));
}

}  // namespace dns01::http_detail
