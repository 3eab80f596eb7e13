#include "netsample/core/long_term.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>
#include <memory>

#include "openssl_handles.h"

namespace netsample {
namespace {

using nlohmann::json;

using openssl::Deleter;
using TsResp = std::unique_ptr<TS_RESP, Deleter<TS_RESP, TS_RESP_free>>;
using Crl = std::unique_ptr<X509_CRL, Deleter<X509_CRL, X509_CRL_free>>;
using Store = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using StoreCtx = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using TsVerifyCtx = std::unique_ptr<TS_VERIFY_CTX, Deleter<TS_VERIFY_CTX, TS_VERIFY_CTX_free>>;
using OcspRequest = std::unique_ptr<OCSP_REQUEST, Deleter<OCSP_REQUEST, OCSP_REQUEST_free>>;
using OcspResponse = std::unique_ptr<OCSP_RESPONSE, Deleter<OCSP_RESPONSE, OCSP_RESPONSE_free>>;
using OcspBasic = std::unique_ptr<OCSP_BASICRESP, Deleter<OCSP_BASICRESP, OCSP_BASICRESP_free>>;
using OcspCertId = std::unique_ptr<OCSP_CERTID, Deleter<OCSP_CERTID, OCSP_CERTID_free>>;
void free_cert_stack(STACK_OF(X509) * stack) { sk_X509_pop_free(stack, X509_free); }
using CertStack = std::unique_ptr<STACK_OF(X509), Deleter<STACK_OF(X509), free_cert_stack>>;
void free_distribution_points(STACK_OF(DIST_POINT) * points) { CRL_DIST_POINTS_free(points); }
using DistributionPoints = std::unique_ptr<STACK_OF(DIST_POINT), Deleter<STACK_OF(DIST_POINT), free_distribution_points>>;
void free_strings(STACK_OF(OPENSSL_STRING) * strings) { X509_email_free(strings); }
using Strings = std::unique_ptr<STACK_OF(OPENSSL_STRING), Deleter<STACK_OF(OPENSSL_STRING), free_strings>>;

Error invalid(const std::string& what) { return make_error(ErrorCode::integrity, "timestamp", "长期验证：" + what); }

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(std::max(n, 0)));
  return out;
}

Result<std::string> base64_decode(const std::string& text, const std::string& field) {
  if (text.size() % 4 != 0) return make_error(ErrorCode::invalid_input, field, "不是 base64");
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return make_error(ErrorCode::invalid_input, field, "不是 base64");
  size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

namespace {

template <class T, T* (*Decode)(T**, const unsigned char**, long)>
T* from_der(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  return Decode(nullptr, &p, static_cast<long>(der.size()));
}

template <class T, int (*Encode)(const T*, unsigned char**)>
std::string to_der(const T* object) {
  unsigned char* der = nullptr;
  const int n = Encode(object, &der);
  std::string out = n > 0 ? std::string(reinterpret_cast<const char*>(der), static_cast<size_t>(n)) : std::string();
  OPENSSL_free(der);
  return out;
}

UtcTime utc(const ASN1_TIME* time) {
  std::tm tm{};
  if (!time || ASN1_TIME_to_tm(time, &tm) != 1) return UtcTime{};
  return UtcTime{std::chrono::seconds(timegm(&tm))};
}

std::string subject(const X509* cert) {
  char text[256] = {0};
  X509_NAME_oneline(X509_get_subject_name(cert), text, sizeof text);
  return text;
}

bool self_signed(X509* cert) { return X509_check_issued(cert, cert) == X509_V_OK; }

Result<TsResp> parse_token(std::string_view der) {
  TsResp response(from_der<TS_RESP, d2i_TS_RESP>(der));
  if (!response || !TS_RESP_get_token(response.get())) return invalid("不是 RFC 3161 时间戳应答（" + openssl::errors() + "）");
  return response;
}

Result<Store> load_trust(const std::filesystem::path& trust_file) {
  Store store(X509_STORE_new());
  if (!store || X509_STORE_load_file(store.get(), trust_file.c_str()) != 1)
    return make_error(ErrorCode::io, trust_file.string(), "无法读取信任的根证书：" + openssl::errors());
  return store;
}

void set_time(X509_STORE* store, UtcTime at) {
  X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count());
}

// The URLs a certificate names for its revocation status.
std::vector<std::string> ocsp_urls(X509* cert) {
  std::vector<std::string> urls;
  Strings list(X509_get1_ocsp(cert));
  for (int i = 0; list && i < sk_OPENSSL_STRING_num(list.get()); ++i) urls.emplace_back(sk_OPENSSL_STRING_value(list.get(), i));
  return urls;
}

std::vector<std::string> crl_urls(X509* cert) {
  std::vector<std::string> urls;
  DistributionPoints points(static_cast<STACK_OF(DIST_POINT)*>(X509_get_ext_d2i(cert, NID_crl_distribution_points, nullptr, nullptr)));
  for (int i = 0; points && i < sk_DIST_POINT_num(points.get()); ++i) {
    const DIST_POINT* point = sk_DIST_POINT_value(points.get(), i);
    if (!point->distpoint || point->distpoint->type != 0) continue;
    const GENERAL_NAMES* names = point->distpoint->name.fullname;
    for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, j);
      if (name->type == GEN_URI)
        urls.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.uniformResourceIdentifier)),
                          static_cast<size_t>(ASN1_STRING_length(name->d.uniformResourceIdentifier)));
    }
  }
  return urls;
}

