// netsample export CASE --out FILE.zip: the case's evidence bundle for the receiving agency, with progress.
#include <iostream>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "netsample/bundle/bundle.h"

namespace netsample::app {

void add_export_command(CLI::App& app, Context& context, int& exit_code) {
  static std::string number, out;
  CLI::App* command = app.add_subcommand("export", "导出任务的证据包（ZIP）：录像、时间戳、文书、物流、通知、审看意见、审计记录、证据保全报告；netsample verify 可离线核验");
  command->add_option("CASE", number, "任务编号")->required();
  command->add_option("--out", out, "证据包文件（.zip）")->required();
  command->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
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
