#include <openssl/err.h>

#include "dns01/error.hpp"
#include "dns01/raii.hpp"

namespace dns01 {

void throw_openssl_error(const char* component, std::string step) {
  unsigned long code = ERR_get_error();
  ERR_clear_error();  // the rest of the queue would be blamed on the next, unrelated call
  char buf[256] = "unknown OpenSSL error";
  if (code) ERR_error_string_n(code, buf, sizeof buf);
  throw Error(ErrorCategory::internal, component, std::move(step), buf);
}

}  // namespace dns01
