#include "netsample/unboxing/tracking.h"

#include <openssl/evp.h>

#include <regex>

#include "netsample/core/file_io.h"
#include "netsample/core/json_fields.h"

namespace netsample::unboxing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

struct StatusName {
  ParcelStatus status;
  const char* id;
  const char* label;
};
constexpr StatusName kStatuses[] = {
    {ParcelStatus::pending, "pending", "待揽收"},         {ParcelStatus::collected, "collected", "已揽收"},
    {ParcelStatus::in_transit, "in_transit", "运输中"},   {ParcelStatus::out_for_delivery, "out_for_delivery", "派送中"},
    {ParcelStatus::delivered, "delivered", "已签收"},     {ParcelStatus::problem, "problem", "疑难件"},
    {ParcelStatus::returning, "returning", "退回中"},     {ParcelStatus::returned, "returned", "已退签"},
    {ParcelStatus::refused, "refused", "拒签"},           {ParcelStatus::forwarded, "forwarded", "转投其他快递"},
    {ParcelStatus::customs, "customs", "清关中"},
};

// Kuaidi100's "state" codes (reference/parcel-tracking.md).
ParcelStatus kuaidi100_status(int state) {
  switch (state) {
    case 0: return ParcelStatus::in_transit;
    case 1: return ParcelStatus::collected;
    case 2: return ParcelStatus::problem;
    case 3: return ParcelStatus::delivered;
    case 4: return ParcelStatus::returned;
    case 5: return ParcelStatus::out_for_delivery;
    case 6: return ParcelStatus::returning;
    case 7: return ParcelStatus::forwarded;
    case 14: return ParcelStatus::refused;
    default: return state >= 10 && state <= 13 ? ParcelStatus::customs : ParcelStatus::problem;
  }
}

// Couriers print Beijing time without a zone: "2026-11-24 10:05:31".
std::optional<UtcTime> courier_time(const std::string& text) {
  static const std::regex local(R"(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?)");
  std::string t = text;
  if (std::regex_match(t, local)) {
    if (t.size() == 16) t += ":00";
    t += "+08:00";
  }
  auto parsed = parse_iso8601(t, "time");
  if (!parsed.ok()) return std::nullopt;
  return *parsed;
}

std::string json_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

void sort_events(std::vector<TrackingEvent>& events) {
  std::stable_sort(events.begin(), events.end(), [](const TrackingEvent& a, const TrackingEvent& b) { return a.time < b.time; });
}

class Kuaidi100 final : public TrackingProvider {
 public:
  Kuaidi100(std::string name, Kuaidi100Config config) : name_(std::move(name)), config_(std::move(config)) {}
  const std::string& name() const override { return name_; }

  HttpRequest request(const Parcel& parcel) const override {
    json param = {{"com", parcel.courier}, {"num", parcel.number}, {"resultv2", "0"}, {"show", "0"}, {"order", "asc"}};
    if (!parcel.phone.empty()) param["phone"] = parcel.phone;
    const std::string param_text = param.dump();
    HttpRequest request;
    request.method = "POST";
    request.url = config_.url;
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    request.body = form_encode({{"customer", config_.customer}, {"sign", kuaidi100_sign(param_text, config_.key, config_.customer)},
                                {"param", param_text}});
    request.idempotent = true;  // a query: asking twice changes nothing
    return request;
  }

  std::variant<TrackingAnswer, TrackingFailure> parse(const HttpResponse& response) const override {
    if (response.status == 429 || response.status >= 500) return TrackingFailure{true, std::to_string(response.status), "查询服务暂时不可用"};
    const json body = json::parse(response.body, nullptr, false);
    if (response.status != 200 || !body.is_object())
      return TrackingFailure{false, std::to_string(response.status), "查询服务的应答不是预期的 JSON"};
    if (body.contains("result") && body["result"] == false) {
      // No data yet, a rate limit, a wrong signature: the code does not say for sure which will pass by
      // asking again, so all are retried with backoff and kept; the tracker raises an alert when they persist.
      return TrackingFailure{true, json_text(body.value("returnCode", json())), json_text(body.value("message", json("查询失败")))};
    }
    TrackingAnswer answer;
    const std::string state = json_text(body.value("state", json("0")));
    answer.status = kuaidi100_status(std::atoi(state.c_str()));
    answer.signed_for = json_text(body.value("ischeck", json("0"))) == "1";
    const json data = body.value("data", json::array());
    for (const auto& e : data) {
      auto time = courier_time(json_text(e.value("time", e.value("ftime", json()))));
      if (!time) return TrackingFailure{false, "time", "时间无法解析：" + e.dump()};
      answer.events.push_back({*time, json_text(e.value("context", json())), json_text(e.value("areaName", e.value("location", json())))});
    }
    sort_events(answer.events);
    if (answer.events.empty()) answer.status = ParcelStatus::pending;
    return answer;
  }

