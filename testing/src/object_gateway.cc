#include <sys/socket.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "netsample/core/file_io.h"
#include "netsample/core/http.h"
#include "netsample/testing/loopback.h"
#include "log_text.h"

namespace netsample::loopback {
namespace fs = std::filesystem;
using namespace std::chrono;

namespace {

Status run_checked(const std::vector<std::string>& argv, const std::string& what) {
  NETSAMPLE_ASSIGN(ProgramOutput out, run_program(argv));
  if (out.exit_code != 0)
    return make_error(ErrorCode::not_found, argv[0], what + "失败（需要 Debian 软件包 ceph-mon、ceph-osd、radosgw）：" + out.err + out.out);
  return {};
}

}  // namespace

Result<std::unique_ptr<ObjectGateway>> ObjectGateway::start(const fs::path& work_dir, std::uint64_t memory_bytes) {
  std::unique_ptr<ObjectGateway> gateway(new ObjectGateway());
  const fs::path dir = work_dir / "ceph";
  gateway->dir_ = dir;
  std::error_code ec;
  fs::create_directories(dir / "mon", ec);
  fs::create_directories(dir / "osd", ec);
  fs::create_directories(dir / "run", ec);
  if (ec) return make_error(ErrorCode::io, dir.string(), "无法创建目录：" + ec.message());
  NETSAMPLE_ASSIGN(const int monitor_port, free_loopback_port(SOCK_STREAM));
  NETSAMPLE_ASSIGN(gateway->port_, free_loopback_port(SOCK_STREAM));
  NETSAMPLE_ASSIGN(const std::string fsid, read_file("/proc/sys/kernel/random/uuid"));
  const std::string monitor = "127.0.0.1:" + std::to_string(monitor_port);
  const fs::path conf = dir / "ceph.conf";
  // auth none needs the crc messenger modes, or the gateway fails to fetch the monitor's configuration.
  NETSAMPLE_TRY(write_file_atomic(conf,
      "[global]\nfsid = " + fsid.substr(0, 36) + "\nmon host = " + monitor + "\npublic addr = 127.0.0.1\n"
      "auth cluster required = none\nauth service required = none\nauth client required = none\n"
      "ms_mon_client_mode = crc\nms_client_mode = crc\nms_cluster_mode = crc\nms_service_mode = crc\n"
      "osd pool default size = 1\nosd pool default min size = 1\nosd pool default pg num = 8\n"
      "mon allow pool size one = true\nosd objectstore = memstore\nmemstore device bytes = " + std::to_string(memory_bytes) + "\n"
      "run dir = " + (dir / "run").string() + "\nadmin socket = " + (dir / "run").string() + "/$name.asok\n"
      "log file = " + dir.string() + "/$name.log\nmon data = " + (dir / "mon").string() + "\n"
      "osd data = " + (dir / "osd").string() + "\n"
      "[client.rgw]\nrgw frontends = beast endpoint=127.0.0.1:" + std::to_string(gateway->port_) + "\n"));
  const std::string c = conf.string();
  NETSAMPLE_TRY(run_checked({"/usr/bin/monmaptool", "--create", "--add", "a", monitor, "--fsid", fsid.substr(0, 36),
                             (dir / "monmap").string()}, "建立监视器地图（monmaptool）"));
  NETSAMPLE_TRY(run_checked({"/usr/bin/ceph-mon", "-c", c, "-i", "a", "--mkfs", "--monmap", (dir / "monmap").string()},
                            "初始化监视器（ceph-mon --mkfs）"));
  gateway->monitor_ = std::make_unique<ChildProcess>(std::vector<std::string>{"ceph-mon", "-f", "-c", c, "-i", "a"}, dir / "mon.out");
  NETSAMPLE_TRY(run_checked({"/usr/bin/ceph", "-c", c, "--connect-timeout", "20", "osd", "create"}, "登记存储进程（ceph osd create）"));
  NETSAMPLE_TRY(run_checked({"/usr/bin/ceph-osd", "-c", c, "-i", "0", "--mkfs"}, "初始化存储进程（ceph-osd --mkfs）"));
  gateway->storage_daemon_ = std::make_unique<ChildProcess>(std::vector<std::string>{"ceph-osd", "-f", "-c", c, "-i", "0"}, dir / "osd.out");
  gateway->gateway_ = std::make_unique<ChildProcess>(std::vector<std::string>{"radosgw", "-f", "-c", c, "-n", "client.rgw"}, dir / "rgw.out");

  // Ready when the gateway answers; its first start creates its pools (about 10 s).
  HttpClientOptions options;
  options.retry.max_attempts = 1;
  const HttpClient http(options);
  const auto deadline = steady_clock::now() + seconds(60);
  for (;;) {
    HttpRequest probe;
    probe.url = gateway->endpoint() + "/";
    probe.timeout = milliseconds(2000);
    if (auto answer = http.send(probe); answer.ok() && answer->status == 200) break;
    if (!gateway->gateway_->running() || steady_clock::now() > deadline)
      return make_error(ErrorCode::not_found, "radosgw", "Ceph 的 RADOS 网关没有启动：" + log_text(dir / "client.rgw.log", 1500));
    std::this_thread::sleep_for(milliseconds(200));
  }
  // A user whose keys the gateway makes (no secret on any command line).
  NETSAMPLE_ASSIGN(ProgramOutput user, gateway->admin({"user", "create", "--uid=netsample-test", "--display-name=netsample tests"}));
  if (user.exit_code != 0) return make_error(ErrorCode::not_found, "radosgw-admin", "无法建立网关用户：" + user.err);
  const auto parsed = nlohmann::json::parse(user.out, nullptr, false);
  if (parsed.is_discarded() || !parsed.contains("keys") || parsed["keys"].empty())
    return make_error(ErrorCode::internal, "radosgw-admin", "网关用户的回答里没有密钥：" + user.out);
  gateway->access_key_ = parsed["keys"][0].value("access_key", "");
  gateway->secret_key_ = parsed["keys"][0].value("secret_key", "");
  return gateway;
}

Result<ProgramOutput> ObjectGateway::admin(std::vector<std::string> arguments) const {
  std::vector<std::string> argv{"/usr/bin/radosgw-admin", "-c", (dir_ / "ceph.conf").string()};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return run_program(argv);
}

ObjectGateway::~ObjectGateway() {
  // The gateway first, the monitor last: each stops before what it depends on.
  gateway_.reset();
  storage_daemon_.reset();
  monitor_.reset();
}

}  // namespace netsample::loopback
