#include "netsample/notices/sender.h"

#include "netsample/core/sha256.h"

namespace netsample::notices {

using nlohmann::json;

json webhook_body(const Delivery& delivery, const Party& party, const workflow::NoticeView& notice) {
  return {{"idempotency_key", delivery.idempotency_key},
          {"attempt", delivery.attempts},
          {"notice", {{"id", notice.id}, {"case", notice.case_number}, {"kind", notice.kind}, {"article", notice.article}, {"payload", notice.payload},
                      {"created", format_iso8601_beijing(notice.created)}}},
          {"recipient", {{"role", delivery.role}, {"party", party.id}, {"name", party.name}}}};
}

Sender make_sender(const HttpClient& http) {
  return [&http](const Delivery& delivery, const Party& party, const workflow::NoticeView& notice) -> AttemptOutcome {
    AttemptOutcome outcome;
    if (delivery.channel != "webhook") {
      outcome.error = "不支持的送达方式 " + delivery.channel;
      return outcome;
    }
    HttpRequest request;
    request.method = "POST";
    request.url = party.webhook_url;
    request.body = webhook_body(delivery, party, notice).dump();
    request.headers = {{"Content-Type", "application/json; charset=utf-8"},
                       {"X-Netsample-Signature", "sha256=" + webhook_signature(request.body, party.webhook_secret)},
                       {"Idempotency-Key", delivery.idempotency_key}};
    request.idempotent = true;
    request.timeout = std::chrono::seconds(30);
    auto response = http.send(request);
    if (!response.ok()) {
      outcome.error = response.error().describe();
      return outcome;
    }
    outcome.status = response->status;
    outcome.response_sha256 = sha256_hex(response->body);
    outcome.delivered = response->status >= 200 && response->status < 300;
    if (!outcome.delivered) outcome.error = "HTTP " + std::to_string(response->status);
    return outcome;
  };
}

}  // namespace netsample::notices
