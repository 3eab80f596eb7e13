#include "purchase_view.h"

#include <iostream>

namespace netsample::app {

namespace fs = std::filesystem;

void print_session(const purchase::SessionView& s, const std::string& program) {
  const char* state = s.state == purchase::PurchaseState::complete ? "完整" : s.state == purchase::PurchaseState::incomplete ? "不完整" : "录制中";
  std::cout << "任务 " << s.case_number << " 第 " << s.seq << " 次买样：" << state << "\n"
            << "  开始 " << format_beijing(s.started) << "（" << s.started_by << "）";
  if (s.finished) std::cout << "，结束 " << format_beijing(*s.finished);
  std::cout << "\n  录像 " << s.recording_dir.string() << "\n";
  if (!s.manifest_sha256.empty()) std::cout << "  清单 SHA-256 " << s.manifest_sha256 << "\n";
  if (s.environment.is_object()) {
    std::cout << "  取证环境：" << (s.environment.value("clean", false) ? "未发现异常" : "有警告（purchase show --json 可见详情）") << "\n";
    for (const auto& f : s.environment.value("findings", nlohmann::json::array()))
      if (f.value("level", "") == "warning") std::cout << "    ⚠ " << f.value("title", "") << "：" << f.value("note", "") << "\n";
  }
  if (s.environment_acceptance.is_object())
    std::cout << "    组织人员 " << s.environment_acceptance.value("by", "") << " 已接受（" << s.environment_acceptance.value("at", "")
              << "）：" << s.environment_acceptance.value("reason", "") << "\n";
  std::cout << "  第三十五条步骤（" << (purchase::purchase_steps().size() - s.missing_steps().size()) << "/" << purchase::purchase_steps().size() << "）：\n";
  for (const auto& spec : purchase::purchase_steps()) {
    const purchase::StepRecord* step = s.last(spec.id);
    std::cout << "    " << (step ? "✓ " : "✗ ") << spec.label << "（" << spec.id << "）";
    if (step) {
      std::cout << "  " << format_beijing(step->at) << "  第 " << step->frame << " 帧  静帧 " << (s.recording_dir / step->still).string();
      for (const auto& [key, value] : step->fields.items())
        if (key != "ntp") std::cout << "\n        " << key << "：" << (value.is_string() ? value.get<std::string>() : value.dump());
    } else {
      std::cout << "  未标记";
    }
    std::cout << "\n";
  }
  if (s.verify.is_object())
    std::cout << "  录像校验：" << (s.verify.value("ok", false) ? "通过" : "不通过") << "，连续 " << (s.verify.value("continuous", false) ? "是" : "否")
              << "，时间戳 " << (s.verify.value("timestamp_token_ok", false) ? "有效" : "无效或缺失") << "，帧 " << s.verify.value("frames", 0)
              << "，时长 " << s.verify.value("duration_s", 0.0) << " 秒\n";
  for (const auto& p : s.problems)
    std::cout << "  " << (p.value("level", "") == "warning" ? "注意" : "问题") << "：" << p.value("text", "") << "\n";
  if (s.state == purchase::PurchaseState::recording) std::cout << "  结束：" << program << " purchase finish --case " << s.case_number << "\n";
  else std::cout << "  复核录像：" << program << " verify " << s.recording_dir.string() << "\n";
}

}  // namespace netsample::app
