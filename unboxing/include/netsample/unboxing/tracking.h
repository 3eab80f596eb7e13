// Parcel tracking (Art 32: the samples travel by courier; the case waits for delivery before unboxing,
// Art 36). A provider turns a parcel into one HTTP request and its answer into a timeline with a normalised
// status; the poller (poller.h) sends the requests. Two providers: Kuaidi100's real-time query (the
// aggregator most Chinese businesses use; ../shared/reference/parcel-tracking.md) and a generic JSON adapter
// configured per courier. Credentials come from <data>/tracking.json, never from code.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <variant>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/core/http.h"
#include "netsample/core/time.h"

namespace netsample::unboxing {

// Kuaidi100's states and AfterShip's, mapped onto one set.
enum class ParcelStatus { pending, collected, in_transit, out_for_delivery, delivered, problem, returning, returned, refused, forwarded, customs };

std::string to_string(ParcelStatus status);
std::optional<ParcelStatus> parse_parcel_status(std::string_view text);
std::string status_label(ParcelStatus status);  // Chinese
// No polling after these: the parcel has arrived or gone back.
bool is_final(ParcelStatus status);
// What the reviewer must see: the samples may not arrive as bought (Art 36).
bool is_alert(ParcelStatus status);

struct Parcel {
  std::string courier;  // Kuaidi100 code, lower case: shunfeng, zhongtong, ems, jd, ...
  std::string number;
  std::string phone;    // last 4 digits, when the courier demands them (SF Express)
};

struct TrackingEvent {
  UtcTime time;
  std::string context;   // what the courier wrote
  std::string location;
  nlohmann::json to_json() const;
  bool operator==(const TrackingEvent&) const = default;
};

struct TrackingAnswer {
  ParcelStatus status = ParcelStatus::pending;
  bool signed_for = false;             // Kuaidi100 "ischeck": final at the courier
  std::vector<TrackingEvent> events;   // oldest first
};

// A failed query: `retry` when asking again later can succeed (network, rate limit, no data yet).
struct TrackingFailure {
  bool retry = true;
  std::string code;     // the provider's code, or the HTTP status
  std::string message;
};

class TrackingProvider {
 public:
  virtual ~TrackingProvider() = default;
  virtual const std::string& name() const = 0;
  virtual HttpRequest request(const Parcel& parcel) const = 0;
  // The answer, or why there is none.
  virtual std::variant<TrackingAnswer, TrackingFailure> parse(const HttpResponse& response) const = 0;
  // Requests to this provider are spaced at least this much (its rate limit).
  std::chrono::milliseconds min_interval{0};
};

struct Kuaidi100Config {
  std::string url = "https://poll.kuaidi100.com/poll/query.do";
  std::string customer;
  std::string key;
};
std::unique_ptr<TrackingProvider> make_kuaidi100(const std::string& name, Kuaidi100Config config);
// Upper-case hex MD5 of param + key + customer (the exact param string sent).
std::string kuaidi100_sign(const std::string& param, const std::string& key, const std::string& customer);

// A courier's own JSON API: GET (or POST a form) to `url` with {number}, {courier} and {phone} replaced;
// the answer's fields found by JSON pointer.
struct GenericJsonConfig {
  std::string url;                       // e.g. "https://api.courier.example/track?no={number}"
  std::string method = "GET";
  HttpHeaders headers;                   // e.g. an API token
  std::string status_pointer = "/status";
  std::string events_pointer = "/events";
  std::string time_field = "time", context_field = "context", location_field = "location";
  std::map<std::string, ParcelStatus> statuses;  // the courier's status text → ours
};
std::unique_ptr<TrackingProvider> make_generic_json(const std::string& name, GenericJsonConfig config);

// <data>/tracking.json:
// {"providers": {"kuaidi100": {"type": "kuaidi100", "url": "...", "customer": "...", "key": "...", "min_interval_ms": 1000},
//                "acme": {"type": "json", "url": "...", "statuses": {"DELIVERED": "delivered"}, ...}},
//  "couriers": {"acme": "acme"}, "default_provider": "kuaidi100"}
struct TrackingConfig {
  std::map<std::string, std::unique_ptr<TrackingProvider>> providers;
  std::map<std::string, std::string> courier_provider;  // courier code → provider name
  std::string default_provider;
  // The provider for a courier; not_found naming the courier when none is configured.
  Result<const TrackingProvider*> provider_for(const std::string& courier) const;
};
Result<TrackingConfig> load_tracking_config(const std::filesystem::path& data_dir);
Result<TrackingConfig> parse_tracking_config(const nlohmann::json& root, const std::string& source);

}  // namespace netsample::unboxing
