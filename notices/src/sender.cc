#include "netsample/notices/sender.h"

#include <curl/curl.h>

#include <memory>
#include <sstream>

#include "netsample/core/curl_handles.h"
#include "netsample/core/file_io.h"
#include "netsample/core/json_fields.h"
#include "netsample/core/sha256.h"

namespace netsample::notices {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string base64(const std::string& bytes) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) | static_cast<unsigned char>(bytes[i + 2]);
    out += {table[v >> 18], table[(v >> 12) & 63], table[(v >> 6) & 63], table[v & 63]};
  }
  if (i + 1 == bytes.size()) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += {table[v >> 18], table[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == bytes.size()) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += {table[v >> 18], table[(v >> 12) & 63], table[(v >> 6) & 63], '='};
  }
  return out;
}

// RFC 2047: a Chinese subject as UTF-8 in base64.
std::string encoded_header(const std::string& text) { return "=?UTF-8?B?" + base64(text) + "?="; }

AttemptOutcome send_webhook(const HttpClient& http, const Delivery& delivery, const Party& party, const workflow::NoticeView& notice, const NoticeFiles& files) {
  AttemptOutcome outcome;
  HttpRequest request;
  request.method = "POST";
  request.url = party.webhook_url;
  request.body = webhook_body(delivery, party, notice, files).dump();
  request.headers = {{"Content-Type", "application/json; charset=utf-8"},
                     {"X-Netsample-Signature", "sha256=" + hmac_sha256_hex(request.body, party.webhook_secret)},  // the exact body
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
}

// The server's replies as libcurl's debug callback sees them (CURLINFO_HEADER_IN carries SMTP replies).
int collect_replies(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  if (type == CURLINFO_HEADER_IN) static_cast<std::string*>(user)->append(data, size);
  return 0;
}

// The reply to the end of the message is the last 250 line; Postfix, Exim and most others name the queue id there
// ("250 2.0.0 Ok: queued as 4XyZ", "250 OK id=1abc-2def").
void read_queue_reply(const std::string& replies, AttemptOutcome& outcome) {
  std::istringstream lines(replies);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("250 ", 0) == 0) outcome.server_reply = line;
  }
  for (const std::string marker : {"queued as ", "id="}) {
    const auto at = outcome.server_reply.find(marker);
    if (at == std::string::npos) continue;
    std::string id = outcome.server_reply.substr(at + marker.size());
    id = id.substr(0, id.find_first_of(" \t"));
    if (!id.empty()) {
      outcome.queue_id = id;
      return;
    }
  }
}

AttemptOutcome send_mail(const MailSettings& mail, const Delivery& delivery, const Party& party, const workflow::NoticeView& notice, const NoticeFiles& files) {
  AttemptOutcome outcome;
  curl::Easy handle(curl_easy_init());
  if (!handle) {
    outcome.error = "curl_easy_init failed";
    return outcome;
  }
  const std::string title = workflow::notice_label(notice.kind);
  curl::List recipients(curl_slist_append(nullptr, ("<" + party.email + ">").c_str()));
  curl::List headers;
  for (const std::string& h : {"Subject: " + encoded_header(title + "（" + notice.case_number + "，第" + std::to_string(notice.article) + "条）"),
                               "From: " + encoded_header("市场监督管理部门（netsample）") + " <" + mail.from + ">",
                               "To: " + encoded_header(party.name) + " <" + party.email + ">",
                               "Message-ID: <" + delivery.idempotency_key + "@netsample>", "X-Netsample-Notice: " + std::to_string(notice.id)})
    headers.reset(curl_slist_append(headers.release(), h.c_str()));
  curl::Mime mime(curl_mime_init(handle.get()));
  curl_mimepart* text = curl_mime_addpart(mime.get());
  const std::string body = party.name + "：\r\n\r\n现将《" + title + "》（任务 " + notice.case_number + "，依据重庆市产品质量监督抽查实施办法第" +
                           std::to_string(notice.article) + "条）送达，正文见附件 PDF（SHA-256 " + files.pdf_sha256 + "）。\r\n";
  curl_mime_data(text, body.c_str(), CURL_ZERO_TERMINATED);
  curl_mime_type(text, "text/plain; charset=utf-8");
  curl_mime_encoder(text, "base64");
  curl_mimepart* attachment = curl_mime_addpart(mime.get());
  curl_mime_filedata(attachment, files.pdf.c_str());
  curl_mime_filename(attachment, (notice.case_number + "-" + std::to_string(notice.id) + "-" + notice.kind + ".pdf").c_str());
  curl_mime_type(attachment, "application/pdf");
  curl_mime_encoder(attachment, "base64");
  curl_easy_setopt(handle.get(), CURLOPT_URL, mail.url.c_str());
  curl_easy_setopt(handle.get(), CURLOPT_MAIL_FROM, ("<" + mail.from + ">").c_str());
  curl_easy_setopt(handle.get(), CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(handle.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(handle.get(), CURLOPT_MIMEPOST, mime.get());
  curl_easy_setopt(handle.get(), CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));  // STARTTLS where offered
  curl_easy_setopt(handle.get(), CURLOPT_TIMEOUT, 60L);
  if (!mail.username.empty()) {
    curl_easy_setopt(handle.get(), CURLOPT_USERNAME, mail.username.c_str());
    curl_easy_setopt(handle.get(), CURLOPT_PASSWORD, mail.password.c_str());
  }
  std::string replies;
  curl_easy_setopt(handle.get(), CURLOPT_DEBUGFUNCTION, collect_replies);
  curl_easy_setopt(handle.get(), CURLOPT_DEBUGDATA, &replies);
  curl_easy_setopt(handle.get(), CURLOPT_VERBOSE, 1L);  // the debug callback sees only what verbose mode reports
  const CURLcode rc = curl_easy_perform(handle.get());
  long code = 0;
  curl_easy_getinfo(handle.get(), CURLINFO_RESPONSE_CODE, &code);
  outcome.status = code;
  outcome.delivered = rc == CURLE_OK;
  if (outcome.delivered) read_queue_reply(replies, outcome);
  if (!outcome.delivered) outcome.error = std::string("SMTP：") + curl_easy_strerror(rc) + (code ? "（" + std::to_string(code) + "）" : "");
  outcome.response_sha256 = sha256_hex(outcome.server_reply.empty() ? "smtp " + std::to_string(code) + " " + delivery.idempotency_key : outcome.server_reply);
  return outcome;
}

}  // namespace

