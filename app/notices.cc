// `netsample notices`: the written notices the lifecycle owes (Art 39, 50, 51, 54, 58, 62, 65, 74), who
// they go to (`notices parties`), their delivery by webhook (`notices deliver`, exactly once from the
// receiver's side) and by registered mail (`mark-posted`, `mark-received`: the receipt date starts the
// objection period, Art 52).
#include <csignal>
#include <thread>

#include "commands.h"
#include "netsample/core/http.h"
#include "netsample/notices/deliveries.h"
#include "netsample/notices/parties.h"
#include "netsample/notices/sender.h"

namespace netsample::app {
namespace {

using nlohmann::json;
using namespace notices;

volatile std::sig_atomic_t stop_requested = 0;

const char* state_label(const std::string& state) {
  if (state == "owed") return "待送达";
  if (state == "sending") return "送达中";
  if (state == "delivered") return "已送达";
  if (state == "dead") return "送达失败（已停止重试）";
  if (state == "unaddressed") return "无法送达：收件方或送达方式缺失";
  if (state == "refused") return "不得送达（未经批准）";
  if (state == "returned") return "退回";
  return "";
}

void print_status(const NoticeStatus& s) {
  std::cout << "#" << s.notice.id << "  " << s.notice.case_number << "  " << s.notice.kind << "（第" << s.notice.article << "条）  " << state_label(s.state) << "\n";
  for (const auto& a : s.addressees) {
    std::cout << "    " << a.role << " → " << (a.party ? a.party->id + " " + a.party->name : "（无）") << "\n";
    for (const auto& d : s.deliveries) {
      if (!a.party || d.party_id != a.party->id) continue;
      std::cout << "      " << d.channel << "  " << d.state << "，" << d.attempts << " 次";
      if (d.state == "delivered") std::cout << "，回执 " << d.receipt.value("status", 0) << " " << d.receipt.value("time", "");
      if (d.channel == "post") std::cout << "，挂号 " << d.receipt.value("registered_number", "") << (d.receipt.contains("received_date") ? "，收到 " + d.receipt["received_date"].get<std::string>() : "");
      if (!d.last_error.empty()) std::cout << "，最近错误：" << d.last_error;
      std::cout << "\n";
    }
  }
  for (const auto& p : s.problems) std::cout << "    ⚠ " << p << "\n";
}

// `notices deliver` ends with this when a delivery is dead or a notice unaddressed: the work ran, a person must act.
constexpr int kExitNeedsAPerson = 5;

// The exit code: 0, or kExitNeedsAPerson.
Result<int> run_deliver(Context& context, bool once, int max_attempts, int first_backoff_s) {
  DeliveryPolicy policy;
  policy.max_attempts = max_attempts;
  policy.first_backoff = std::chrono::seconds(first_backoff_s);
  NETSAMPLE_ASSIGN(std::unique_ptr<Deliveries> deliveries, context.runtime->deliveries(policy));
  NETSAMPLE_ASSIGN(std::optional<MailSettings> mail, load_mail_settings(context.data_dir));
  HttpClientOptions http_options;
  http_options.retry.max_attempts = 1;  // one try per attempt: the deliveries keep the schedule
  HttpClient http(http_options);
  std::signal(SIGINT, [](int) { stop_requested = 1; });
  std::signal(SIGTERM, [](int) { stop_requested = 1; });
  NETSAMPLE_TRY(run_delivery_worker(*deliveries, make_sender(http, mail), context.runtime->clock(), once, [] { return stop_requested != 0; },
                                    [](const std::string& line) { std::cout << line << "\n" << std::flush; }));
  // What is left for a person: a scheduler or an operator watching the exit code sees it.
  NETSAMPLE_ASSIGN(std::vector<NoticeStatus> all, deliveries->statuses());
  int dead = 0, unaddressed = 0;
  for (const auto& s : all) {
    if (s.state == "unaddressed") ++unaddressed;
    for (const auto& d : s.deliveries) dead += d.state == "dead";
  }
  if (dead == 0 && unaddressed == 0) return 0;
  std::cerr << "netsample: 须人工处理：" << dead << " 份送达已停止重试（死信），" << unaddressed
            << " 份通知缺收件方或送达方式（notices list 查看）\n";
  return kExitNeedsAPerson;
}

}  // namespace

void add_notices_commands(CLI::App& app, Context& context, int& exit_code) {
  CLI::App* root = app.add_subcommand("notices", "书面通知（第39、50、51、54、58、62、65、74条）：收件方、送达（webhook、挂号信）、回执");
  root->require_subcommand(1);

  CLI::App* parties = root->add_subcommand("parties", "收件方：电子商务平台、网络监管部门、被抽样经营者、标称生产者、其他地区市场监管部门");
  parties->require_subcommand(1);
  auto file = std::make_shared<std::string>();
  CLI::App* add = parties->add_subcommand("add", "从文件登记或更新收件方（按编号）：{\"parties\": [{\"id\", \"kind\", \"name\", \"webhook\": {\"url\", \"secret\"}, \"email\", \"postal_address\"}]}");
  add->add_option("--file", *file, "收件方 JSON 文件")->required();
  add->callback([&context, &exit_code, file] {
    exit_code = run_command(context, [&]() -> Status {
      NETSAMPLE_ASSIGN(json text, read_json_file(*file));
      NETSAMPLE_ASSIGN(std::vector<Party> list, parse_parties(text));
      NETSAMPLE_ASSIGN(PartyRegistry::Change change, context.runtime->parties().put(list, context.actor));
      if (context.json) print_json({{"added", change.added}, {"updated", change.updated}, {"unchanged", change.unchanged}});
      else std::cout << "收件方：新增 " << change.added << "，更新 " << change.updated << "，未变 " << change.unchanged << "\n";
      return Status{};
    });
  });
  CLI::App* list_parties = parties->add_subcommand("list", "列出收件方及其送达方式（不显示密钥）");
  list_parties->callback([&context, &exit_code] {
    exit_code = run_command(context, [&]() -> Status {
      NETSAMPLE_ASSIGN(std::vector<Party> list, context.runtime->parties().list());
      if (context.json) {
        json out = json::array();
        for (const auto& p : list) out.push_back(p.to_json());
        print_json(out);
        return Status{};
      }
      for (const auto& p : list)
        std::cout << p.id << "  " << p.kind << "  " << p.name << (p.webhook_url.empty() ? "" : "  webhook " + p.webhook_url)
                  << (p.email.empty() ? "" : "  email " + p.email) << (p.postal_address.empty() ? "" : "  邮寄 " + p.postal_address)
                  << (p.reachable() ? "" : "  ⚠ 没有送达方式") << "\n";
      return Status{};
    });
  });

  struct ListFlags {
    std::string state, case_number;
  };
  auto list_flags = std::make_shared<ListFlags>();
  CLI::App* list = root->add_subcommand("list", "每份通知的收件方、送达记录与状态；无法送达的列为错误");
  list->add_option("--state", list_flags->state, "只列此状态：owed、sending、delivered、dead、unaddressed、refused");
  list->add_option("--case", list_flags->case_number, "只列此任务");
  list->callback([&context, &exit_code, list_flags] {
    exit_code = run_command(context, [&]() -> Status {
      // Reads only: the deliveries and documents are made by `notices deliver`.
      NETSAMPLE_ASSIGN(std::unique_ptr<Deliveries> deliveries, context.runtime->deliveries());
      NETSAMPLE_ASSIGN(std::vector<NoticeStatus> all, deliveries->statuses(list_flags->case_number.empty() ? std::nullopt
                                                                                                                     : std::optional(list_flags->case_number)));
      std::erase_if(all, [&](const NoticeStatus& s) { return !list_flags->state.empty() && s.state != list_flags->state; });
      if (context.json) {
        json out = json::array();
        for (const auto& s : all) out.push_back(s.to_json());
        print_json(out);
      } else {
        if (all.empty()) std::cout << "没有通知\n";
        for (const auto& s : all) print_status(s);
      }
      return Status{};
    });
  });

  struct DeliverFlags {
    bool once = false;
    int max_attempts = 6, first_backoff = 60;
  };
  auto deliver_flags = std::make_shared<DeliverFlags>();
  CLI::App* deliver = root->add_subcommand("deliver", "送达到期的通知（webhook 签名、幂等键、失败退避重试；每次尝试由一个送达进程独占）；不加 --once 时直到全部送达或停止重试；"
                                                      "有死信或缺收件方的通知时退出码为 5");
  deliver->add_flag("--once", deliver_flags->once, "只送一轮");
  deliver->add_option("--max-attempts", deliver_flags->max_attempts, "每份送达最多尝试次数，之后停止重试（死信）")->capture_default_str()->check(CLI::Range(1, 100));
  deliver->add_option("--first-backoff", deliver_flags->first_backoff, "第一次失败后等待的秒数（此后每次加倍，带抖动）")->capture_default_str()->check(CLI::Range(0, 86400));
  deliver->callback([&context, &exit_code, deliver_flags] {
    int outcome = 0;
    exit_code = run_command(context, [&]() -> Status {
      NETSAMPLE_ASSIGN(outcome, run_deliver(context, deliver_flags->once, deliver_flags->max_attempts, deliver_flags->first_backoff));
      return Status{};
    });
    if (exit_code == 0) exit_code = outcome;
  });

  struct MarkFlags {
    std::int64_t notice = 0;
    std::string party, number, reason, date;
  };
  auto posted = std::make_shared<MarkFlags>();
  CLI::App* mark_posted = root->add_subcommand("mark-posted", "登记通知已用挂号信寄出（书面送达）");
  mark_posted->add_option("ID", posted->notice, "通知编号")->required();
  mark_posted->add_option("--party", posted->party, "收件方编号")->required();
  mark_posted->add_option("--number", posted->number, "挂号信（EMS）编号")->required();
  mark_posted->callback([&context, &exit_code, posted] {
    exit_code = run_command(context, [&]() -> Status {
      NETSAMPLE_ASSIGN(std::unique_ptr<Deliveries> deliveries, context.runtime->deliveries());
      NETSAMPLE_ASSIGN(Delivery d, deliveries->mark_posted(posted->notice, posted->party, posted->number, context.actor));
      if (context.json) print_json(d.to_json());
      else std::cout << "通知 #" << d.notice_id << " 已登记寄给 " << d.party_id << "，挂号 " << posted->number << "\n";
      return Status{};
    });
  });
  auto returned = std::make_shared<MarkFlags>();
  CLI::App* mark_returned = root->add_subcommand("mark-returned", "登记挂号信被退回；被抽样对象无法联系的，移交执法（第73条）");
  mark_returned->add_option("ID", returned->notice, "通知编号")->required();
  mark_returned->add_option("--party", returned->party, "收件方编号")->required();
  mark_returned->add_option("--reason", returned->reason, "退回原因（如 查无此单位、拒收）")->required();
  mark_returned->callback([&context, &exit_code, returned] {
    exit_code = run_command(context, [&]() -> Status {
      NETSAMPLE_ASSIGN(std::unique_ptr<Deliveries> deliveries, context.runtime->deliveries());
      NETSAMPLE_ASSIGN(Delivery d, deliveries->mark_returned(returned->notice, returned->party, returned->reason, context.actor));
      NETSAMPLE_ASSIGN(std::vector<std::string> handed, deliveries->hand_over_unreachable());
      if (context.json) {
        print_json({{"delivery", d.to_json()}, {"handed_over", handed}});
        return Status{};
      }
      std::cout << "通知 #" << d.notice_id << "：寄给 " << d.party_id << " 的挂号信被退回（" << returned->reason << "）\n";
      for (const auto& c : handed) std::cout << c << "：被抽样对象无法联系，已移交区县局企业监管和执法机构（第73条）\n";
      return Status{};
    });
  });
  auto received = std::make_shared<MarkFlags>();
  CLI::App* mark_received = root->add_subcommand("mark-received", "登记书面通知的收到日期（第52条：异议期自收到之日起算）");
  mark_received->add_option("ID", received->notice, "通知编号")->required();
  mark_received->add_option("--date", received->date, "收到日期 YYYY-MM-DD（以回执为准）")->required();
  mark_received->add_option("--party", received->party, "收件方编号（通知寄给多方时必填）");
  mark_received->callback([&context, &exit_code, received] {
    exit_code = run_command(context, [&]() -> Status {
      NETSAMPLE_ASSIGN(std::unique_ptr<Deliveries> deliveries, context.runtime->deliveries());
      NETSAMPLE_ASSIGN(Delivery d, deliveries->mark_received(received->notice, received->party, received->date, context.actor));
      if (context.json) print_json(d.to_json());
      else std::cout << "通知 #" << d.notice_id << "：" << d.party_id << " 于 " << received->date << " 收到\n";
      return Status{};
    });
  });
}

}  // namespace netsample::app
