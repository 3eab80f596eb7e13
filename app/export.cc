// netsample export CASE --out FILE.zip: the case's evidence bundle for the receiving agency, with progress.
#include <iostream>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "netsample/bundle/bundle.h"

namespace netsample::app {

void add_export_command(CLI::App& app, Context& context, int& exit_code) {
  static std::string number, out, trust;
  static std::vector<std::string> tsa;
  CLI::App* command = app.add_subcommand("export", "导出任务的证据包（ZIP）：录像、时间戳、文书、物流、通知、审看意见、审计记录、证据保全报告；netsample verify 可离线核验");
  command->add_option("CASE", number, "任务编号")->required();
  command->add_option("--out", out, "证据包文件（.zip）")->required();
  command->add_option("--tsa", tsa, "导出前请这些时间戳服务为审计链头盖章（可多个）");
  command->add_option("--trust", trust, "时间戳服务机构的 CA 证书（PEM）：导出时据此核验，并放入证据包（tsa/trust.pem）；默认 /etc/netsample/tsa-trust.pem");
  command->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      if (!trust.empty()) context.runtime->set_tsa_trust(trust);
      // The chain's head stamped as it is exported: the bundle's rows are then anchored by a TSA too.
      if (!tsa.empty()) {
        NETSAMPLE_ASSIGN(auto outcomes, context.runtime->stamp_audit_head(tsa, context.actor));
        for (const auto& o : outcomes)
          if (!o.ok) std::cerr << "netsample: 审计链头未能由 " << o.tsa_url << " 盖章（" << o.error << "）；证据包照常导出\n";
      }
      int shown = -1;
      NETSAMPLE_ASSIGN(bundle::ExportResult result, bundle::export_case(*context.runtime, number, out, context.actor, [&](double done) {
        const int percent = static_cast<int>(done * 100);
        if (!context.json && percent / 10 != shown / 10) {
          shown = percent;
          std::cerr << "\r写入证据包 " << percent << "%" << std::flush;
        }
      }));
      if (!context.json) std::cerr << "\r";
      if (context.json) {
        print_json({{"file", result.file.string()}, {"size", result.size}, {"sha256", result.sha256}, {"files", result.files}});
      } else {
        std::cout << "证据包：" << result.file.string() << "（" << result.files << " 个文件，" << result.size << " 字节）\n"
                  << "SHA-256：" << result.sha256 << "\n"
                  << "核验：" << context.program << " verify " << result.file.string() << "\n";
      }
      return {};
    });
  });
}

}  // namespace netsample::app
