// The one small case the benchmarks make many of (server_bench_data, sync_bench), in the form users write.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace netsample::bench {

inline nlohmann::json bench_case(const std::string& number, const std::string& model = "QS-1701") {
  return {{"number", number},
          {"organizer", "cq-amr"},
          {"level", "city"},
          {"plan", "routine"},
          {"product", {{"name", "电热水壶"}, {"trademark", "清泉"}, {"model", model}, {"category", "家用电器"}, {"standard", "GB 4706.19-2008"}}},
          {"platform", "jd"},
          {"shop", {{"name", "清泉电器官方旗舰店"}, {"url", "https://mall.jd.com/index-1000000001.html"}}},
          {"operator", {{"name", "重庆清泉电器有限公司"}, {"address", "重庆市渝北区示例路1号"}}},
          {"producer", {{"name", "佛山清泉电器制造有限公司"}, {"address", "广东省佛山市顺德区示例路2号"}}},
          {"samples", {{"inspection", 2}, {"backup", 2}}}};
}

}  // namespace netsample::bench
