// HTTP messages as a WARC record stores them, rebuilt from what DevTools reports (header lists, not bytes).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace netsample::webcapture {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// DevTools gives headers either as [{"name","value"}] (Fetch) or as {"name": "value"} (Network; repeated
// headers joined with "\n").
HeaderList header_list(const nlohmann::json& headers);

// "HTTP/1.1 200 OK" + headers + body. The body is the one the browser decoded: Content-Encoding and
// Transfer-Encoding are left out (returned in `removed`, for the metadata, with a Content-Length that differed)
// and Content-Length is the body's.
// HTTP/2 pseudo-headers (":status") are left out; the protocol is in the metadata.
std::string response_message(int status, const std::string& status_text, const HeaderList& headers, const std::string& body,
                             HeaderList& removed);

// "GET /path?q HTTP/1.1" + headers (Host added when the list has none) + body.
std::string request_message(const std::string& method, const std::string& url, const HeaderList& headers, const std::string& body);

// The standard reason phrase ("OK", "Found"); HTTP/2 sends none.
std::string reason_phrase(int status);

}  // namespace netsample::webcapture
