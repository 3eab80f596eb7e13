// Owning handles for libcurl's C objects, one definition for every module that speaks libcurl (the HTTP
// client, the SMTP sender, the tracking poller). Include only where <curl/curl.h> is already needed.
#pragma once

#include <curl/curl.h>

#include <memory>

namespace netsample::curl {

struct EasyFree { void operator()(CURL* handle) const { curl_easy_cleanup(handle); } };
struct MultiFree { void operator()(CURLM* handle) const { curl_multi_cleanup(handle); } };
struct ListFree { void operator()(curl_slist* list) const { curl_slist_free_all(list); } };
struct MimeFree { void operator()(curl_mime* mime) const { curl_mime_free(mime); } };

using Easy = std::unique_ptr<CURL, EasyFree>;
using Multi = std::unique_ptr<CURLM, MultiFree>;
using List = std::unique_ptr<curl_slist, ListFree>;
using Mime = std::unique_ptr<curl_mime, MimeFree>;

}  // namespace netsample::curl
