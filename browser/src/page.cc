#include <thread>

#include "netsample/browser/browser.h"

namespace netsample::browser {
namespace {

using nlohmann::json;
using namespace std::chrono;

std::string quoted(const std::string& text) { return json(text).dump(); }  // a JavaScript string literal

}  // namespace

Page Page::of(Chromium& chromium) {
  const std::string session = chromium.page_session();
  return Page([&chromium, session](const std::string& method, const json& params) { return chromium.call(method, params, session); });
}

Result<json> Page::evaluate(const std::string& expression) {
  NETSAMPLE_ASSIGN(json answer, call("Runtime.evaluate", {{"expression", expression}, {"returnByValue", true}, {"awaitPromise", true}}));
  if (answer.contains("exceptionDetails"))
    return make_error(ErrorCode::invalid_input, "browser", "页面脚本出错：" + answer["exceptionDetails"].dump());
  return answer["result"].value("value", json(nullptr));
}

Status Page::wait_until(const std::string& condition, milliseconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  for (;;) {
    auto value = evaluate("Boolean(" + condition + ")");
    if (value.ok() && value->is_boolean() && value->get<bool>()) return {};
    if (steady_clock::now() > deadline) return make_error(ErrorCode::network, "browser", "等待页面条件超时：" + condition);
    std::this_thread::sleep_for(milliseconds(50));
  }
}

Status Page::navigate(const std::string& url, milliseconds timeout) {
  NETSAMPLE_ASSIGN(json answer, call("Page.navigate", {{"url", url}}));
  if (answer.contains("errorText") && !answer["errorText"].get<std::string>().empty())
    return make_error(ErrorCode::network, "browser", "打不开 " + url + "：" + answer["errorText"].get<std::string>());
  return wait_until("document.readyState === 'complete' && location.href !== 'about:blank'", timeout);
}

Result<std::string> Page::text(const std::string& selector) {
  NETSAMPLE_ASSIGN(json value, evaluate("(() => { const e = document.querySelector(" + quoted(selector) + "); return e ? e.textContent : null; })()"));
  if (!value.is_string()) return make_error(ErrorCode::not_found, selector, "页面上没有这个元素");
  return value.get<std::string>();
}

Status Page::type(const std::string& selector, const std::string& value) {
  NETSAMPLE_ASSIGN(json done, evaluate("(() => { const e = document.querySelector(" + quoted(selector) + "); if (!e) return false; e.focus(); e.value = " +
                                       quoted(value) + "; e.dispatchEvent(new Event('input', {bubbles: true})); return true; })()"));
  if (done != true) return make_error(ErrorCode::not_found, selector, "页面上没有这个输入框");
  return {};
}

Status Page::click(const std::string& selector) {
  NETSAMPLE_ASSIGN(json done, evaluate("(() => { const e = document.querySelector(" + quoted(selector) + "); if (!e) return false; e.click(); return true; })()"));
  if (done != true) return make_error(ErrorCode::not_found, selector, "页面上没有这个元素");
  return {};
}

Result<std::string> Page::html() {
  NETSAMPLE_ASSIGN(json value, evaluate("document.documentElement ? document.documentElement.outerHTML : ''"));
  if (!value.is_string()) return make_error(ErrorCode::network, "browser", "读不到页面内容");
  return "<!DOCTYPE html>" + value.get<std::string>();
}

Result<std::string> Page::resource(const std::string& url) {
  NETSAMPLE_ASSIGN(json tree, call("Page.getFrameTree"));
  const std::string frame = tree["frameTree"]["frame"].value("id", "");
  NETSAMPLE_ASSIGN(json content, call("Page.getResourceContent", {{"frameId", frame}, {"url", url}}));
  const std::string text = content.value("content", "");
  if (!content.value("base64Encoded", false)) return text;
  auto bytes = decode_base64(text);
  if (!bytes) return make_error(ErrorCode::network, "browser", "浏览器给出的 " + url + " 无法解码");
  return *bytes;
}

Result<std::string> Page::screenshot() {
  NETSAMPLE_ASSIGN(json shot, call("Page.captureScreenshot", {{"format", "png"}}));
  auto png = decode_base64(shot.value("data", ""));
  if (!png || png->substr(1, 3) != "PNG") return make_error(ErrorCode::network, "browser", "浏览器没有给出截图");
  return *png;
}

std::string Page::url() {
  auto value = evaluate("location.href");
  return value.ok() && value->is_string() ? value->get<std::string>() : "";
}

}  // namespace netsample::browser
