// Reading the few fields we need out of S3's XML answers (libxml2), by local element names, so that the
// namespace a server puts on them (or leaves off) does not matter.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace netsample::store {

// For every element named `element` (anywhere in the document), the text of its direct children named in
// `children`, by name. Empty when the text is not well-formed XML.
std::vector<std::map<std::string, std::string>> xml_elements(std::string_view xml, std::string_view element,
                                                             const std::vector<std::string>& children);
// The text of the first element named `element`; empty when there is none.
std::string xml_first_text(std::string_view xml, std::string_view element);

}  // namespace netsample::store