 private:
  std::string name_;
  Kuaidi100Config config_;
};

class GenericJson final : public TrackingProvider {
 public:
  GenericJson(std::string name, GenericJsonConfig config) : name_(std::move(name)), config_(std::move(config)) {}
  const std::string& name() const override { return name_; }

  HttpRequest request(const Parcel& parcel) const override {
    std::string url = config_.url;
    for (const auto& [key, value] : {std::pair<std::string, std::string>{"{number}", parcel.number}, {"{courier}", parcel.courier},
                                     {"{phone}", parcel.phone}})
      for (size_t at; (at = url.find(key)) != std::string::npos;) url.replace(at, key.size(), form_encode({{"", value}}).substr(1));
    HttpRequest request;
    request.method = config_.method;
    request.url = url;
    request.headers = config_.headers;
    request.idempotent = true;
    return request;
  }

  std::variant<TrackingAnswer, TrackingFailure> parse(const HttpResponse& response) const override {
    if (response.status == 429 || response.status >= 500) return TrackingFailure{true, std::to_string(response.status), "查询服务暂时不可用"};
    if (response.status == 404) return TrackingFailure{true, "404", "还没有这个运单的信息"};
    const json body = json::parse(response.body, nullptr, false);
    if (response.status != 200 || body.is_discarded()) return TrackingFailure{false, std::to_string(response.status), "应答不是预期的 JSON"};
    const json::json_pointer status_at(config_.status_pointer), events_at(config_.events_pointer);
    TrackingAnswer answer;
    const std::string status = body.contains(status_at) ? json_text(body[status_at]) : "";
    const auto mapped = config_.statuses.find(status);
    if (mapped != config_.statuses.end()) answer.status = mapped->second;
    else if (auto ours = parse_parcel_status(status)) answer.status = *ours;
    else return TrackingFailure{false, "status", "未配置的快递状态 \"" + status + "\"（tracking.json 的 statuses）"};
    const json events = body.contains(events_at) ? body[events_at] : json::array();
    for (const auto& e : events) {
      auto time = courier_time(json_text(e.value(config_.time_field, json())));
      if (!time) return TrackingFailure{false, "time", "时间无法解析：" + e.dump()};
      answer.events.push_back({*time, json_text(e.value(config_.context_field, json())), json_text(e.value(config_.location_field, json()))});
    }
    sort_events(answer.events);
    answer.signed_for = answer.status == ParcelStatus::delivered;
    return answer;
  }

 private:
  std::string name_;
  GenericJsonConfig config_;
};

}  // namespace

std::string to_string(ParcelStatus status) {
  for (const auto& s : kStatuses)
    if (s.status == status) return s.id;
  return "problem";
}

std::optional<ParcelStatus> parse_parcel_status(std::string_view text) {
  for (const auto& s : kStatuses)
    if (text == s.id) return s.status;
  return std::nullopt;
}

std::string status_label(ParcelStatus status) {
  for (const auto& s : kStatuses)
    if (s.status == status) return s.label;
  return "?";
}

bool is_final(ParcelStatus s) { return s == ParcelStatus::delivered || s == ParcelStatus::returned || s == ParcelStatus::refused; }

bool is_alert(ParcelStatus s) {
  return s == ParcelStatus::problem || s == ParcelStatus::returning || s == ParcelStatus::returned || s == ParcelStatus::refused;
}

json TrackingEvent::to_json() const { return {{"time", format_iso8601_beijing(time)}, {"context", context}, {"location", location}}; }

std::string kuaidi100_sign(const std::string& param, const std::string& key, const std::string& customer) {
  const std::string text = param + key + customer;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_md5(), nullptr);
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

std::unique_ptr<TrackingProvider> make_kuaidi100(const std::string& name, Kuaidi100Config config) {
  return std::make_unique<Kuaidi100>(name, std::move(config));
}

std::unique_ptr<TrackingProvider> make_generic_json(const std::string& name, GenericJsonConfig config) {
  return std::make_unique<GenericJson>(name, std::move(config));
}

Result<const TrackingProvider*> TrackingConfig::provider_for(const std::string& courier) const {
  const auto mapped = courier_provider.find(courier);
  const std::string name = mapped != courier_provider.end() ? mapped->second : default_provider;
  const auto found = providers.find(name);
  if (name.empty() || found == providers.end())
    return make_error(ErrorCode::not_found, "courier",
                      "没有为快递公司 \"" + courier + "\" 配置查询服务（数据目录的 tracking.json：providers、couriers、default_provider）");
  return found->second.get();
}

