// netsample account / token: sign-ins for the service. Secrets are printed once, on stdout only, and never
// taken on the command line (where `ps` and shell history would keep them).
#include <iostream>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "netsample/accounts/accounts.h"

namespace netsample::app {
namespace {

std::string login_of(const std::string& person, const std::string& party) { return party.empty() ? person : "party:" + party; }

void print_issued(const Context& context, const accounts::Issued& issued, const char* what) {
  if (context.json) {
    nlohmann::json out = issued.account.to_json();
    out[what] = issued.secret;
    out["expires"] = issued.expires ? nlohmann::json(format_iso8601_beijing(*issued.expires)) : nlohmann::json(nullptr);
    print_json(out);
    return;
  }
  std::cout << issued.account.login() << (issued.account.admin ? "（管理员）" : "") << "\n"
            << (std::string(what) == "password" ? "初始密码" : "API 令牌") << "（只显示这一次，请妥善转交）：" << issued.secret << "\n";
  if (std::string(what) == "token")
    std::cout << "有效期至：" << (issued.expires ? format_beijing(*issued.expires) : std::string("撤销前一直有效")) << "\n"
              << "使用：Authorization: Bearer " << issued.secret.substr(0, 8) << "…\n";
}

}  // namespace

void add_account_commands(CLI::App& app, Context& context, int& exit_code) {
  CLI::App* account = app.add_subcommand("account", "服务账号：名册人员（按名册角色）或收件方（平台、网络监管部门，只看向其公开的信息，第62条）");
  account->require_subcommand(1);

  static std::string person, party;
  static bool admin = false;
  auto* add = account->add_subcommand("add", "开设账号，打印一次初始密码");
  add->add_option("--person", person, "名册人员编号");
  add->add_option("--party", party, "收件方编号（platform / network_supervision）");
  add->add_flag("--admin", admin, "管理员（管理账号与名册，可查看全部任务）");
  add->require_option(1, 2);
  add->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      if (person.empty() == party.empty()) return make_error(ErrorCode::invalid_input, "person", "须给出 --person 或 --party 之一");
      if (admin && !party.empty()) return make_error(ErrorCode::invalid_input, "admin", "收件方账号不能是管理员");
      accounts::Accounts accounts(context.runtime->store());
      auto issued = party.empty() ? accounts.add_person(person, admin, context.actor) : accounts.add_party(party, context.actor);
      if (!issued.ok()) return issued.error();
      print_issued(context, *issued, "password");
      return {};
    });
  });

  static std::string reset_login;
  auto* reset = account->add_subcommand("reset-password", "重设密码（打印一次新密码；已登录的浏览器会话全部失效）");
  reset->add_option("LOGIN", reset_login, "登录名：名册编号，或 party:收件方编号")->required();
  reset->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      NETSAMPLE_ASSIGN(accounts::Issued issued, accounts::Accounts(context.runtime->store()).reset_password(reset_login, context.actor));
      print_issued(context, issued, "password");
      return {};
    });
  });

  auto* list = account->add_subcommand("list", "列出账号（不显示密码与令牌）");
  list->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      NETSAMPLE_ASSIGN(std::vector<accounts::Account> all, accounts::Accounts(context.runtime->store()).list());
      if (context.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& a : all) out.push_back(a.to_json());
        print_json(out);
        return {};
      }
      for (const auto& a : all)
        std::cout << a.login() << (a.admin ? "  管理员" : "") << (a.disabled ? "  已停用" : "") << "  开设于 " << format_beijing(a.created) << "\n";
      return {};
    });
  });

  CLI::App* token = app.add_subcommand("token", "API 令牌（程序用 Authorization: Bearer 令牌 调用服务）");
  token->require_subcommand(1);
  static std::string token_person, token_party;
  static int expires_days = 0;
  auto* create = token->add_subcommand("create", "为账号生成 API 令牌，打印一次");
  create->add_option("--person", token_person, "名册人员编号");
  create->add_option("--party", token_party, "收件方编号");
  create->add_option("--expires", expires_days, "有效天数（不给则撤销前一直有效）")->check(CLI::Range(1, 3660));
  create->require_option(1, 2);
  create->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      if (token_person.empty() == token_party.empty()) return make_error(ErrorCode::invalid_input, "person", "须给出 --person 或 --party 之一");
      std::optional<int> days;
      if (expires_days > 0) days = expires_days;
      NETSAMPLE_ASSIGN(accounts::Issued issued, accounts::Accounts(context.runtime->store())
                                                    .create_token(login_of(token_person, token_party), days, context.actor));
      print_issued(context, issued, "token");
      return {};
    });
  });
  static std::string revoke_login;
  auto* revoke = token->add_subcommand("revoke", "撤销账号的全部 API 令牌");
  revoke->add_option("LOGIN", revoke_login, "登录名：名册编号，或 party:收件方编号")->required();
  revoke->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      NETSAMPLE_TRY(accounts::Accounts(context.runtime->store()).revoke_tokens(revoke_login, context.actor));
      std::cout << "已撤销 " << revoke_login << " 的全部 API 令牌\n";
      return {};
    });
  });
}

}  // namespace netsample::app
