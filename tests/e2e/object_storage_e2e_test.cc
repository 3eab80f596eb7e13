// The demo as the centre keeps it: the database in PostgreSQL 15 and the evidence in S3-compatible object storage
// (both real, started here: Ceph's RADOS gateway with its bucket locked for six years, Art 47). Every piece of evidence
// is an object, the data directory keeps neither database nor witness nor evidence, and the case still verifies,
// exports and verifies from its bundle, and is served; a forged object is named.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <csignal>
#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>

#include "netsample/core/file_io.h"
#include "netsample/core/http.h"
#include "netsample/core/process.h"
#include "netsample/core/sha256.h"
#include "netsample/store/s3.h"
#include "netsample/store/store.h"
#include "netsample/testing/loopback.h"
#include "testing.h"

namespace netsample {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::ProcessResult;

TEST(DemoOnTheCentresStorage, RowsInPostgresqlEvidenceInTheLockedBucketAndTheCaseVerifiesFromThere) {
  testing::TempDir dir;
  auto gateway = loopback::ObjectGateway::start(dir.path());
  ASSERT_TRUE(gateway.ok()) << gateway.error().message;
  auto postgres = loopback::PostgresServer::start();
  ASSERT_TRUE(postgres.ok()) << postgres.error().message;
  ASSERT_TRUE((*postgres)->create_database("centre").ok());
  // The database's URL (no password in it) reaches every command and the service through the environment.
  ::setenv("NETSAMPLE_DATABASE", (*postgres)->url("centre").c_str(), 1);
  SystemClock clock;
  const store::S3Location where{(*gateway)->endpoint(), "demo-evidence", "", "us-east-1", {}};
  const store::S3Credentials keys{(*gateway)->access_key(), (*gateway)->secret_key()};
  const store::S3Client bucket(where, keys, clock);
  // The keys reach netsample through its environment, never its command line.
  ::setenv("NETSAMPLE_S3_ACCESS_KEY", keys.access_key.c_str(), 1);
  ::setenv("NETSAMPLE_S3_SECRET_KEY", keys.secret_key.c_str(), 1);

  const fs::path data = dir / "data";
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {NETSAMPLE_BIN, "--data", data.string()});
    return testing::run_process(args);
  };
  const ProcessResult init = run({"--evidence", "s3://demo-evidence?endpoint=" + (*gateway)->endpoint(), "storage", "init"});
  ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
  EXPECT_NE(init.out.find("对象锁定（COMPLIANCE）2193 天（不短于 6 年"), std::string::npos) << init.out;
  auto days = bucket.lock_days();
  ASSERT_TRUE(days.ok());
  EXPECT_EQ(days->value_or(0), 2193);

  // Later commands find the bucket by themselves (the data directory remembers it).
  const ProcessResult demo = run({"demo"});
  ASSERT_EQ(demo.exit_code, 0) << demo.out << demo.err;
  const json info = json::parse(run({"info", "--json"}).out, nullptr, false);
  ASSERT_TRUE(info.is_object()) << run({"info"}).err;
  EXPECT_EQ(info["evidence_store"]["location"].get<std::string>().rfind("s3://demo-evidence/", 0), 0u) << info.dump(2);
  EXPECT_TRUE(info["evidence_store"]["retention_locked"].get<bool>());

  const json items = json::parse(run({"evidence", "list", "--json"}).out, nullptr, false);
  ASSERT_TRUE(items.is_array() && items.size() > 10) << items.dump();
  for (const auto& item : items) {
    auto size = bucket.object_size("sha256/" + item["sha256"].get<std::string>());
    ASSERT_TRUE(size.ok());
    EXPECT_EQ(size->value_or(0), item["size"].get<std::uint64_t>()) << item.dump();
  }
  std::error_code ec;
  EXPECT_TRUE(!fs::exists(data / "evidence" / "sha256", ec) || fs::is_empty(data / "evidence" / "sha256", ec))
      << "no evidence kept in the local folder";
  // Nor the database, its witness or where the evidence is: rows of PostgreSQL (several instances share them).
  EXPECT_EQ(info["database"].get<std::string>().rfind("postgresql://", 0), 0u) << info.dump(2);
  EXPECT_EQ(info["schema"], info["schema_supported"]);
  for (const char* file : {"netsample.db", "audit-head.json", "storage.json"}) EXPECT_FALSE(fs::exists(data / file)) << file;

  const ProcessResult verified = run({"evidence", "verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_EQ(run({"audit", "verify"}).exit_code, 0);

  // The case's bundle is made from the objects and verifies offline.
  const std::string number = items[0]["case"];
  const fs::path bundle = dir / "bundle.zip";
  const ProcessResult exported = run({"export", number, "--out", bundle.string(), "--trust", (data / "tsa-trust.pem").string()});
  ASSERT_EQ(exported.exit_code, 0) << exported.out << exported.err;
  const ProcessResult bundle_ok = run({"verify", bundle.string(), "--trust", (data / "tsa-trust.pem").string()});
  EXPECT_EQ(bundle_ok.exit_code, 0) << bundle_ok.out << bundle_ok.err;

  // The service sends evidence from the bucket: whole (checked against its hash here) and by ranges across its blocks.
  const json token = json::parse(run({"token", "create", "--person", "CQ-O-001", "--expires", "1", "--json"}).out, nullptr, false);
  ASSERT_TRUE(token.is_object() && token.contains("token")) << token.dump();
  auto port = loopback::free_loopback_port(SOCK_STREAM);
  ASSERT_TRUE(port.ok());
  const std::string base = "http://127.0.0.1:" + std::to_string(*port);
  ChildProcess service({NETSAMPLE_BIN, "--data", data.string(), "serve", "--listen", "127.0.0.1:" + std::to_string(*port), "--replay-listen", "off"},
                       dir / "serve.log");
  HttpClient http;
  const Status up = loopback::wait_until_serving(base, dir / "serve.log");
  ASSERT_TRUE(up.ok()) << up.error().message;
  json largest = items[0];
  for (const auto& item : items)
    if (item["size"].get<std::uint64_t>() > largest["size"].get<std::uint64_t>()) largest = item;
  ASSERT_GT(largest["size"].get<std::uint64_t>(), 1u << 20) << "a recording, read in more than one block";
  HttpRequest get;
  get.url = base + "/api/evidence/" + std::to_string(largest["id"].get<std::int64_t>());
  get.headers = {{"Authorization", "Bearer " + token["token"].get<std::string>()}};
  auto whole = http.send(get);
  ASSERT_TRUE(whole.ok());
  ASSERT_EQ(whole->status, 200) << whole->body.substr(0, 300);
  EXPECT_EQ(sha256_hex(whole->body), largest["sha256"]);
  get.headers.emplace_back("Range", "bytes=1048000-1049999");
  auto part = http.send(get);
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(part->status, 206);
  EXPECT_TRUE(part->body == whole->body.substr(1048000, 2000));
  service.signal(SIGTERM);
  service.wait_for(std::chrono::seconds(10));

  // Someone with the keys writes other bytes under one object's name (a new version): verify names that item.
  const std::string victim = items[0]["sha256"];
  auto forged = bucket.put_object("sha256/" + victim, "forged bytes", false);
  ASSERT_TRUE(forged.ok());
  ASSERT_EQ(forged->status, 200);
  const ProcessResult caught = run({"evidence", "verify"});
  EXPECT_EQ(caught.exit_code, 4) << caught.out;
  EXPECT_NE(caught.out.find(victim), std::string::npos) << caught.out;
}

}  // namespace
}  // namespace netsample