Result<std::string> fetch_ocsp(const HttpClient& http, const std::string& url, X509* cert, X509* issuer) {
  OcspRequest request(OCSP_REQUEST_new());
  OCSP_CERTID* id = OCSP_cert_to_id(nullptr, cert, issuer);
  if (!request || !id || !OCSP_request_add0_id(request.get(), id)) return make_error(ErrorCode::internal, "ocsp", "OpenSSL：" + openssl::errors());
  HttpRequest post;
  post.method = "POST";
  post.url = url;
  post.headers = {{"Content-Type", "application/ocsp-request"}, {"Accept", "application/ocsp-response"}};
  post.body = to_der<OCSP_REQUEST, i2d_OCSP_REQUEST>(request.get());
  post.idempotent = true;
  NETSAMPLE_ASSIGN(HttpResponse answer, http.send(post));
  if (answer.status != 200) return make_error(ErrorCode::network, url, "OCSP 服务应答 HTTP " + std::to_string(answer.status));
  OcspResponse response(from_der<OCSP_RESPONSE, d2i_OCSP_RESPONSE>(answer.body));
  if (!response || OCSP_response_status(response.get()) != OCSP_RESPONSE_STATUS_SUCCESSFUL)
    return make_error(ErrorCode::network, url, "OCSP 服务没有给出状态");
  return answer.body;
}

Result<std::string> fetch_crl(const HttpClient& http, const std::string& url) {
  HttpRequest get;
  get.url = url;
  NETSAMPLE_ASSIGN(HttpResponse answer, http.send(get));
  if (answer.status != 200) return make_error(ErrorCode::network, url, "CRL 下载应答 HTTP " + std::to_string(answer.status));
  Crl crl(from_der<X509_CRL, d2i_X509_CRL>(answer.body));
  if (!crl) return make_error(ErrorCode::network, url, "下载的不是 DER 格式的 CRL");
  return answer.body;
}

