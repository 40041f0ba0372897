// One HTTP exchange on one easy handle: options, callbacks with size limits, header parsing,
// trace logging, and classification of failures. Redirects and retries live in http_client.cpp.
#include <sys/socket.h>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "dns01/error.hpp"
#include "dns01/log.hpp"
#include "dns01/version.hpp"
#include "http_internal.hpp"

namespace dns01::http_detail {

namespace {
// Header bytes accepted per response; curl caps single lines, this caps their number.
constexpr std::size_t kMaxHeaderBytes = 256 * 1024;
// Body bytes shown in trace logs.
constexpr std::size_t kTraceBodyBytes = 1024;

// Per-transfer state the callbacks fill in.
struct Sink {
  std::string body;
  std::size_t limit = 0;
  bool body_overflow = false;
  Headers headers;
  std::size_t header_bytes = 0;
  bool header_overflow = false;
  bool callback_failed = false;  // a callback threw (out of memory): transfer aborted
  bool refuse_link_local = false;
  std::string refused;           // why a connection was refused (UrlPolicy)
  bool interrupted = false;      // aborted because the request was cancelled
  const std::function<bool()>* cancelled = nullptr;
  Logger* trace = nullptr;
  std::string_view component;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' ||
                        s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

size_t write_body(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t len = size * count;
  // Returning less than len aborts the transfer with CURLE_WRITE_ERROR: a hostile or broken
  // server cannot make us buffer more than the limit.
  if (len > sink->limit - sink->body.size()) {
    sink->body_overflow = true;
    return 0;
  }
  sink->body.append(data, len);
  return len;
}

size_t write_header(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t len = size * count;
  sink->header_bytes += len;
  if (sink->header_bytes > kMaxHeaderBytes) {
    sink->header_overflow = true;
    return 0;
  }
  const std::string_view line = trim(std::string_view(data, len));
  if (line.rfind("HTTP/", 0) == 0) {
    // A new status line: headers of an earlier (1xx) response are not this response's.
    sink->headers.clear();
    if (sink->trace) sink->trace->trace(sink->component, "< {}", line);
    return len;
  }
  if (line.empty()) return len;
  if (data[0] == ' ' || data[0] == '\t') {  // obsolete line folding: continues the last value
    if (!sink->headers.empty()) sink->headers.back().second.append(" ").append(line);
    return len;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return len;  // not a header; ignore
  std::string name(trim(line.substr(0, colon)));
  std::string value(trim(line.substr(colon + 1)));
  if (sink->trace) sink->trace->trace(sink->component, "< {}", redact_header(name, value));
  sink->headers.emplace_back(std::move(name), std::move(value));
  return len;
}

// Only installed at trace level: shows the request headers exactly as curl sent them.
void trace_request(curl_infotype type, char* data, size_t size, void* user) {
  if (type != CURLINFO_HEADER_OUT) return;
  auto* sink = static_cast<Sink*>(user);
  std::string_view block(data, size);
  while (!block.empty()) {
    size_t end = block.find('\n');
    if (end == std::string_view::npos) end = block.size();
    const std::string_view line = trim(block.substr(0, end));
    if (!line.empty()) sink->trace->trace(sink->component, "> {}", redact_header_line(line));
    block.remove_prefix(std::min(end + 1, block.size()));
  }
}

// The callbacks libcurl calls. Exceptions must not unwind through libcurl's C frames, so each
// one catches everything and aborts the transfer instead.
size_t on_body(char* data, size_t size, size_t count, void* user) noexcept {
  try {
    return write_body(data, size, count, user);
  } catch (...) {
    static_cast<Sink*>(user)->callback_failed = true;
    return 0;
  }
}

size_t on_header(char* data, size_t size, size_t count, void* user) noexcept {
  try {
    return write_header(data, size, count, user);
  } catch (...) {
    static_cast<Sink*>(user)->callback_failed = true;
    return 0;
  }
}

int on_debug(CURL*, curl_infotype type, char* data, size_t size, void* user) noexcept {
  try {
    trace_request(type, data, size, user);
  } catch (...) {
    // Losing a trace line is acceptable; failing the request for it is not.
  }
  return 0;
}

// libcurl calls this at least once a second during a transfer (also while connecting or
// waiting for a stalled server); a non-zero return aborts it, so SIGINT/SIGTERM ends any request
// within about a second.
int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) noexcept {
  auto* sink = static_cast<Sink*>(user);
  try {
    if (!(*sink->cancelled)()) return 0;
  } catch (...) {
  }
  sink->interrupted = true;
  return 1;
}

// Sees the address of every connection before it is made, so a host name that resolves to a
// metadata service is refused as surely as a literal address in the URL.
curl_socket_t on_open_socket(void* user, curlsocktype purpose, curl_sockaddr* address) noexcept {
  auto* sink = static_cast<Sink*>(user);
  if (purpose == CURLSOCKTYPE_IPCXN && sink->refuse_link_local) {
    try {
      std::string why = refused_address(&address->addr);
      if (!why.empty()) {
        sink->refused = std::move(why);
        return CURL_SOCKET_BAD;
      }
    } catch (...) {
      sink->callback_failed = true;
      return CURL_SOCKET_BAD;
    }
  }
  return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

bool has_header(const Headers& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [name](const auto& h) { return iequals(h.first, name); });
}

// The request headers. "Expect:" stops curl from waiting for 100-continue on large bodies;
// "Content-Type:" stops it from labelling an untyped body as an HTML form.
CurlSlistPtr build_headers(const Headers& headers, bool has_body) {
  CurlSlistPtr list;
  auto append = [&list](const std::string& line) {
    if (curl_slist* head = curl_slist_append(list.get(), line.c_str())) {
      (void)list.release();  // head is the same list, now one longer
      list.reset(head);
    } else {
      throw Error(ErrorCategory::internal, "http", "build request headers", "out of memory");
    }
  };
  for (const auto& [name, value] : headers)
    append(value.empty() ? name + ";" : name + ": " + value);  // "Name;" sends an empty value
  append("Expect:");
  if (has_body && !has_header(headers, "Content-Type")) append("Content-Type:");
  return list;
}

const std::string& user_agent() {
  static const std::string ua = std::string("dns01/") + kVersion;
  return ua;
}

void set_method(CURL* curl, const TransferSpec& spec) {
  if (spec.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    return;
  }
  if (spec.method == "GET" && !spec.body) {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    return;
  }
  if (spec.method != "POST") {
    const std::string method(spec.method);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());  // curl copies strings
  }
  if (spec.body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(spec.body->size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, spec.body->c_str());  // lives until we return
  }
}

// False when the request certainly never left this host (nothing was connected or sent).
bool request_may_have_been_sent(CURL* curl, CURLcode code) {
  if (code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_RESOLVE_PROXY ||
      code == CURLE_COULDNT_CONNECT)
    return false;
  long request_size = 0;
  curl_off_t pretransfer_us = 0;
  curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &request_size);
  curl_easy_getinfo(curl, CURLINFO_PRETRANSFER_TIME_T, &pretransfer_us);
  // Before "pretransfer" curl is still connecting (TCP, TLS): a timeout there is a connect
  // timeout and the server has seen no request.
  return request_size > 0 || pretransfer_us > 0;
}

TransferFailure classify(CURL* curl, CURLcode code, const Sink& sink, const char* errbuf,
                         std::size_t max_body) {
  TransferFailure failure;
  failure.code = code;
  if (sink.body_overflow || code == CURLE_FILESIZE_EXCEEDED) {
    failure.body_too_large = true;
    failure.limit = max_body;
    failure.message = fmt::format("response body larger than the limit of {} bytes", max_body);
  } else if (sink.header_overflow) {
    failure.body_too_large = true;
    failure.limit = kMaxHeaderBytes;
    failure.message = fmt::format("response headers larger than the limit of {} bytes",
                                  kMaxHeaderBytes);
  } else if (sink.interrupted) {
    failure.interrupted = true;
    failure.message = "interrupted by a signal";
  } else if (!sink.refused.empty()) {
    failure.refused = true;
    failure.message = fmt::format("connection refused by dns01: {}", sink.refused);
  } else if (sink.callback_failed) {
    failure.message = "out of memory while receiving the response";
  } else {
    failure.message = Redactor::global().apply(errbuf[0] ? errbuf : curl_easy_strerror(code));
  }
  failure.request_sent = !failure.refused && request_may_have_been_sent(curl, code);
  return failure;
}
}  // namespace

