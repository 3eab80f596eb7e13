// `netsample track add / poll / show`: the parcel of a case, followed to delivery (unboxing/parcels.h).
#include <csignal>
#include <thread>

#include "commands.h"
#include "netsample/unboxing/parcels.h"

namespace netsample::app {
namespace {

using nlohmann::json;
using namespace unboxing;

volatile std::sig_atomic_t stop_polling = 0;
void on_stop(int) { stop_polling = 1; }

void print_parcel(const ParcelView& p) {
  std::cout << "任务 " << p.case_number << "  " << p.parcel.courier << " " << p.parcel.number << "  " << status_label(p.status)
            << (p.final ? "（已结束跟踪）" : "") << "\n";
  if (!p.alert.empty()) std::cout << "  ⚠ " << p.alert << "\n";
  if (!p.last_error.empty()) std::cout << "  最近一次查询失败：" << p.last_error << "（连续 " << p.failures << " 次）\n";
  for (const auto& e : p.events)
    std::cout << "  " << format_beijing(e.time).substr(0, 19) << " +08:00  " << e.context << (e.location.empty() ? "" : "（" + e.location + "）") << "\n";
  if (p.events.empty()) std::cout << "  （还没有轨迹）\n";
  if (!p.final) std::cout << "  下次查询 " << format_beijing(p.next_poll) << "\n";
}

template <class Body>
Status with_tracker(Context& context, Body body) {
  NETSAMPLE_ASSIGN(ParcelTracker * tracker, context.runtime->tracker());
  return body(*tracker);
}

}  // namespace

void add_track_commands(CLI::App& app, Context& context, int& exit_code) {
  CLI::App* track = app.add_subcommand("track", "快递跟踪（第32、36条）：登记运单、查询轨迹直到签收、查看");
  track->require_subcommand(1);

  auto add_case = std::make_shared<std::string>();
  auto parcel = std::make_shared<Parcel>();
  CLI::App* add = track->add_subcommand("add", "登记任务的运单（任务进入「运输中」）；查询服务在数据目录的 tracking.json 中配置");
  add->add_option("CASE", *add_case, "任务编号")->required();
  add->add_option("--courier", parcel->courier, "快递公司编码（快递100 编码：shunfeng、zhongtong、yuantong、yunda、ems、jd …）")->required();
  add->add_option("--number", parcel->number, "运单号")->required();
  add->add_option("--phone", parcel->phone, "收件人或寄件人电话后四位（顺丰必填）");
  add->callback([&context, &exit_code, add_case, parcel] {
    exit_code = run_command(context, [&]() -> Status {
      return with_tracker(context, [&](ParcelTracker& tracker) -> Status {
        NETSAMPLE_ASSIGN(ParcelView view, tracker.add(*add_case, *parcel, context.actor));
        if (context.json) print_json(view.to_json());
        else print_parcel(view);
        return {};
      });
    });
  });

  auto once = std::make_shared<bool>(false);
  CLI::App* poll = track->add_subcommand("poll", "查询到期的运单；不加 --once 时持续查询，直到没有在途运单（Ctrl+C 停止）");
  poll->add_flag("--once", *once, "只查询一轮");
  poll->callback([&context, &exit_code, once] {
    exit_code = run_command(context, [&]() -> Status {
      return with_tracker(context, [&](ParcelTracker& tracker) -> Status {
        std::signal(SIGINT, on_stop);
        std::signal(SIGTERM, on_stop);
        json rounds = json::array();
        NETSAMPLE_TRY(run_tracking_worker(tracker, context.runtime->clock(), *once, [] { return stop_polling != 0; }, [&](const PollReport& report) {
          if (context.json) {
            rounds.push_back({{"polled", report.polled}, {"changed", report.changed}, {"failed", report.failed}, {"delivered", report.delivered},
                              {"lines", report.lines}});
          } else {
            for (const auto& line : report.lines) std::cout << format_beijing(context.runtime->clock().now()).substr(0, 19) << "  " << line << "\n" << std::flush;
          }
        }));
        if (!context.json && !stop_polling && !*once) {
          NETSAMPLE_ASSIGN(std::optional<UtcTime> due, tracker.next_due());
          if (!due) std::cout << "没有在途的运单了\n";
        }
        if (context.json) print_json(rounds);
        return {};
      });
    });
  });

  auto show_case = std::make_shared<std::string>();
  CLI::App* show = track->add_subcommand("show", "查看任务的运单与物流轨迹（北京时间）");
  show->add_option("CASE", *show_case, "任务编号")->required();
  show->callback([&context, &exit_code, show_case] {
    exit_code = run_command(context, [&]() -> Status {
      return with_tracker(context, [&](ParcelTracker& tracker) -> Status {
        NETSAMPLE_ASSIGN(auto parcels, tracker.of_case(*show_case));
        if (context.json) {
          json all = json::array();
          for (const auto& p : parcels) all.push_back(p.to_json());
          print_json(all);
          return {};
        }
        if (parcels.empty()) std::cout << "任务 " << *show_case << " 还没有登记运单\n";
        for (const auto& p : parcels) print_parcel(p);
        return {};
      });
    });
  });
}

}  // namespace netsample::app