// Whether `cert` (issued by `issuer`) was revoked at `at`, per the material. Error when the certificate names a
// revocation service and the material holds no usable answer from it.
Result<std::string> revocation_at(X509* cert, X509* issuer, const ValidationMaterial& material, X509_STORE* trust, STACK_OF(X509) * chain, UtcTime at) {
  const std::string who = subject(cert);
  OcspCertId id(OCSP_cert_to_id(nullptr, cert, issuer));
  for (const auto& der : material.ocsp_responses) {
    OcspResponse response(from_der<OCSP_RESPONSE, d2i_OCSP_RESPONSE>(der));
    if (!response) continue;
    OcspBasic basic(OCSP_response_get1_basic(response.get()));
    int status = 0, reason = 0;
    ASN1_GENERALIZEDTIME *revoked_at = nullptr, *this_update = nullptr, *next_update = nullptr;
    if (!basic || OCSP_resp_find_status(basic.get(), id.get(), &status, &reason, &revoked_at, &this_update, &next_update) != 1) continue;
    const UtcTime produced = utc(OCSP_resp_get0_produced_at(basic.get()));
    set_time(trust, produced);  // the responder's own certificate is checked at the time it answered
    ERR_clear_error();
    if (OCSP_basic_verify(basic.get(), chain, trust, 0) != 1) return invalid(who + " 的 OCSP 应答签名不成立（" + openssl::errors() + "）");
    if (status == V_OCSP_CERTSTATUS_REVOKED && utc(revoked_at) <= at)
      return invalid(who + " 于 " + format_iso8601_beijing(utc(revoked_at)) + " 被吊销，早于时间戳的时间");
    if (status == V_OCSP_CERTSTATUS_UNKNOWN) return invalid(who + " 的 OCSP 状态为未知");
    return std::string("OCSP（" + format_iso8601_beijing(produced) + "）：" + (status == V_OCSP_CERTSTATUS_GOOD ? "有效" : "其后才吊销"));
  }
  for (const auto& der : material.crls) {
    Crl crl(from_der<X509_CRL, d2i_X509_CRL>(der));
    if (!crl || X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(issuer)) != 0) continue;
    if (X509_CRL_verify(crl.get(), X509_get0_pubkey(issuer)) != 1) return invalid(who + " 的 CRL 签名不成立");
    X509_REVOKED* revoked = nullptr;
    if (X509_CRL_get0_by_serial(crl.get(), &revoked, X509_get0_serialNumber(cert)) == 1 && utc(X509_REVOKED_get0_revocationDate(revoked)) <= at)
      return invalid(who + " 列在 CRL 中，于 " + format_iso8601_beijing(utc(X509_REVOKED_get0_revocationDate(revoked))) + " 被吊销，早于时间戳的时间");
    return std::string("CRL（" + format_iso8601_beijing(utc(X509_CRL_get0_lastUpdate(crl.get()))) + "）：未列入");
  }
  if (!ocsp_urls(cert).empty() || !crl_urls(cert).empty())
    return invalid(who + " 载明了吊销信息服务，但保存的验证材料中没有它的应答（取得时间戳时未能查询？）");
  return std::string("证书未载明吊销信息服务");
}

CertStack certificates_of(const ValidationMaterial& material) {
  CertStack stack(sk_X509_new_null());
  for (const auto& der : material.certificates)
    if (X509* cert = from_der<X509, d2i_X509>(der)) sk_X509_push(stack.get(), cert);
  return stack;
}

json strings(const std::vector<std::string>& blobs) {
  json list = json::array();
  for (const auto& blob : blobs) list.push_back(base64_encode(blob));
  return list;
}

Result<std::vector<std::string>> blobs(const json& list, const std::string& field) {
  std::vector<std::string> out;
  if (!list.is_array()) return make_error(ErrorCode::invalid_input, field, "应为数组");
  for (const auto& item : list) {
    if (!item.is_string()) return make_error(ErrorCode::invalid_input, field, "应为 base64 文本");
    NETSAMPLE_ASSIGN(std::string bytes, base64_decode(item.get<std::string>(), field));
    out.push_back(std::move(bytes));
  }
  return out;
}

}  // namespace

json ValidationMaterial::to_json() const {
  return {{"certificates", strings(certificates)}, {"ocsp_responses", strings(ocsp_responses)}, {"crls", strings(crls)},
          {"collected_utc_us", to_utc_us(collected)}, {"collected", format_iso8601_beijing(collected)}, {"notes", notes}};
}

