// Loopback stand-ins for the outside world, for the tests, the benchmarks and `netsample demo` — never for
// product code: a screen without a monitor (Xvfb), a network time server (chronyd serving NTP on 127.0.0.1,
// never steering this machine's clock), a Time-Stamping Authority (OpenSSL's own TSA with a CA made on the
// spot), a courier's tracking service, a platform's notice endpoint and a mail server, all on 127.0.0.1.
// Each is started, ready when start() returns, and stopped when its object dies. Nothing leaves loopback.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/core/process.h"

namespace netsample::loopback {

// A free port on 127.0.0.1 for the socket type (SOCK_DGRAM, SOCK_STREAM).
Result<int> free_loopback_port(int socket_type);

// Waits until a `netsample serve` just started answers `base_url`/healthz with 200, for up to 30 s; the error quotes
// the end of its log.
Status wait_until_serving(const std::string& base_url, const std::filesystem::path& log);

class VirtualDisplay {
 public:
  // `number`: a display number of our choosing (tests that must not share theirs); -1: the lowest free one.
  static Result<std::unique_ptr<VirtualDisplay>> start(const std::filesystem::path& work_dir, int width, int height, int number = -1);
  std::string display() const { return ":" + std::to_string(number_); }
  void stop() { server_.reset(); }

 private:
  VirtualDisplay() = default;
  int number_ = -1;
  std::unique_ptr<ChildProcess> server_;
};

class TimeServer {
 public:
  static Result<std::unique_ptr<TimeServer>> start(const std::filesystem::path& work_dir);
  ~TimeServer();
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  TimeServer() = default;
  int port_ = 0;
  int pid_ = -1;
};

// Makes a self-signed CA (name.pem, name.key) in `dir` with the openssl program.
Status make_ca(const std::filesystem::path& dir, const std::string& name, const std::string& common_name, int days = 30);

// How the authority's certificate is made. By default: valid 30 days, naming no revocation service.
struct TsaOptions {
  std::optional<std::chrono::seconds> certificate_life;  // valid from a minute ago until now + this (its CA: 10 years)
  bool revocation = false;  // the certificate names an OCSP responder and a CRL, both answered by this authority
  bool ocsp = true;         // with revocation: false names only the CRL
};

class TimestampAuthority {
 public:
  static Result<std::unique_ptr<TimestampAuthority>> start(const std::filesystem::path& work_dir, TsaOptions options = {});
  // REQUIRES: started with revocation. From now on its OCSP responder and CRL say the certificate is revoked.
  Status revoke_certificate();
  int revocation_requests() const;  // OCSP and CRL requests answered
  ~TimestampAuthority();
  std::string url() const;
  std::filesystem::path ca_file() const;  // what verify must trust
  int requests() const;
  void fail_next(int count);  // the next `count` requests answer HTTP 503 (an authority that is down)

 private:
  struct Server;
  TimestampAuthority();
  std::filesystem::path dir_;
  std::unique_ptr<Server> server_;
};

// A courier's tracking service speaking Kuaidi100's real-time query format (reference/parcel-tracking.md):
// it checks every signature against its own customer and key, and answers each tracking number from a
// script, one answer per query (the last one repeats); a number in the script is an HTTP status (the service
// failing).
class CourierService {
 public:
  static Result<std::unique_ptr<CourierService>> start(std::string customer, std::string key);
  ~CourierService();
  std::string url() const;
  // `phone`: the last 4 digits the courier demands for this number (SF Express); empty: none.
  void script(const std::string& number, std::vector<nlohmann::json> answers, const std::string& phone = "");
  int requests() const;
  int bad_signatures() const;

