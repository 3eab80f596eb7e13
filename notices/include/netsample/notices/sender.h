// The real channels: a webhook POST over libcurl — JSON body, `X-Netsample-Signature: sha256=<hex HMAC>`
// with the recipient's secret, `Idempotency-Key` the same on every attempt — and its receipt (status,
// digest of the answer). Only a 2xx answer is a delivery.
#pragma once

#include <nlohmann/json.hpp>

#include "netsample/core/http.h"
#include "netsample/notices/deliveries.h"

namespace netsample::notices {

// The webhook body: the notice, its case, the recipient, the key, the attempt.
nlohmann::json webhook_body(const Delivery& delivery, const Party& party, const workflow::NoticeView& notice);

// REQUIRES: http outlives the sender. One try per attempt (the deliveries schedule the retries).
Sender make_sender(const HttpClient& http);

}  // namespace netsample::notices