Result<ValidationMaterial> ValidationMaterial::from_json(const json& j) {
  if (!j.is_object()) return make_error(ErrorCode::invalid_input, "material", "应为对象");
  ValidationMaterial m;
  NETSAMPLE_ASSIGN(m.certificates, blobs(j.value("certificates", json()), "material.certificates"));
  NETSAMPLE_ASSIGN(m.ocsp_responses, blobs(j.value("ocsp_responses", json::array()), "material.ocsp_responses"));
  NETSAMPLE_ASSIGN(m.crls, blobs(j.value("crls", json::array()), "material.crls"));
  m.collected = from_utc_us(j.value("collected_utc_us", std::int64_t{0}));
  if (j.contains("notes") && j["notes"].is_array())
    for (const auto& note : j["notes"]) m.notes.push_back(note.is_string() ? note.get<std::string>() : note.dump());
  return m;
}

Result<ValidationMaterial> collect_validation_material(std::string_view token_der, const std::filesystem::path& trust_file, const HttpClient& http,
                                                       UtcTime now) {
  NETSAMPLE_ASSIGN(TsResp response, parse_token(token_der));
  PKCS7* token = TS_RESP_get_token(response.get());
  if (!PKCS7_type_is_signed(token)) return invalid("时间戳不是签名数据");
  STACK_OF(X509)* included = token->d.sign->cert;
  STACK_OF(X509)* signers = PKCS7_get0_signers(token, included, 0);
  if (!signers || sk_X509_num(signers) != 1) {
    sk_X509_free(signers);
    return invalid("时间戳中没有签名者的证书（请求时应要求附带证书）");
  }
  X509* signer = sk_X509_value(signers, 0);
  sk_X509_free(signers);  // the certificates stay owned by the token

  NETSAMPLE_ASSIGN(Store trust, load_trust(trust_file));
  set_time(trust.get(), now);
  StoreCtx context(X509_STORE_CTX_new());
  if (!context || X509_STORE_CTX_init(context.get(), trust.get(), signer, included) != 1)
    return make_error(ErrorCode::internal, "timestamp", "OpenSSL：" + openssl::errors());
  X509_STORE_CTX_set_purpose(context.get(), X509_PURPOSE_TIMESTAMP_SIGN);
  if (X509_verify_cert(context.get()) != 1)
    return invalid("签名者证书链不成立（" + std::string(X509_verify_cert_error_string(X509_STORE_CTX_get_error(context.get()))) + "）");
  CertStack chain(X509_STORE_CTX_get1_chain(context.get()));

  ValidationMaterial material;
  material.collected = now;
  for (int i = 0; i < sk_X509_num(chain.get()); ++i) material.certificates.push_back(to_der<X509, i2d_X509>(sk_X509_value(chain.get(), i)));
  for (int i = 0; i + 1 < sk_X509_num(chain.get()); ++i) {
    X509* cert = sk_X509_value(chain.get(), i);
    X509* issuer = sk_X509_value(chain.get(), i + 1);
    bool have = false;
    std::string failures;
    for (const auto& url : ocsp_urls(cert)) {
      auto answer = fetch_ocsp(http, url, cert, issuer);
      if (answer.ok()) {
        material.ocsp_responses.push_back(std::move(answer).value());
        have = true;
        break;
      }
      failures += (failures.empty() ? "" : "；") + answer.error().message;
    }
    for (const auto& url : have ? std::vector<std::string>{} : crl_urls(cert)) {
      auto crl = fetch_crl(http, url);
      if (crl.ok()) {
        if (std::find(material.crls.begin(), material.crls.end(), *crl) == material.crls.end()) material.crls.push_back(std::move(crl).value());
        have = true;
        break;
      }
      failures += (failures.empty() ? "" : "；") + crl.error().message;
    }
    if (!failures.empty() && !have)
      return make_error(ErrorCode::network, subject(cert), "查询不到证书的吊销状态：" + failures);
    if (!have) material.notes.push_back(subject(cert) + " 未载明吊销信息服务（OCSP 或 CRL）");
  }
  return material;
}

