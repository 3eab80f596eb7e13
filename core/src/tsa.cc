#include "netsample/core/tsa.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <ctime>
#include <memory>

#include "openssl_handles.h"

namespace netsample {
namespace {

using openssl::Deleter;
using TsReq = std::unique_ptr<TS_REQ, Deleter<TS_REQ, TS_REQ_free>>;
using TsResp = std::unique_ptr<TS_RESP, Deleter<TS_RESP, TS_RESP_free>>;
using TsMsgImprint = std::unique_ptr<TS_MSG_IMPRINT, Deleter<TS_MSG_IMPRINT, TS_MSG_IMPRINT_free>>;
using TsVerifyCtx = std::unique_ptr<TS_VERIFY_CTX, Deleter<TS_VERIFY_CTX, TS_VERIFY_CTX_free>>;
using Algor = std::unique_ptr<X509_ALGOR, Deleter<X509_ALGOR, X509_ALGOR_free>>;
using Asn1Integer = std::unique_ptr<ASN1_INTEGER, Deleter<ASN1_INTEGER, ASN1_INTEGER_free>>;
using Bignum = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using Store = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;

Error token_error(const std::string& where, const std::string& what) {
  return make_error(ErrorCode::integrity, where, "时间戳无效：" + what);
}

Result<TsResp> parse_response(std::string_view der, const std::string& where) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  TsResp response(d2i_TS_RESP(nullptr, &p, static_cast<long>(der.size())));
  if (!response) return token_error(where, "不是 RFC 3161 时间戳应答（" + openssl::errors() + "）");
  const long status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(response.get())));
  if (status != 0 && status != 1)  // granted, grantedWithMods
    return make_error(ErrorCode::network, where, "时间戳服务拒绝了请求（状态 " + std::to_string(status) + "）");
  if (!TS_RESP_get_tst_info(response.get())) return token_error(where, "应答中没有时间戳信息");
  return response;
}

std::string integer_hex(const ASN1_INTEGER* value) {
  if (!value) return {};
  Bignum bn(ASN1_INTEGER_to_BN(value, nullptr));
  char* hex = bn ? BN_bn2hex(bn.get()) : nullptr;
  std::string text = hex ? hex : "";
  OPENSSL_free(hex);
  return text;
}

TimestampToken describe(TS_RESP* response, std::string_view der, const std::string& url) {
  TS_TST_INFO* info = TS_RESP_get_tst_info(response);
  TimestampToken token;
  token.response_der = std::string(der);
  token.url = url;
  std::tm tm{};
  if (ASN1_TIME_to_tm(TS_TST_INFO_get_time(info), &tm) == 1)
    token.gen_time = UtcTime{std::chrono::seconds(timegm(&tm))};
  token.serial_hex = integer_hex(TS_TST_INFO_get_serial(info));
  char oid[128] = {0};
  OBJ_obj2txt(oid, sizeof oid, TS_TST_INFO_get_policy_id(info), 1);
  token.policy_oid = oid;
  if (GENERAL_NAME* name = TS_TST_INFO_get_tsa(info); name && name->type == GEN_DIRNAME) {
    char text[256] = {0};
    X509_NAME_oneline(name->d.directoryName, text, sizeof text);
    token.tsa_name = text;
  }
  return token;
}

// Imprint (and nonce, when given) of the token against what we asked for, with SHA-256.
Status check_imprint(TS_RESP* response, const Sha256Digest& imprint, const ASN1_INTEGER* nonce, const std::string& where) {
  TS_TST_INFO* info = TS_RESP_get_tst_info(response);
  TS_MSG_IMPRINT* stamped = TS_TST_INFO_get_msg_imprint(info);
  if (OBJ_obj2nid(TS_MSG_IMPRINT_get_algo(stamped)->algorithm) != NID_sha256) return token_error(where, "摘要算法不是 SHA-256");
  const ASN1_OCTET_STRING* digest = TS_MSG_IMPRINT_get_msg(stamped);
  if (ASN1_STRING_length(digest) != static_cast<int>(imprint.size()) ||
      std::memcmp(ASN1_STRING_get0_data(digest), imprint.data(), imprint.size()) != 0)
    return token_error(where, "所盖摘要与文件的 SHA-256 不符（时间戳属于另一份文件）");
  if (nonce && ASN1_INTEGER_cmp(nonce, TS_TST_INFO_get_nonce(info)) != 0) return token_error(where, "随机数（nonce）与请求不符");
  return {};
}

}  // namespace

