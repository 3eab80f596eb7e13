#include "xml_fields.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <memory>

namespace netsample::store {
namespace {

struct DocFree {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
struct CharFree {
  void operator()(xmlChar* text) const { xmlFree(text); }
};

std::string_view local_name(const xmlNode* node) { return reinterpret_cast<const char*>(node->name); }

std::string text_of(const xmlNode* node) {
  std::unique_ptr<xmlChar, CharFree> text(xmlNodeGetContent(node));
  return text ? std::string(reinterpret_cast<const char*>(text.get())) : std::string();
}

template <class Visit>
void walk(const xmlNode* node, const Visit& visit) {
  for (; node; node = node->next) {
    if (node->type != XML_ELEMENT_NODE) continue;
    visit(node);
    walk(node->children, visit);
  }
}

std::unique_ptr<xmlDoc, DocFree> parse(std::string_view xml) {
  // No network, no entities expanded, no DTD: an answer is data, never instructions to the parser.
  return std::unique_ptr<xmlDoc, DocFree>(xmlReadMemory(xml.data(), static_cast<int>(xml.size()), nullptr, nullptr,
                                                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
}

}  // namespace

std::vector<std::map<std::string, std::string>> xml_elements(std::string_view xml, std::string_view element,
                                                             const std::vector<std::string>& children) {
  std::vector<std::map<std::string, std::string>> found;
  auto doc = parse(xml);
  if (!doc) return found;
  walk(xmlDocGetRootElement(doc.get()), [&](const xmlNode* node) {
    if (local_name(node) != element) return;
    std::map<std::string, std::string> fields;
    for (const xmlNode* child = node->children; child; child = child->next)
      if (child->type == XML_ELEMENT_NODE && std::find(children.begin(), children.end(), local_name(child)) != children.end())
        fields.emplace(std::string(local_name(child)), text_of(child));
    found.push_back(std::move(fields));
  });
  return found;
}

std::string xml_first_text(std::string_view xml, std::string_view element) {
  auto doc = parse(xml);
  if (!doc) return {};
  std::string text;
  bool seen = false;
  walk(xmlDocGetRootElement(doc.get()), [&](const xmlNode* node) {
    if (seen || local_name(node) != element) return;
    seen = true;
    text = text_of(node);
  });
  return text;
}

}  // namespace netsample::store