Result<LayerCheck> verify_timestamp_at_its_time(std::string_view token_der, const Sha256Digest& imprint, const ValidationMaterial& material,
                                                const std::filesystem::path& trust_file) {
  // The imprint and the token's own form: the same checks as today's verify.
  NETSAMPLE_ASSIGN(TsResp response, parse_token(token_der));
  TS_TST_INFO* info = TS_RESP_get_tst_info(response.get());
  if (!info) return invalid("应答中没有时间戳信息");
  const UtcTime gen_time = utc(TS_TST_INFO_get_time(info));
  CertStack chain = certificates_of(material);
  if (sk_X509_num(chain.get()) == 0) return invalid("验证材料中没有证书");

  NETSAMPLE_ASSIGN(Store store, load_trust(trust_file));
  set_time(store.get(), gen_time);
  TsVerifyCtx context(TS_VERIFY_CTX_new());
  if (!context) return make_error(ErrorCode::internal, "timestamp", "OpenSSL：" + openssl::errors());
  TS_VERIFY_CTX_set_flags(context.get(), TS_VFY_SIGNATURE | TS_VFY_VERSION | TS_VFY_IMPRINT);
  Sha256Digest digest = imprint;
  unsigned char* copy = static_cast<unsigned char*>(OPENSSL_memdup(digest.data(), digest.size()));
  TS_VERIFY_CTX_set_imprint(context.get(), copy, static_cast<long>(digest.size()));
  TS_VERIFY_CTX_set_certs(context.get(), certificates_of(material).release());  // the context owns both from here
  X509_STORE* trust = store.get();
  TS_VERIFY_CTX_set_store(context.get(), store.release());
  ERR_clear_error();
  if (TS_RESP_verify_response(context.get(), response.get()) != 1)
    return invalid("在时间戳自身的时间 " + format_iso8601_beijing(gen_time) + " 签名或证书链不成立（" + openssl::errors() + "）");

  LayerCheck layer;
  layer.gen_time = gen_time;
  layer.tsa = subject(sk_X509_value(chain.get(), 0));
  layer.chain_expires = UtcTime::max();
  for (int i = 0; i < sk_X509_num(chain.get()); ++i)
    layer.chain_expires = std::min(layer.chain_expires, utc(X509_get0_notAfter(sk_X509_value(chain.get(), i))));
  for (int i = 0; i + 1 < sk_X509_num(chain.get()); ++i) {
    X509* cert = sk_X509_value(chain.get(), i);
    if (self_signed(cert)) break;
    NETSAMPLE_ASSIGN(std::string status, revocation_at(cert, sk_X509_value(chain.get(), i + 1), material, trust, chain.get(), gen_time));
    layer.revocation += (layer.revocation.empty() ? "" : "；") + status;
  }
  return layer;
}

json EvidenceRecord::to_json() const {
  json renewal_list = json::array();
  for (const auto& r : renewals) renewal_list.push_back({{"token", base64_encode(r.token_der)}, {"material", r.material.to_json()}});
  return {{"format", "netsample-evidence-record/1"}, {"material", material.to_json()}, {"renewals", renewal_list}};
}

Result<EvidenceRecord> EvidenceRecord::from_json(const json& j) {
  if (!j.is_object() || j.value("format", "") != "netsample-evidence-record/1")
    return make_error(ErrorCode::invalid_input, "format", "不是 netsample-evidence-record/1");
  EvidenceRecord record;
  NETSAMPLE_ASSIGN(record.material, ValidationMaterial::from_json(j.value("material", json())));
  for (const auto& r : j.value("renewals", json::array())) {
    ArchiveStamp stamp;
    NETSAMPLE_ASSIGN(stamp.token_der, base64_decode(r.value("token", ""), "renewals.token"));
    NETSAMPLE_ASSIGN(stamp.material, ValidationMaterial::from_json(r.value("material", json())));
    record.renewals.push_back(std::move(stamp));
  }
  return record;
}

Sha256Digest archive_imprint(std::string_view previous_token_der, const ValidationMaterial& previous_material, size_t layer) {
  return sha256(json::array({"netsample-archive-stamp", layer, sha256_hex(previous_token_der), sha256_hex(previous_material.to_json().dump())}).dump());
}

