// netsample serve: the HTTP service over the data directory until SIGTERM or Ctrl+C, which let the requests
// in flight finish.
#include <signal.h>

#include <iostream>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "netsample/server/server.h"

namespace netsample::app {

void add_serve_command(CLI::App& app, Context& context, int& exit_code) {
  static server::ServerOptions options;
  static std::string tls_cert, tls_key;
  static int grace_s = 10;
  static int background_s = 60;
  static int stamp_s = 3600;
  static int sync_s = 30;
  static std::string token_file;
  CLI::App* serve = app.add_subcommand("serve", "HTTP 服务：各角色通过网页与接口办理（接口说明 /api/openapi.json）；SIGTERM 或 Ctrl+C 停止");
  serve->add_option("--listen", options.listen, "监听地址 主机:端口")->capture_default_str();
  serve->add_option("--replay-listen", options.replay_listen,
                    "网页回放的监听地址 主机:端口（另一个源：回放的网页脚本接触不到登录）；默认同一主机的下一个端口；off 不提供回放");
  serve->add_option("--tls-cert", tls_cert, "TLS 证书（PEM）；与 --tls-key 同时给出时使用 HTTPS");
  serve->add_option("--tls-key", tls_key, "TLS 私钥（PEM）");
  serve->add_option("--threads", options.threads, "工作线程数（默认每核一个，至少 2 个）");
  serve->add_option("--grace", grace_s, "停止时等待进行中的请求的秒数")->capture_default_str();
  serve->add_option("--tsa", options.tsa, "RFC 3161 时间戳服务地址，可多个：为经服务导入的拆封视频和抓取的网页盖时间戳，定时为审计链头盖章");
  serve->add_option("--trust", options.tsa_trust, "校验时间戳用的 CA 证书（PEM）；默认 /etc/netsample/tsa-trust.pem，否则系统 CA");
  serve->add_option("--ntp", options.ntp, "NTP 服务器 主机[:端口]，可多个：经服务抓取网页前网络校时");
  serve->add_option("--background", background_s, "每隔多少秒送达到期的通知、查询到期的运单；0 表示不做（另有 notices deliver / track poll 在运行时）")
      ->capture_default_str()
      ->check(CLI::Range(0, 86400));
  serve->add_option("--audit-stamp-interval", stamp_s, "有 --tsa 时，每隔多少秒为（有新记录的）审计链头盖时间戳；失败的在下一轮后台工作时重试")
      ->capture_default_str()
      ->check(CLI::Range(60, 7 * 86400));
  serve->add_option("--central", options.central,
                    "工作站：每隔 --sync-interval 秒把中心尚未收到的证据和审计记录发往此中心（令牌取自 --token-file 或 NETSAMPLE_STATION_TOKEN）");
  serve->add_option("--token-file", token_file, "工作站令牌文件（chmod 600）");
  serve->add_option("--central-ca", options.central_ca, "校验中心 TLS 证书的额外 CA（PEM）");
  serve->add_option("--sync-interval", sync_s, "工作站同步到中心的间隔秒数")->capture_default_str()->check(CLI::Range(1, 86400));
  serve->callback([&] {
    exit_code = run_command(context, [&]() -> Status {
      options.tls_cert = tls_cert;
      options.tls_key = tls_key;
      options.background_interval = std::chrono::seconds(background_s);
      options.audit_stamp_interval = std::chrono::seconds(stamp_s);
      options.sync_interval = std::chrono::seconds(sync_s);
      if (!options.central.empty()) {
        NETSAMPLE_ASSIGN(options.station_token, station_token(token_file));
        if (options.station_token.empty())
          return make_error(ErrorCode::missing_field, "token_file", "--central 需要工作站令牌：--token-file 文件，或环境变量 NETSAMPLE_STATION_TOKEN");
        while (!options.central.empty() && options.central.back() == '/') options.central.pop_back();
      }
      // The signals are taken by this thread alone: the server's threads start with them blocked.
      sigset_t stop_signals;
      sigemptyset(&stop_signals);
      sigaddset(&stop_signals, SIGTERM);
      sigaddset(&stop_signals, SIGINT);
      pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
      signal(SIGPIPE, SIG_IGN);
      // Every thread opens the same database and evidence store (the programs it starts: Context::open).
      options.store = context.store_options();
      NETSAMPLE_ASSIGN(std::unique_ptr<server::Server> running, server::Server::start(context.data_dir, options));
      std::cerr << "netsample serve: " << running->base_url() << "（数据目录 " << context.data_dir.string() << "）";
      if (running->replay_port()) std::cerr << "，网页回放在端口 " << running->replay_port();
      std::cerr << "\n" << std::flush;
      int received = 0;
      sigwait(&stop_signals, &received);
      std::cerr << "netsample serve: 收到 " << (received == SIGTERM ? "SIGTERM" : "SIGINT") << "，等待进行中的请求完成后停止\n" << std::flush;
      running->stop(std::chrono::seconds(grace_s));
      return {};
    });
  });
}

}  // namespace netsample::app
