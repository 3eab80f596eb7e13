// netsample station (on the centre: the stations it accepts) and netsample sync (on a station: send the centre what
// it lacks). A station's token is printed once and read back from the environment or a file, never the command line.
#include <sys/stat.h>

#include <iostream>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "netsample/bundle/bundle.h"
#include "netsample/core/file_io.h"
#include "netsample/sync/sync.h"

namespace netsample::app {

Result<std::string> station_token(const std::string& token_file) {
  if (token_file.empty()) {
    const char* env = std::getenv("NETSAMPLE_STATION_TOKEN");
    return std::string(env ? env : "");
  }
  struct stat st {};
  if (::stat(token_file.c_str(), &st) != 0) return io_error(token_file, "无法读取令牌文件");
  if (st.st_mode & 077) return make_error(ErrorCode::refused_by_rule, "token_file", token_file + " 可被其他用户读取：请 chmod 600");
  NETSAMPLE_ASSIGN(std::string text, read_file(token_file));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  if (text.empty()) return make_error(ErrorCode::missing_field, "token_file", token_file + " 是空的：应为 station add 打印的令牌");
  return text;
}

namespace {

std::string megabytes(std::uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return text;
}

}  // namespace

void add_sync_commands(CLI::App& app, Context& context, int& exit_code) {
  CLI::App* station = app.add_subcommand("station", "中心：接受同步的工作站及其令牌");
  station->require_subcommand(1);
  static std::string id, name;
  auto* add = station->add_subcommand("add", "登记工作站，打印一次它的同步令牌");
  add->add_option("ID", id, "工作站编号（小写字母、数字、-），例如 yubei-01")->required();
  add->add_option("--name", name, "工作站名称，例如 渝北区局抽样站")->required();
  add->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      NETSAMPLE_ASSIGN(std::string token, sync::Stations(context.runtime->store()).add(id, name, context.actor));
      if (context.json) print_json({{"station", id}, {"token", token}});
      else
        std::cout << "工作站 " << id << "（" << name << "）\n同步令牌（只显示这一次，请写入工作站的令牌文件，chmod 600）：" << token << "\n";
      return {};
    });
  });
  static std::string revoke_id;
  auto* revoke = station->add_subcommand("revoke", "停用工作站的令牌（已同步的内容保留）");
  revoke->add_option("ID", revoke_id, "工作站编号")->required();
  revoke->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      NETSAMPLE_TRY(sync::Stations(context.runtime->store()).revoke(revoke_id, context.actor));
      std::cout << "已停用工作站 " << revoke_id << " 的令牌\n";
      return {};
    });
  });
  auto* list = station->add_subcommand("list", "列出工作站及中心所存的各站审计链末条");
  list->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      NETSAMPLE_ASSIGN(std::vector<sync::Station> all, sync::Stations(context.runtime->store()).list());
      nlohmann::json out = nlohmann::json::array();
      for (const auto& s : all) {
        NETSAMPLE_ASSIGN(store::AuditHead head, sync::Receiver(context.runtime->store(), s).head());
        nlohmann::json item = s.to_json();
        item["head"] = {{"seq", head.seq}, {"hash", head.hash}};
        out.push_back(item);
        if (!context.json)
          std::cout << s.id << "  " << s.name << (s.revoked ? "（已停用）" : "") << "  审计链已收到第 " << head.seq << " 条"
                    << (head.seq ? "，哈希 " + head.hash.substr(0, 16) + "…" : "") << "\n";
      }
      if (context.json) print_json(out);
      return {};
    });
  });

  static std::string case_number, to_station;
  auto* handover = station->add_subcommand("handover", "把一个任务移交给另一工作站（记入中心审计链）：此后只收该站关于此任务的记录");
  handover->add_option("CASE", case_number, "任务编号")->required();
  handover->add_option("--to", to_station, "接收任务的工作站编号")->required();
  handover->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      NETSAMPLE_TRY(sync::StationCases(context.runtime->store()).hand_over(case_number, to_station, context.actor));
      std::cout << "任务 " << case_number << " 已移交工作站 " << to_station << "\n";
      return {};
    });
  });
  auto* cases = station->add_subcommand("cases", "列出各工作站送来的任务（所属工作站、文书读于该站审计链第几条、收到时间）");
  cases->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      sync::StationCases all(context.runtime->store());
      NETSAMPLE_ASSIGN(std::vector<sync::StationCase> list, all.list());
      nlohmann::json out = nlohmann::json::array();
      for (const auto& c : list) {
        NETSAMPLE_ASSIGN(std::optional<std::string> owner, all.owner(c.case_number));
        out.push_back({{"case", c.case_number}, {"station", c.station}, {"owner", owner ? nlohmann::json(*owner) : nlohmann::json(nullptr)},
                       {"seq", c.seq}, {"received", format_iso8601_beijing(c.received)}});
        if (!context.json)
          std::cout << c.case_number << "  工作站 " << c.station << "  文书读于第 " << c.seq << " 条  收到于 " << format_beijing(c.received)
                    << (owner && *owner != c.station ? "  已移交 " + *owner : "") << "\n";
      }
      if (context.json) print_json(out);
      return {};
    });
  });

  auto* live = station->add_subcommand("live", "列出各工作站逐段送来的录像（录制中即送）：已收到的日志行数、字节、录到的时间、录制中的时间戳，是否已整份收存");
  live->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      NETSAMPLE_ASSIGN(std::vector<sync::LiveRecording> list, sync::StationCases(context.runtime->store()).live());
      nlohmann::json out = nlohmann::json::array();
      for (const auto& r : list) {
        out.push_back(r.to_json());
        if (!context.json)
          std::cout << r.case_number << "  工作站 " << r.station << "  " << r.dir_name << "  日志 " << r.state.lines << " 行，视频 "
                    << megabytes(r.state.media_bytes) << (r.recorded_until ? "，录到 " + format_beijing(*r.recorded_until) : std::string())
                    << (r.stamps ? "，时间戳 " + std::to_string(r.stamps) + " 个（中心核验通过 " + std::to_string(r.stamps_verified) + " 个）" : std::string())
                    << (r.media_sha256.empty() ? "" : "（已整份收存）") << "\n";
      }
      if (context.json) print_json(out);
      return {};
    });
  });

  static std::string central, token_file, ca_file;
  static int part_mib = 8;
  auto* push = app.add_subcommand("sync", "工作站：把中心尚未收到的证据和审计记录发往中心（可中断，续传时已送达的不再发送）");
  push->add_option("--central", central, "中心服务地址，例如 https://netsample.example.gov.cn")->required();
  push->add_option("--token-file", token_file, "工作站令牌文件（chmod 600）；默认取环境变量 NETSAMPLE_STATION_TOKEN");
  push->add_option("--ca", ca_file, "校验中心 TLS 证书的额外 CA（PEM）");
  push->add_option("--part-mib", part_mib, "证据分段大小（MiB）：线路慢或常断时取小，中断后从最后送达的分段续传")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  push->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      sync::SyncOptions options;
      options.central = central;
      while (!options.central.empty() && options.central.back() == '/') options.central.pop_back();
      NETSAMPLE_ASSIGN(options.token, station_token(token_file));
      options.ca_file = ca_file;
      options.part_bytes = static_cast<std::uint64_t>(part_mib) << 20;
      bundle::add_station_sources(*context.runtime, options);
      std::string last_phase;
      options.progress = [&](const sync::SyncProgress& p) {
        if (context.json) return;
        if (p.phase == "live") return;  // a line a second: the summary says how many went
        if (p.phase == "evidence")
          std::cerr << "\r证据 " << megabytes(p.done) << " / " << megabytes(p.total) << std::flush;
        else
          std::cerr << (last_phase == p.phase || last_phase.empty() ? "\r" : "\n") << (p.phase == "audit" ? "审计记录 " : "任务文书 ") << p.done << " / "
                    << p.total << std::flush;
        last_phase = p.phase;
      };
      NETSAMPLE_ASSIGN(sync::SyncReport report, sync::push(context.runtime->store(), options));
      if (!last_phase.empty() && !context.json) std::cerr << "\n";
      if (context.json) {
        print_json({{"rows_sent", report.rows_sent}, {"blobs_sent", report.blobs_sent}, {"blobs_already_there", report.blobs_already_there},
                    {"bytes_sent", report.bytes_sent}, {"cases_sent", report.cases_sent},
                    {"live_lines_sent", report.live_lines_sent}, {"live_bytes_sent", report.live_bytes_sent}, {"live_stamps_sent", report.live_stamps_sent},
                    {"handed_away", report.handed_away}, {"central_head", {{"seq", report.central_head.seq}, {"hash", report.central_head.hash}}}});
      } else {
        std::cout << "已同步：证据 " << report.blobs_sent << " 件新送达（" << megabytes(report.bytes_sent) << "），" << report.blobs_already_there
                  << " 件中心已有；审计记录 " << report.rows_sent << " 条；任务文书 " << report.cases_sent << " 件"
                  << (report.live_lines_sent ? "；录像逐段送达 " + std::to_string(report.live_lines_sent) + " 段（" + megabytes(report.live_bytes_sent) + "）" : "")
                  << (report.live_stamps_sent ? "；录制中的时间戳 " + std::to_string(report.live_stamps_sent) + " 个" : "")
                  << "\n中心所存本站审计链到第 " << report.central_head.seq << " 条"
                  << (report.central_head.seq ? "（" + report.central_head.hash.substr(0, 16) + "…）" : "") << "\n";
        for (const auto& [number, holder] : report.handed_away)
          std::cout << "任务 " << number << " 已由中心移交工作站 " << holder << "：本站不再送它的文书，中心以该站送来的为准；请在该站继续办理\n";
      }
      return {};
    });
  });
}

}  // namespace netsample::app
