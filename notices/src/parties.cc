#include "netsample/notices/parties.h"

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include "netsample/core/json_fields.h"

namespace netsample::notices {
namespace {

using nlohmann::json;

const std::set<std::string> kKinds = {"platform", "network_supervision", "operator", "producer", "bureau"};

std::optional<std::string> column(const std::string& value) {
  if (value.empty()) return std::nullopt;
  return value;
}

json stored_form(const Party& p) {  // what the audit row keeps: the secret as its presence only
  json j = p.to_json();
  j["webhook_secret"] = p.webhook_secret.empty() ? "" : "set";
  return j;
}

}  // namespace

json Party::to_json() const {
  return {{"id", id},
          {"kind", kind},
          {"name", name},
          {"platform", platform.empty() ? json() : json(platform)},
          {"region", region.empty() ? json() : json(region)},
          {"webhook", webhook_url.empty() ? json() : json{{"url", webhook_url}, {"secret", webhook_secret.empty() ? "missing" : "set"}}},
          {"email", email.empty() ? json() : json(email)},
          {"postal_address", postal_address.empty() ? json() : json(postal_address)}};
}

json Addressee::to_json() const {
  return {{"role", role}, {"party", party ? json(party->id) : json()}, {"name", party ? json(party->name) : json()},
          {"problem", problem.empty() ? json() : json(problem)}};
}

Result<std::vector<Party>> parse_parties(const json& file) {
  NETSAMPLE_ASSIGN(JsonFields root, JsonFields::of(file, ""));
  NETSAMPLE_ASSIGN(const json* list, root.raw("parties"));
  NETSAMPLE_TRY(root.reject_unknown_keys());
  if (!list->is_array()) return make_error(ErrorCode::wrong_type, "parties", "应为数组");
  static const std::regex id_rule(R"([A-Za-z0-9][A-Za-z0-9_.-]{0,63})");
  static const std::regex email_rule(R"([^@\s]+@[^@\s]+\.[^@\s]+)");
  std::vector<Party> parties;
  std::set<std::string> ids;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string at = "parties[" + std::to_string(i) + "]";
    NETSAMPLE_ASSIGN(JsonFields f, JsonFields::of((*list)[i], at));
    Party p;
    NETSAMPLE_ASSIGN(p.id, f.text("id"));
    if (!std::regex_match(p.id, id_rule)) return make_error(ErrorCode::invalid_input, f.path_of("id"), "编号只用字母、数字、点、横线、下划线，不超过 64 个字符");
    if (!ids.insert(p.id).second) return make_error(ErrorCode::duplicate, f.path_of("id"), "编号 " + p.id + " 重复");
    NETSAMPLE_ASSIGN(p.kind, f.text("kind"));
    if (!kKinds.contains(p.kind))
      return make_error(ErrorCode::invalid_input, f.path_of("kind"),
                        "类别应为 platform（电子商务平台）、network_supervision（网络监管部门）、operator（被抽样经营者）、producer（标称生产者）或 bureau（其他地区市场监管部门）");
    NETSAMPLE_ASSIGN(p.name, f.text("name"));
    NETSAMPLE_ASSIGN(auto platform, f.optional_text("platform"));
    NETSAMPLE_ASSIGN(auto region, f.optional_text("region"));
    NETSAMPLE_ASSIGN(auto email, f.optional_text("email"));
    NETSAMPLE_ASSIGN(auto postal, f.optional_text("postal_address"));
    p.platform = platform.value_or("");
    p.region = region.value_or("");
    p.email = email.value_or("");
    p.postal_address = postal.value_or("");
    if (p.kind == "platform" && p.platform.empty()) return make_error(ErrorCode::missing_field, f.path_of("platform"), "电子商务平台须写明平台编码（如 jd）");
    if (p.kind == "bureau" && p.region.empty()) return make_error(ErrorCode::missing_field, f.path_of("region"), "其他地区市场监管部门须写明所辖地区（如 广东省，第74条）", 74);
    if (!p.email.empty() && !std::regex_match(p.email, email_rule))
      return make_error(ErrorCode::invalid_input, f.path_of("email"), "不是电子邮件地址：" + p.email);
    if ((*list)[i].contains("webhook")) {
      NETSAMPLE_ASSIGN(JsonFields hook, f.object("webhook"));
      NETSAMPLE_ASSIGN(p.webhook_url, hook.text("url"));
      if (!p.webhook_url.starts_with("https://") && !p.webhook_url.starts_with("http://"))
        return make_error(ErrorCode::invalid_input, hook.path_of("url"), "应为 https:// 网址");
      // Without a secret the receiver could not tell our notices from anyone's.
      NETSAMPLE_ASSIGN(p.webhook_secret, hook.text("secret"));
      if (p.webhook_secret.size() < 16) return make_error(ErrorCode::invalid_input, hook.path_of("secret"), "共享密钥至少 16 个字符（用于 HMAC-SHA256 签名）");
      NETSAMPLE_TRY(hook.reject_unknown_keys());
    }
    NETSAMPLE_TRY(f.reject_unknown_keys());
    parties.push_back(std::move(p));
  }
  return parties;
}