Result<std::optional<MailSettings>> load_mail_settings(const fs::path& data_dir) {
  const fs::path file = data_dir / "notices.json";
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::optional<MailSettings>{};
  NETSAMPLE_ASSIGN(std::string text, read_file(file));
  NETSAMPLE_ASSIGN(json root, parse_json(text, file.string()));
  NETSAMPLE_ASSIGN(JsonFields fields, JsonFields::of(root, "notices.json"));
  for (const auto& [key, value] : root.items())  // "_comment" and the like: notes for people
    if (key.starts_with("_")) (void)fields.raw(key);
  if (!root.contains("smtp")) return std::optional<MailSettings>{};
  NETSAMPLE_ASSIGN(JsonFields smtp, fields.object("smtp"));
  MailSettings mail;
  NETSAMPLE_ASSIGN(mail.url, smtp.text("url"));
  if (!mail.url.starts_with("smtp://") && !mail.url.starts_with("smtps://"))
    return make_error(ErrorCode::invalid_input, smtp.path_of("url"), "发信服务器应写作 smtp://主机:端口 或 smtps://主机:端口");
  NETSAMPLE_ASSIGN(mail.from, smtp.text("from"));
  NETSAMPLE_ASSIGN(auto username, smtp.optional_text("username"));
  NETSAMPLE_ASSIGN(auto password, smtp.optional_text("password"));
  mail.username = username.value_or("");
  mail.password = password.value_or("");
  NETSAMPLE_TRY(smtp.reject_unknown_keys());
  NETSAMPLE_TRY(fields.reject_unknown_keys());
  return std::optional<MailSettings>(mail);
}

json webhook_body(const Delivery& delivery, const Party& party, const workflow::NoticeView& notice, const NoticeFiles& files) {
  json content = nullptr;
  if (auto text = read_file(files.json); text.ok()) content = json::parse(*text, nullptr, false);
  return {{"idempotency_key", delivery.idempotency_key},
          {"attempt", delivery.attempts},
          {"notice", {{"id", notice.id}, {"case", notice.case_number}, {"kind", notice.kind}, {"title", workflow::notice_label(notice.kind)},
                      {"article", notice.article}, {"payload", notice.payload}, {"created", format_iso8601_beijing(notice.created)}}},
          {"document", {{"content", content}, {"pdf_sha256", files.pdf_sha256}}},
          {"recipient", {{"role", delivery.role}, {"party", party.id}, {"name", party.name}}}};
}

Sender make_sender(const HttpClient& http, std::optional<MailSettings> mail) {
  return [&http, mail](const Delivery& delivery, const Party& party, const workflow::NoticeView& notice, const NoticeFiles& files) -> AttemptOutcome {
    if (delivery.channel == "webhook") return send_webhook(http, delivery, party, notice, files);
    if (delivery.channel == "email" && mail) return send_mail(*mail, delivery, party, notice, files);
    AttemptOutcome outcome;
    outcome.error = "没有可用的送达方式 " + delivery.channel + (delivery.channel == "email" ? "（未配置发信服务器）" : "");
    return outcome;
  };
}

}  // namespace netsample::notices