TransferResult perform_transfer(CURL* curl, const TransferSpec& spec) {
  TransferResult result;
  Sink sink;
  sink.limit = spec.max_body;
  sink.trace = spec.trace;
  sink.component = spec.component;
  sink.refuse_link_local = spec.refuse_link_local;
  char errbuf[CURL_ERROR_SIZE] = {};
  const std::string url(spec.url);
  const CurlSlistPtr headers = build_headers(*spec.headers, spec.body != nullptr);

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // required for use from several threads
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(spec.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(spec.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_USERAGENT, user_agent().c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);  // redirects are ours to decide
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  if (spec.cancelled && *spec.cancelled) {
    sink.cancelled = spec.cancelled;
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &sink);
  }
  if (spec.refuse_link_local) {
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, &on_open_socket);
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, &sink);
  }
  if (spec.max_body > 0)  // early refusal when Content-Length already exceeds the limit
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(spec.max_body));
  if (spec.trace) {
    curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, &on_debug);
    curl_easy_setopt(curl, CURLOPT_DEBUGDATA, &sink);
    curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);
  }
  if (spec.ca && spec.ca_only) {
    curl_blob blob{const_cast<char*>(spec.ca->pem.data()), spec.ca->pem.size(), CURL_BLOB_NOCOPY};
    curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob);
    curl_easy_setopt(curl, CURLOPT_CAINFO, static_cast<char*>(nullptr));
    curl_easy_setopt(curl, CURLOPT_CAPATH, static_cast<char*>(nullptr));
  } else if (spec.ca) {
    curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA, const_cast<CaBundle*>(spec.ca));
    if (curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, &add_bundle_to_ssl_ctx) != CURLE_OK) {
      result.failure.code = CURLE_NOT_BUILT_IN;
      result.failure.request_sent = false;
      result.failure.message = "this libcurl's TLS backend cannot add ca_bundle to the system "
                               "store (OpenSSL is required)";
      return result;
    }
  }
  set_method(curl, spec);

  const auto start = std::chrono::steady_clock::now();
  const CURLcode code = curl_easy_perform(curl);
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  // The handle goes back to the pool afterwards: no option may keep pointing at our locals.
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, static_cast<char*>(nullptr));

  if (code != CURLE_OK) {
    result.failure = classify(curl, code, sink, errbuf, spec.max_body);
    return result;
  }
  HttpResponse response;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  const char* effective = nullptr;
  curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective);
  response.effective_url = effective ? effective : url;
  response.headers = std::move(sink.headers);
  response.body = std::move(sink.body);
  if (spec.trace && !response.body.empty())
    spec.trace->trace(spec.component, "< body ({} bytes): {}", response.body.size(),
                      Redactor::global().apply(body_excerpt(response.body, kTraceBodyBytes)));
  result.response = std::move(response);
  return result;
}

}  // namespace dns01::http_detail