 private:
  struct Server;
  CourierService();
  std::unique_ptr<Server> server_;
};

// An e-commerce platform's notice endpoint (the demo's and the tests'): checks the X-Netsample-Signature
// (HMAC-SHA256 with its secret) of every POST, fails the first `fail_first` with 503, takes each
// idempotency key once (a repeat is answered 200 and not taken again). `hold(true)` keeps the answer to a
// taken notice waiting, so a sender can be killed before it reads it.
class WebhookReceiver {
 public:
  static Result<std::unique_ptr<WebhookReceiver>> start(std::string secret, int fail_first = 0);
  ~WebhookReceiver();
  std::string url() const;
  int requests() const;
  int bad_signatures() const;
  std::vector<nlohmann::json> taken() const;   // the notices taken, once each
  std::vector<std::string> keys() const;       // the idempotency key of every signed request
  void hold(bool on);
  bool holding() const;                         // a taken notice's answer is waiting now

 private:
  struct Server;
  WebhookReceiver();
  std::unique_ptr<Server> server_;
};

// A mail server that accepts every message on 127.0.0.1 (SMTP without TLS: libcurl's STARTTLS "where
// offered" sends in the clear here) and keeps each as it came, headers and MIME parts.
class MailSink {
 public:
  static Result<std::unique_ptr<MailSink>> start();
  ~MailSink();
  std::string url() const;  // smtp://127.0.0.1:PORT
  std::vector<std::string> messages() const;
  std::vector<std::string> recipients() const;  // RCPT TO, in order

 private:
  struct Server;
  MailSink();
  std::unique_ptr<Server> server_;
};

// Kuaidi100's success answer: its `state` code, the events (time "YYYY-MM-DD HH:MM:SS" Beijing, text; oldest
// first; sent newest first, as Kuaidi100 does by default) and whether it is signed for.
nlohmann::json kuaidi100_answer(int state, const std::vector<std::pair<std::string, std::string>>& events, bool signed_for = false);

// S3-compatible object storage: Ceph's RADOS gateway (Debian's radosgw) over one monitor and one in-memory OSD, auth
// none inside the cluster, on 127.0.0.1 (../shared/reference/object-storage.md). Ready in about 10 s; a user with keys
// the gateway made is created. Everything lives in RAM and in `work_dir`, and dies with the object.
class ObjectGateway {
 public:
  // `memory_bytes`: what the in-memory OSD may hold (object versions under a lock are never freed).
  static Result<std::unique_ptr<ObjectGateway>> start(const std::filesystem::path& work_dir, std::uint64_t memory_bytes = 512 << 20);
  ~ObjectGateway();
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& access_key() const { return access_key_; }
  const std::string& secret_key() const { return secret_key_; }
  // Runs radosgw-admin with the cluster's configuration (the operator's own tool, beside the S3 API).
  Result<ProgramOutput> admin(std::vector<std::string> arguments) const;

 private:
  ObjectGateway() = default;
  std::filesystem::path dir_;
  int port_ = 0;
  std::string access_key_, secret_key_;
  std::unique_ptr<ChildProcess> monitor_, storage_daemon_, gateway_;
};

// PostgreSQL from Debian (postgresql-15): initdb in a temporary folder, the server on a Unix socket only (no TCP),
// fsync off (a test's data). As root it runs as the `postgres` user, as PostgreSQL insists. Stopped with the object.
class PostgresServer {
 public:
  static Result<std::unique_ptr<PostgresServer>> start();
  ~PostgresServer();
  // A fresh database of that name: empty, or a copy of `template_name` (which nobody may be connected to).
  Status create_database(const std::string& name, const std::string& template_name = {}) const;
  // libpq's URL of a database on this server (user netsample, no password: trust on the socket only).
  std::string url(const std::string& database) const;
  // The folder of its socket: with it, another process reaches the same server (the functions below).
  const std::filesystem::path& socket_dir() const { return dir_; }

  // Runs SQL through psql as an operator would, nothing of netsample's in between (no migrations); stops at the
  // first error and names it.
  Status run_sql(const std::string& database, const std::string& sql) const;

  static Status create_database(const std::filesystem::path& socket_dir, const std::string& name, const std::string& template_name);
  static std::string url(const std::filesystem::path& socket_dir, const std::string& database);

 private:
  PostgresServer() = default;
  std::filesystem::path dir_, bin_;
  std::vector<std::string> as_owner_;  // runuser -u postgres -- when we are root
  std::unique_ptr<ChildProcess> server_;
};

}  // namespace netsample::loopback