json EvidenceRecordCheck::to_json() const {
  json list = json::array();
  for (const auto& l : layers)
    list.push_back({{"time", format_iso8601_beijing(l.gen_time)}, {"tsa", l.tsa}, {"certificates_valid_until", format_iso8601_beijing(l.chain_expires)},
                    {"revocation", l.revocation}});
  return {{"ok", ok}, {"layers", list}, {"problem", problem}, {"valid_until", layers.empty() ? "" : format_iso8601_beijing(valid_until)},
          {"renewal_due", renewal_due}, {"advice", advice}};
}

EvidenceRecordCheck verify_evidence_record(std::string_view token_der, const Sha256Digest& imprint, const EvidenceRecord& record,
                                           const std::filesystem::path& trust_file, UtcTime now) {
  EvidenceRecordCheck check;
  std::string_view token = token_der;
  Sha256Digest stamped = imprint;
  const ValidationMaterial* material = &record.material;
  for (size_t layer = 0; layer <= record.renewals.size(); ++layer) {
    if (layer > 0) {
      stamped = archive_imprint(token, *material, layer);
      token = record.renewals[layer - 1].token_der;
      material = &record.renewals[layer - 1].material;
    }
    auto verified = verify_timestamp_at_its_time(token, stamped, *material, trust_file);
    const std::string which = layer == 0 ? "时间戳" : "第 " + std::to_string(layer) + " 次续期的存档时间戳";
    if (!verified.ok()) {
      check.problem = which + "：" + verified.error().message;
      return check;
    }
    if (layer > 0 && verified->gen_time >= check.layers.back().chain_expires) {
      check.problem = which + "盖于 " + format_iso8601_beijing(verified->gen_time) + "，晚于上一层证书到期（" +
                      format_iso8601_beijing(check.layers.back().chain_expires) + "）：续期须在到期之前";
      return check;
    }
    check.layers.push_back(std::move(verified).value());
  }
  check.ok = true;
  check.valid_until = check.layers.back().chain_expires;
  if (now >= check.valid_until) {
    check.renewal_due = true;
    check.advice = "证书已于 " + format_iso8601_beijing(check.valid_until) + " 到期而未续期：每层在其时间均成立，但到期之后无法排除伪造，应尽快续期（netsample evidence renew）";
  } else if (now + kRenewalMargin >= check.valid_until) {
    check.renewal_due = true;
    check.advice = "证书将于 " + format_iso8601_beijing(check.valid_until) + " 到期，须在此之前续期（netsample evidence renew）";
  }
  return check;
}

Status renew_evidence_record(EvidenceRecord& record, std::string_view token_der, const TsaClient& tsa, const std::vector<std::string>& tsa_urls,
                             const std::filesystem::path& trust_file, const HttpClient& http, UtcTime now) {
  const size_t layer = record.renewals.size() + 1;
  const std::string_view last_token = record.renewals.empty() ? token_der : std::string_view(record.renewals.back().token_der);
  const ValidationMaterial& last_material = record.renewals.empty() ? record.material : record.renewals.back().material;
  const Sha256Digest imprint = archive_imprint(last_token, last_material, layer);
  std::string failures;
  for (const auto& url : tsa_urls) {
    auto stamp = tsa.stamp(url, imprint);
    if (!stamp.ok()) {
      failures += (failures.empty() ? "" : "；") + url + "：" + stamp.error().message;
      continue;
    }
    auto material = collect_validation_material(stamp->response_der, trust_file, http, now);
    if (!material.ok()) {
      failures += (failures.empty() ? "" : "；") + url + "：" + material.error().message;
      continue;
    }
    record.renewals.push_back({stamp->response_der, std::move(material).value()});
    return {};
  }
  return make_error(ErrorCode::network, "--tsa", tsa_urls.empty() ? "没有可用的时间戳服务" : "续期失败：" + failures);
}

}  // namespace netsample
