// `netsample verify DIR`: the reviewer's check of a recording (recorder/verify.h). Needs no FFmpeg: the
// container's frame times are read from its boxes directly.
#include "commands.h"
#include "netsample/bundle/bundle.h"
#include "netsample/unboxing/video.h"

namespace netsample::app {
void add_verify_command(CLI::App& app, Context& context, int& exit_code) {
  auto verify_dir = std::make_shared<std::string>();
  auto trust = std::make_shared<std::string>();
  CLI::App* verify = app.add_subcommand("verify", "校验一段录像（片段哈希与哈希链、清单、可信时间戳、逐帧时间连续性、网络校时）或导入的拆封视频（哈希、时间戳、连续性）；全部通过时退出码为 0");
  verify->add_option("DIR", *verify_dir, "录像目录，或 netsample export 导出的证据包（.zip，无需数据库与网络）")->required();
  verify->add_option("--trust", *trust, "时间戳服务的 CA 证书（PEM）；默认 /etc/netsample/tsa-trust.pem，否则系统 CA（数据目录里的证书只在这里指明时才用）");
  verify->callback([&context, &exit_code, verify_dir, trust] {
    // A case's evidence bundle, checked from the file alone (on the receiving agency's machine).
    if (std::filesystem::is_regular_file(*verify_dir)) {
      auto checked = bundle::verify_bundle(*verify_dir, *trust);
      if (!checked.ok()) {
        exit_code = report(context, checked.error());
        return;
      }
      if (context.json) {
        print_json(checked->to_json());
      } else {
        std::cout << "证据包 " << *verify_dir << "（任务 " << checked->case_number << "，导出于 " << checked->exported << "）\n";
        for (const auto& c : checked->checks) std::cout << (c.ok ? "  ✓ " : "  ✗ ") << c.item << "：" << c.text << "\n";
        std::cout << "时间戳令牌核验所用证书：" << checked->trust_source << "\n"
                  << (checked->ok ? "结论：全部通过\n" : "结论：未通过，共 " + std::to_string(checked->problems.size()) + " 处不符\n");
      }
      exit_code = checked->ok ? 0 : exit_code_for(ErrorCode::integrity);
      return;
    }
    // A recording (the recorder's journal) or an imported unboxing video (Art 36: its own import.json).
    const runtime::TsaTrust trusted = runtime::tsa_trust(context.data_dir, *trust);
    auto check = unboxing::verify_recording_dir(*verify_dir, trusted.file);
    if (!check.ok()) {
      exit_code = report(context, check.error());
      return;
    }
    if (context.json) {
      nlohmann::json out = check->report;
      out["trust"] = trusted.to_json();
      print_json(out);
    } else {
      std::cout << (check->imported ? "导入的拆封视频 " : "录像 ") << *verify_dir << "\n" << check->text;
      std::cout << "时间戳令牌核验所用证书：" << trusted.source << "\n";
      for (const auto& note : trusted.notes) std::cout << "  ! " << note << "\n";
    }
    exit_code = check->ok ? 0 : exit_code_for(ErrorCode::integrity);
  });
}

}  // namespace netsample::app
