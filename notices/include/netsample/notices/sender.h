// The real channels. A webhook: a POST over libcurl, JSON body (the notice, its document's content and
// PDF digest, the recipient), `X-Netsample-Signature: sha256=<hex HMAC>` with the recipient's secret and
// `Idempotency-Key` the same on every attempt; only a 2xx answer is a delivery, its status and a digest of
// the answer are the receipt. An e-mail: libcurl's SMTP, STARTTLS where the server offers it, the notice's
// PDF attached, the idempotency key as Message-ID (mail readers fold repeats).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "netsample/core/http.h"
#include "netsample/notices/deliveries.h"

namespace netsample::notices {

struct MailSettings {
  std::string url;   // smtp://host:587 (STARTTLS when offered) or smtps://host:465
  std::string from;  // the bureau's address
  std::string username, password;
};
// <data>/notices.json: {"smtp": {"url", "from", "username"?, "password"?}}; nullopt without the file or
// the key. Errors name the file and the field.
Result<std::optional<MailSettings>> load_mail_settings(const std::filesystem::path& data_dir);

nlohmann::json webhook_body(const Delivery& delivery, const Party& party, const workflow::NoticeView& notice, const NoticeFiles& files);

// REQUIRES: http outlives the sender. One try per attempt (the deliveries schedule the retries).
Sender make_sender(const HttpClient& http, std::optional<MailSettings> mail);

}  // namespace netsample::notices
