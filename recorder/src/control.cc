#include "netsample/recorder/control.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "netsample/core/sha256.h"

namespace netsample::recorder {
namespace fs = std::filesystem;

namespace {

Result<std::pair<sockaddr_un, socklen_t>> address_of(const fs::path& dir) {
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(dir, ec);
  if (ec) return make_error(ErrorCode::not_found, "DIR", "录像目录无效：" + dir.string());
  const std::string name = "netsample-recorder-" + sha256_hex(canonical.string()).substr(0, 32);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path + 1, name.data(), name.size());  // sun_path[0] = 0: the abstract namespace
  return std::make_pair(address, static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size()));
}

// Reads one line (the request or the answer), at most 64 KiB, within `timeout_ms`.
Result<std::string> read_line(int fd, int timeout_ms) {
  std::string line;
  char buffer[4096];
  while (line.find('\n') == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return make_error(ErrorCode::network, "control", "录制程序没有及时应答");
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    line.append(buffer, static_cast<size_t>(n));
    if (line.size() > 65536) return make_error(ErrorCode::invalid_input, "control", "控制消息过长");
  }
  return line.substr(0, line.find('\n'));
}

}  // namespace

ControlServer::ControlServer(UniqueFd listener, Handler handler) : listener_(std::move(listener)), handler_(std::move(handler)) {
  thread_ = std::thread([this] { serve(); });
}

ControlServer::~ControlServer() {
  stopping_ = true;
  thread_.join();
}

Result<std::unique_ptr<ControlServer>> ControlServer::start(const fs::path& dir, Handler handler) {
  NETSAMPLE_ASSIGN(auto address, address_of(dir));
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return io_error(dir, "无法建立控制通道");
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address.first), address.second) != 0)
    return make_error(ErrorCode::duplicate, "--out", "已有一个录制程序在写这个目录：" + dir.string());
  if (::listen(fd.get(), 8) != 0) return io_error(dir, "无法监听控制通道");
  return std::unique_ptr<ControlServer>(new ControlServer(std::move(fd), std::move(handler)));
}

void ControlServer::serve() {
  while (!stopping_) {
    pollfd p{listener_.get(), POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!client.valid()) continue;
    // An abstract socket has no file permissions: only this user (or root) may mark, finish or drive the browser.
    ucred peer{};
    socklen_t peer_size = sizeof peer;
    if (::getsockopt(client.get(), SOL_SOCKET, SO_PEERCRED, &peer, &peer_size) != 0 || (peer.uid != ::geteuid() && peer.uid != 0)) {
      const nlohmann::json refused = {{"ok", false}, {"error", error_to_json(make_error(ErrorCode::forbidden, "control", "只有运行录制程序的同一系统用户可以控制它"))}};
      (void)write_all(client.get(), refused.dump() + "\n", "control");
      continue;
    }
    auto line = read_line(client.get(), 2000);
    nlohmann::json answer;
    Result<nlohmann::json> outcome = make_error(ErrorCode::internal, "control", "");
    if (!line.ok()) {
      outcome = line.error();
    } else {
      const auto request = nlohmann::json::parse(*line, nullptr, false);
      outcome = request.is_object() ? handler_(request) : Result<nlohmann::json>(make_error(ErrorCode::invalid_input, "control", "控制消息不是 JSON 对象"));
    }
    if (outcome.ok()) {
      answer = outcome->is_object() ? *outcome : nlohmann::json::object();
      answer["ok"] = true;
    } else {
      answer = {{"ok", false}, {"error", error_to_json(outcome.error())}};
    }
    (void)write_all(client.get(), answer.dump() + "\n", "control");
  }
}

Result<nlohmann::json> send_control(const fs::path& dir, const nlohmann::json& request) {
  NETSAMPLE_ASSIGN(auto address, address_of(dir));
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return io_error(dir, "无法建立控制通道");
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address.first), address.second) != 0)
    return make_error(ErrorCode::not_found, "DIR", "没有录制程序正在写这个目录：" + dir.string());
  NETSAMPLE_TRY(write_all(fd.get(), request.dump() + "\n", "control"));
  NETSAMPLE_ASSIGN(std::string line, read_line(fd.get(), 15000));
  auto answer = nlohmann::json::parse(line, nullptr, false);
  if (!answer.is_object()) return make_error(ErrorCode::network, "control", "录制程序的应答无法解析");
  if (!answer.value("ok", false)) return error_from_json(answer.value("error", nlohmann::json()));
  return answer;
}

}  // namespace netsample::recorder