Result<PartyRegistry::Change> PartyRegistry::put(const std::vector<Party>& parties, const std::string& actor) {
  NETSAMPLE_ASSIGN(std::vector<Party> existing, list());
  Change change;
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(store::Statement upsert,
                     store_->db().prepare("INSERT INTO parties (id, kind, name, platform, region, webhook_url, webhook_secret, email, postal_address, "
                                          "updated_utc_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (id) DO UPDATE SET "
                                          "kind = ?2, name = ?3, platform = ?4, region = ?5, webhook_url = ?6, webhook_secret = ?7, email = ?8, "
                                          "postal_address = ?9, updated_utc_us = ?10"));
    for (const Party& p : parties) {
      auto before = std::find_if(existing.begin(), existing.end(), [&](const Party& e) { return e.id == p.id; });
      const bool same = before != existing.end() && before->to_json() == p.to_json() && before->webhook_secret == p.webhook_secret;
      if (same) {
        ++change.unchanged;
        continue;
      }
      ++(before == existing.end() ? change.added : change.updated);
      upsert.reset();
      NETSAMPLE_TRY(upsert.bind(1, p.id).bind(2, p.kind).bind(3, p.name).bind(4, column(p.platform)).bind(5, column(p.region))
                        .bind(6, column(p.webhook_url)).bind(7, column(p.webhook_secret)).bind(8, column(p.email)).bind(9, column(p.postal_address))
                        .bind(10, to_utc_us(store_->clock().now())).run());
      NETSAMPLE_TRY(status_of(store_->audit().append({actor, before == existing.end() ? "party.added" : "party.updated", "", stored_form(p)},
                                                     store_->clock().now())));
    }
    return Status{};
  }));
  return change;
}

Result<std::vector<Party>> PartyRegistry::list() {
  NETSAMPLE_ASSIGN(store::Statement q, store_->db().prepare("SELECT id, kind, name, platform, region, webhook_url, webhook_secret, email, postal_address "
                                                            "FROM parties ORDER BY kind, id"));
  std::vector<Party> out;
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, q.step());
    if (!row) return out;
    out.push_back({q.text(0), q.text(1), q.text(2), q.optional_text(3).value_or(""), q.optional_text(4).value_or(""), q.optional_text(5).value_or(""),
                   q.optional_text(6).value_or(""), q.optional_text(7).value_or(""), q.optional_text(8).value_or("")});
  }
}

Result<Party> PartyRegistry::get(const std::string& id) {
  NETSAMPLE_ASSIGN(std::vector<Party> all, list());
  for (auto& p : all)
    if (p.id == id) return p;
  return make_error(ErrorCode::not_found, "party", "没有编号为 " + id + " 的收件方（notices parties add --file）");
}