Result<TrackingConfig> parse_tracking_config(const json& root, const std::string& source) {
  TrackingConfig config;
  if (!root.is_object()) return make_error(ErrorCode::wrong_type, source, "应为 JSON 对象");
  auto text = [&](const json& object, const char* key, const std::string& where, bool required) -> Result<std::string> {
    if (!object.contains(key)) {
      if (required) return make_error(ErrorCode::missing_field, source + ": " + where + "." + key, "必须填写");
      return std::string();
    }
    if (!object[key].is_string()) return make_error(ErrorCode::wrong_type, source + ": " + where + "." + key, "应为文字");
    return object[key].get<std::string>();
  };
  // Named copies: items() of a temporary would dangle.
  const json providers = root.value("providers", json::object()), couriers = root.value("couriers", json::object());
  for (const auto& [name, p] : providers.items()) {
    const std::string where = "providers." + name;
    if (!p.is_object()) return make_error(ErrorCode::wrong_type, source + ": " + where, "应为 JSON 对象");
    NETSAMPLE_ASSIGN(std::string type, text(p, "type", where, true));
    std::unique_ptr<TrackingProvider> provider;
    if (type == "kuaidi100") {
      Kuaidi100Config k;
      NETSAMPLE_ASSIGN(std::string url, text(p, "url", where, false));
      if (!url.empty()) k.url = url;
      NETSAMPLE_ASSIGN(k.customer, text(p, "customer", where, true));
      NETSAMPLE_ASSIGN(k.key, text(p, "key", where, true));
      provider = make_kuaidi100(name, k);
    } else if (type == "json") {
      GenericJsonConfig g;
      NETSAMPLE_ASSIGN(g.url, text(p, "url", where, true));
      for (auto [field, target] : {std::pair<const char*, std::string*>{"method", &g.method}, {"status_pointer", &g.status_pointer},
                                   {"events_pointer", &g.events_pointer}, {"time_field", &g.time_field}, {"context_field", &g.context_field},
                                   {"location_field", &g.location_field}}) {
        NETSAMPLE_ASSIGN(std::string value, text(p, field, where, false));
        if (!value.empty()) *target = value;
      }
      const json headers = p.value("headers", json::object()), statuses = p.value("statuses", json::object());
      for (const auto& [header, value] : headers.items()) g.headers.emplace_back(header, json_text(value));
      for (const auto& [theirs, ours] : statuses.items()) {
        auto status = parse_parcel_status(json_text(ours));
        if (!status)
          return make_error(ErrorCode::invalid_input, source + ": " + where + ".statuses." + theirs,
                            "\"" + json_text(ours) + "\" 不是 netsample 的状态（pending、collected、in_transit、out_for_delivery、delivered、problem、returning、returned、refused、forwarded、customs）");
        g.statuses[theirs] = *status;
      }
      provider = make_generic_json(name, g);
    } else {
      return make_error(ErrorCode::invalid_input, source + ": " + where + ".type", "应为 kuaidi100 或 json，而不是 \"" + type + "\"");
    }
    if (p.contains("min_interval_ms")) {
      if (!p["min_interval_ms"].is_number_integer() || p["min_interval_ms"].get<long>() < 0)
        return make_error(ErrorCode::invalid_input, source + ": " + where + ".min_interval_ms", "应为不小于 0 的整数（毫秒）");
      provider->min_interval = std::chrono::milliseconds(p["min_interval_ms"].get<long>());
    }
    config.providers[name] = std::move(provider);
  }
  for (const auto& [courier, provider] : couriers.items()) {
    if (!provider.is_string() || !config.providers.contains(provider.get<std::string>()))
      return make_error(ErrorCode::invalid_input, source + ": couriers." + courier, "应为 providers 中的一个名称");
    config.courier_provider[courier] = provider.get<std::string>();
  }
  NETSAMPLE_ASSIGN(config.default_provider, text(root, "default_provider", "", false));
  if (!config.default_provider.empty() && !config.providers.contains(config.default_provider))
    return make_error(ErrorCode::invalid_input, source + ": default_provider", "应为 providers 中的一个名称");
  return config;
}

Result<TrackingConfig> load_tracking_config(const fs::path& data_dir) {
  const fs::path file = data_dir / "tracking.json";
  if (!fs::exists(file)) return TrackingConfig{};
  NETSAMPLE_ASSIGN(std::string text, read_file(file));
  NETSAMPLE_ASSIGN(json root, parse_json(text, file.string()));
  return parse_tracking_config(root, file.string());
}

}  // namespace netsample::unboxing
