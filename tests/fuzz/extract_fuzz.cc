// libFuzzer on what reads pages from the web (issue #17): the charset decoding, every built-in adapter's rules
// (XPath over libxml2's recovered HTML, inline-script objects, regular expressions, search results), the licence
// text reader and the checks. A page from a platform is input from a stranger: none of it may crash, hang or
// read out of bounds. Built with clang (-DNETSAMPLE_FUZZ=ON); corpus: tests/crawler/fixtures.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "netsample/extract/extract.h"

using namespace netsample::extract;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Adapters adapters = Adapters::load(std::nullopt).value();
  // Addresses that reach every page kind of the built-in adapters.
  static const char* urls[] = {"http://h/item/QS-1701",   "http://h/licence",           "http://h/100012345678.html",
                               "http://h/goods.html?x=1", "http://h/mall_certificate.html", "http://h/search?q=a"};
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // The first byte picks the declared charset and encoding: the wrong declarations are input too.
  static const char* types[] = {"text/html", "text/html; charset=gbk", "text/html; charset=utf-8", "text/html; charset=utf-16le"};
  static const char* encodings[] = {"", "", "gzip", "deflate"};
  const unsigned pick = size ? data[0] : 0;
  auto page = decode_page(bytes, types[pick & 3], encodings[(pick >> 2) & 3]);
  if (page.ok()) {
    for (const auto& adapter : adapters.all()) {
      for (const char* url : urls) {
        auto read = extract(adapter, url, *page);
        if (read.ok()) {
          (void)check_fields(read->fields, Region{});
          (void)check_licence_page(*read);
          for (const auto& image : read->images) fill_from_licence(*read, image, read_licence_text(page->text));
        }
      }
      if (adapter.search) (void)read_search(adapter, "http://h/search?q=a", *page);
    }
    (void)read_licence_text(page->text);
  }
  (void)parse_js_object(bytes);
  (void)credit_code_valid(bytes);
  return 0;
}