Result<std::vector<std::string>> PartyRegistry::verify_records() {
  NETSAMPLE_ASSIGN(std::vector<Party> stored, list());
  NETSAMPLE_ASSIGN(std::vector<store::AuditRecord> rows, store_->audit().records());
  std::map<std::string, json> audited;  // id -> its last audited form
  for (const auto& row : rows)
    if (row.action == "party.added" || row.action == "party.updated") {
      json payload = json::parse(row.payload, nullptr, false);
      if (!payload.is_object()) continue;
      const std::string id = payload.value("id", "");
      audited[id] = std::move(payload);
    }
  std::vector<std::string> problems;
  for (const Party& p : stored) {
    const auto found = audited.find(p.id);
    if (found == audited.end()) problems.push_back("收件方 " + p.id + "（" + p.name + "）没有审计记录（被插入？）");
    else if (found->second != stored_form(p)) problems.push_back("收件方 " + p.id + "（" + p.name + "）与审计记录不一致（被改动？）");
    if (found != audited.end()) audited.erase(found);
  }
  for (const auto& [id, payload] : audited)
    problems.push_back("收件方 " + id + "（" + payload.value("name", "") + "）在审计记录中，但数据库中缺失（被删除？）");
  return problems;
}

Result<std::vector<Addressee>> PartyRegistry::resolve(const workflow::NoticeView& notice, const workflow::CaseView& view) {
  NETSAMPLE_ASSIGN(std::vector<Party> all, list());
  const workflow::CaseRecord& c = view.record;
  auto by_name = [&](const std::string& kind, const std::string& name) -> Addressee {
    Addressee a{kind, std::nullopt, ""};
    for (const auto& p : all)
      if (p.kind == kind && p.name == name) a.party = p;
    if (!a.party) a.problem = "没有登记名称为「" + name + "」的" + (kind == "operator" ? "被抽样经营者" : "标称生产者") + "（notices parties add）";
    return a;
  };
  std::vector<Addressee> out;
  for (const std::string& role : notice.recipients) {
    Addressee a{role, std::nullopt, ""};
    if (role == "operator") {
      a = by_name("operator", c.operator_party.name);
    } else if (role == "producer") {
      a = by_name("producer", c.producer.name);
    } else if (role == "applicant") {  // who objected (Art 52): the event's field
      const std::string applicant = notice.payload.value("fields", json::object()).value("applicant", "");
      if (applicant == "operator") a = by_name("operator", c.operator_party.name);
      else if (applicant == "producer") a = by_name("producer", c.producer.name);
      else a.problem = "通知没有写明异议申请人（applicant）";
    } else if (role == "platform" || role == "network_supervision") {
      for (const auto& p : all)
        if (p.kind == role && p.platform == c.platform) a.party = p;
      if (!a.party && role == "network_supervision")
        for (const auto& p : all)
          if (p.kind == role && p.platform.empty()) a.party = p;
      if (!a.party)
        a.problem = std::string("没有登记平台 ") + c.platform + " 的" + (role == "platform" ? "电子商务平台" : "网络监管部门") + "（第51、62条）";
    } else if (role == "producer_region_bureau") {  // Art 74: the bureau where the producer is
      size_t best = 0;
      for (const auto& p : all)
        if (p.kind == "bureau" && c.producer.address.starts_with(p.region) && p.region.size() > best) best = p.region.size(), a.party = p;
      if (!a.party) a.problem = "没有登记生产者所在地（" + c.producer.address + "）的市场监管部门（第74条）";
    } else {
      a.problem = "未知的收件角色 " + role;
    }
    if (a.party && !a.party->reachable()) {
      a.problem = "收件方 " + a.party->id + "（" + a.party->name + "）没有任何送达方式：请登记 webhook、email 或 postal_address";
    }
    a.role = role;
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace netsample::notices
