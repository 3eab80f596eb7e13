#include "netsample/recorder/continuity.h"

#include <algorithm>

#include "netsample/core/time.h"

namespace netsample::recorder {

std::int64_t gap_threshold_ms(int fps) { return std::max<std::int64_t>(500, 3 * 1000 / std::max(1, fps)); }

nlohmann::json Gap::to_json() const {
  return {{"frame", frame}, {"time", format_iso8601_beijing(from_utc_us(utc_us))}, {"utc_us", utc_us},
          {"duration_ms", duration_ms}, {"reason", reason}};
}

nlohmann::json Marker::to_json() const {
  return {{"index", index}, {"step", step}, {"note", note}, {"frame", frame}, {"media_ms", media_ms}, {"time", format_iso8601_beijing(from_utc_us(utc_us))},
          {"utc_us", utc_us}, {"still", still}, {"still_sha256", still_sha256}};
}

}  // namespace netsample::recorder