Result<TimestampToken> TsaClient::stamp(const std::string& url, const Sha256Digest& imprint) const {
  TsReq request(TS_REQ_new());
  TsMsgImprint message(TS_MSG_IMPRINT_new());
  Algor algorithm(X509_ALGOR_new());
  std::uint64_t random_nonce = 0;
  if (!request || !message || !algorithm || RAND_bytes(reinterpret_cast<unsigned char*>(&random_nonce), sizeof random_nonce) != 1)
    return make_error(ErrorCode::internal, "tsa", "OpenSSL：" + openssl::errors());
  Asn1Integer nonce(ASN1_INTEGER_new());
  ASN1_INTEGER_set_uint64(nonce.get(), random_nonce >> 1);
  X509_ALGOR_set0(algorithm.get(), OBJ_nid2obj(NID_sha256), V_ASN1_NULL, nullptr);
  Sha256Digest digest = imprint;
  if (TS_REQ_set_version(request.get(), 1) != 1 || TS_MSG_IMPRINT_set_algo(message.get(), algorithm.get()) != 1 ||
      TS_MSG_IMPRINT_set_msg(message.get(), digest.data(), static_cast<int>(digest.size())) != 1 ||
      TS_REQ_set_msg_imprint(request.get(), message.get()) != 1 || TS_REQ_set_nonce(request.get(), nonce.get()) != 1 ||
      TS_REQ_set_cert_req(request.get(), 1) != 1)
    return make_error(ErrorCode::internal, "tsa", "无法构造时间戳请求：" + openssl::errors());
  unsigned char* der = nullptr;
  const int der_length = i2d_TS_REQ(request.get(), &der);
  if (der_length <= 0) return make_error(ErrorCode::internal, "tsa", "无法编码时间戳请求：" + openssl::errors());
  HttpRequest post;
  post.method = "POST";
  post.url = url;
  post.headers = {{"Content-Type", "application/timestamp-query"}, {"Accept", "application/timestamp-reply"}};
  post.body.assign(reinterpret_cast<const char*>(der), static_cast<size_t>(der_length));
  post.idempotent = true;  // the same request may be stamped twice; any one answer is as good
  OPENSSL_free(der);

  NETSAMPLE_ASSIGN(HttpResponse answer, http_->send(post));
  if (answer.status != 200)
    return make_error(ErrorCode::network, url, "时间戳服务应答 HTTP " + std::to_string(answer.status));
  NETSAMPLE_ASSIGN(TsResp response, parse_response(answer.body, url));
  NETSAMPLE_TRY(check_imprint(response.get(), imprint, nonce.get(), url));
  return describe(response.get(), answer.body, url);
}

Result<TimestampToken> read_timestamp(std::string_view response_der, const Sha256Digest& imprint) {
  const std::string where = "timestamp";
  NETSAMPLE_ASSIGN(TsResp response, parse_response(response_der, where));
  NETSAMPLE_TRY(check_imprint(response.get(), imprint, nullptr, where));
  return describe(response.get(), response_der, "");
}

Result<TimestampToken> verify_timestamp(std::string_view response_der, const Sha256Digest& imprint,
                                        const std::filesystem::path& ca_file) {
  const std::string where = "timestamp";
  NETSAMPLE_ASSIGN(TsResp response, parse_response(response_der, where));
  NETSAMPLE_TRY(check_imprint(response.get(), imprint, nullptr, where));

  Store store(X509_STORE_new());
  if (!store || X509_STORE_load_file(store.get(), ca_file.c_str()) != 1)
    return make_error(ErrorCode::io, ca_file.string(), "无法读取信任的根证书：" + openssl::errors());
  TsVerifyCtx context(TS_VERIFY_CTX_new());
  if (!context) return make_error(ErrorCode::internal, where, "OpenSSL：" + openssl::errors());
  // The context owns the store from here; signature, chain (timeStamping purpose) and version are checked.
  TS_VERIFY_CTX_set_flags(context.get(), TS_VFY_SIGNATURE | TS_VFY_VERSION);
  TS_VERIFY_CTX_set_store(context.get(), store.release());
  ERR_clear_error();
  if (TS_RESP_verify_response(context.get(), response.get()) != 1)
    return token_error(where, "签名或证书链校验失败（" + openssl::errors() + "）");
  return describe(response.get(), response_der, "");
}

}  // namespace netsample
