#pragma once
// Reading Route 53 / STS XML replies with libxml2: a parsed document (RAII) and lookups by
// element local name (namespaces ignored: AWS replies put everything in one default namespace),
// plus the two error shapes of the Route 53 API.
//
// Errors: Xml::parse throws provider::Failure(server) when the body is not XML; lookups return
// empty / nullopt and never throw. Never puts the body in a message (it may hold a key).
// Threading: one Xml per thread; libxml2 is initialised once (xmlInitParser is thread-safe).
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

typedef struct _xmlDoc xmlDoc;
typedef struct _xmlNode xmlNode;

namespace route53 {

class Xml {
 public:
  // `step` names what was being done, for the error.
  static Xml parse(std::string_view body, std::string_view step);

  const xmlNode* root() const noexcept;
  // The first element at a path of local names below `from` ("ChangeInfo/Status"); nullptr.
  static const xmlNode* find(const xmlNode* from, std::string_view path) noexcept;
  // Every child element of `parent` with that local name, in document order.
  static std::vector<const xmlNode*> children(const xmlNode* parent, std::string_view name);
  // The text content of the element at `path` below `from`; nullopt when absent.
  static std::optional<std::string> text(const xmlNode* from, std::string_view path);
  static std::string name(const xmlNode* node);

 private:
  struct Free {
    void operator()(xmlDoc* doc) const noexcept;
  };
  std::unique_ptr<xmlDoc, Free> doc_;
};

// An AWS error reply, from either shape:
//   <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>
//   <InvalidChangeBatch><Messages><Message/>...</Messages><RequestId/></InvalidChangeBatch>
// (the second gets code "InvalidChangeBatch"). Unparsable bodies give code "" and no messages.
struct AwsError {
  std::string code;
  std::vector<std::string> messages;
  std::string request_id;
  std::string message() const;  // messages joined with "; ", or "" when none
};
AwsError parse_error(std::string_view body);

}  // namespace route53
