// The other terminals' side of a purchase recording: `purchase mark` and `purchase finish` over the
// recorder's control channel. No FFmpeg here: netsample links this, netsample-recorder records.
#include <thread>

#include "netsample/purchase/recording.h"
#include "netsample/recorder/control.h"

namespace netsample::purchase {

using nlohmann::json;

Result<SessionView> recording_session(PurchaseSessions& sessions, const std::string& case_number) {
  NETSAMPLE_ASSIGN(auto recording, sessions.recording(case_number.empty() ? std::nullopt : std::optional(case_number)));
  if (recording.empty())
    return make_error(ErrorCode::not_found, "case",
                      case_number.empty() ? "没有正在录制的买样（先 purchase start --case 任务编号）" : "任务 " + case_number + " 没有正在录制的买样");
  if (recording.size() > 1) {
    std::string list;
    for (const auto& s : recording) list += (list.empty() ? "" : "、") + s.case_number;
    return make_error(ErrorCode::invalid_input, "case", "有多个买样正在录制（" + list + "），请用 --case 指明任务");
  }
  return recording.front();
}

Result<json> mark_recording_step(PurchaseSessions& sessions, const std::string& case_number, const std::string& step, const json& fields,
                                 const std::string& note, const std::string& actor) {
  NETSAMPLE_ASSIGN(SessionView session, recording_session(sessions, case_number));
  // Checked here too, so a typo is answered without touching the recording (the rest may come from the page).
  NETSAMPLE_TRY(status_of(sessions.check_step(session.id, step, fields, false)));
  json request = {{"command", "purchase_mark"}, {"step", step}, {"fields", fields}, {"as", actor}};
  if (!note.empty()) request["note"] = note;
  auto answer = recorder::send_control(session.recording_dir, request);
  if (!answer.ok() && answer.error().code == ErrorCode::not_found && answer.error().field == "DIR")
    return make_error(ErrorCode::not_found, "purchase", "任务 " + session.case_number + " 的录制程序没有应答（" + answer.error().message +
                                                             "）；用 purchase finish 结束这次买样");
  if (!answer.ok()) return answer.error();  // refused by the recording session, with its field and article
  json marked = (*answer)["step"];
  marked["session"] = session.id;
  return marked;
}

Result<json> read_step_from_page(PurchaseSessions& sessions, const std::string& case_number, const std::string& step) {
  NETSAMPLE_ASSIGN(SessionView session, recording_session(sessions, case_number));
  NETSAMPLE_TRY(status_of(check_step_fields(step, json::object(), false)));  // a step that exists
  NETSAMPLE_ASSIGN(json answer, recorder::send_control(session.recording_dir, {{"command", "read_page"}, {"step", step}}));
  answer.erase("ok");
  return answer;
}

Result<SessionView> finish_recording(PurchaseSessions& sessions, const std::string& case_number, std::chrono::seconds wait,
                                     const std::function<void()>& accepted) {
  NETSAMPLE_ASSIGN(SessionView session, recording_session(sessions, case_number));
  auto answer = recorder::send_control(session.recording_dir, {{"command", "finish"}});
  // The recorder is gone (crash, machine restarted): the session cannot be continued, only closed.
  if (!answer.ok()) return sessions.abandon(session.id, "录制程序已不在运行，录像没有封存");
  accepted();
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (session.state == PurchaseState::recording) {
    if (std::chrono::steady_clock::now() > deadline)
      return make_error(ErrorCode::internal, "purchase", std::to_string(wait.count()) + " 秒内录制程序没有完成封存；稍后用 purchase show 查看");
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    NETSAMPLE_ASSIGN(session, sessions.get(session.id));
  }
  return session;
}

}  // namespace netsample::purchase
