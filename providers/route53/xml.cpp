// libxml2 behind a small interface: AWS replies are small, so a DOM is simplest.
#include "xml.hpp"

#include <dns01/provider.hpp>
#include <libxml/parser.h>
#include <libxml/tree.h>

namespace route53 {
namespace {

bool named(const xmlNode* node, std::string_view name) {
  return node->type == XML_ELEMENT_NODE &&
         std::string_view(reinterpret_cast<const char*>(node->name)) == name;
}

const xmlNode* child(const xmlNode* parent, std::string_view name) {
  for (const xmlNode* n = parent ? parent->children : nullptr; n; n = n->next)
    if (named(n, name)) return n;
  return nullptr;
}

}  // namespace

void Xml::Free::operator()(xmlDoc* doc) const noexcept { xmlFreeDoc(doc); }

Xml Xml::parse(std::string_view body, std::string_view step) {
  // NONET: never fetch a DTD; no entity substitution (XXE) since XML_PARSE_NOENT is not set.
  xmlDoc* doc = xmlReadMemory(body.data(), static_cast<int>(body.size()), "reply.xml", nullptr,
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (!doc || !xmlDocGetRootElement(doc)) {
    if (doc) xmlFreeDoc(doc);
    throw dns01::provider::Failure(dns01::provider::StatusCode::server, std::string(step),
                                   "the API answered something that is not XML",
                                   "check that endpoint points at Route 53 (or AWS STS)");
  }
  Xml xml;
  xml.doc_.reset(doc);
  return xml;
}

const xmlNode* Xml::root() const noexcept { return xmlDocGetRootElement(doc_.get()); }

const xmlNode* Xml::find(const xmlNode* from, std::string_view path) noexcept {
  const xmlNode* node = from;
  while (node && !path.empty()) {
    const auto slash = path.find('/');
    node = child(node, path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
  }
  return node;
}

std::vector<const xmlNode*> Xml::children(const xmlNode* parent, std::string_view name) {
  std::vector<const xmlNode*> out;
  for (const xmlNode* n = parent ? parent->children : nullptr; n; n = n->next)
    if (named(n, name)) out.push_back(n);
  return out;
}

std::optional<std::string> Xml::text(const xmlNode* from, std::string_view path) {
  const xmlNode* node = find(from, path);
  if (!node) return std::nullopt;
  xmlChar* content = xmlNodeGetContent(node);
  std::string out = content ? reinterpret_cast<const char*>(content) : "";
  xmlFree(content);
  return out;
}

std::string Xml::name(const xmlNode* node) {
  return node ? reinterpret_cast<const char*>(node->name) : "";
}

std::string AwsError::message() const {
  std::string out;
  for (const auto& m : messages) out += (out.empty() ? "" : "; ") + m;
  return out;
}

AwsError parse_error(std::string_view body) {
  AwsError error;
  try {
    const Xml xml = Xml::parse(body, "read the error");
    const xmlNode* root = xml.root();
    error.request_id = Xml::text(root, "RequestId").value_or("");
    if (Xml::name(root) == "InvalidChangeBatch") {
      error.code = "InvalidChangeBatch";
      for (const xmlNode* m : Xml::children(Xml::find(root, "Messages"), "Message"))
        error.messages.push_back(Xml::text(m, "").value_or(""));
      if (auto m = Xml::text(root, "Message")) error.messages.push_back(*m);
      return error;
    }
    const xmlNode* e = Xml::name(root) == "Error" ? root : Xml::find(root, "Error");
    error.code = Xml::text(e, "Code").value_or("");
    if (auto m = Xml::text(e, "Message")) error.messages.push_back(*m);
  } catch (const dns01::provider::Failure&) {  // not XML: the caller reports the HTTP status
  }
  return error;
}

}  // namespace route53
