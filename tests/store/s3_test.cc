// Evidence in S3-compatible object storage, against Ceph's RADOS gateway started here (one per test binary: it takes
// about 10 s, so this binary runs as one ctest process). Each test uses its own bucket.
#include <sys/stat.h>

#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "netsample/core/http.h"
#include "netsample/core/sha256.h"
#include "netsample/store/s3.h"
#include "netsample/store/store.h"
#include "netsample/testing/loopback.h"
#include "testing.h"

namespace netsample::store {
namespace {

// AWS's published examples (Amazon S3 API reference, "Signature Calculations for the Authorization Header" and
// "Authenticating Requests: Using Query Parameters"): the signing is checked without any server.
const S3Credentials kExampleKeys{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};

TEST(SigV4, MatchesAwsGetObjectExample) {
  SignableRequest get;
  get.method = "GET";
  get.host = "examplebucket.s3.amazonaws.com";
  get.path = "/test.txt";
  get.headers = {{"range", "bytes=0-9"},
                 {"x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
                 {"x-amz-date", "20130524T000000Z"}};
  get.payload_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  EXPECT_EQ(sigv4_authorization(get, kExampleKeys, "us-east-1", "20130524T000000Z"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4, MatchesAwsPresignedUrlExample) {
  SignableRequest get;
  get.method = "GET";
  get.host = "examplebucket.s3.amazonaws.com";
  get.path = "/test.txt";
  const std::string query = sigv4_presigned_query(get, kExampleKeys, "us-east-1", "20130524T000000Z", std::chrono::seconds(86400));
  EXPECT_EQ(query,
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(S3Url, NamesTheFieldAndTheRule) {
  auto ok = parse_s3_url("s3://netsample-evidence/station-7?endpoint=http://127.0.0.1:7480/&region=cn-east-1&credentials=/etc/netsample/s3");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->bucket, "netsample-evidence");
  EXPECT_EQ(ok->prefix, "station-7/");
  EXPECT_EQ(ok->endpoint, "http://127.0.0.1:7480");
  EXPECT_EQ(ok->region, "cn-east-1");
  EXPECT_EQ(ok->credentials_file->string(), "/etc/netsample/s3");

  auto bad_bucket = parse_s3_url("s3://Evidence?endpoint=http://127.0.0.1:7480");
  ASSERT_FALSE(bad_bucket.ok());
  EXPECT_EQ(bad_bucket.error().field, "evidence.bucket");
  auto no_endpoint = parse_s3_url("s3://evidence");
  ASSERT_FALSE(no_endpoint.ok());
  EXPECT_EQ(no_endpoint.error().field, "evidence.endpoint");
  auto secret = parse_s3_url("s3://evidence?endpoint=http://127.0.0.1:7480&secret_key=abc");
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.error().code, ErrorCode::refused_by_rule);
}

TEST(S3Credentials, FileMustBeTheOwnersOnly) {
  testing::TempDir dir;
  const auto file = dir / "s3-keys";
  std::ofstream(file) << "access_key=AK\nsecret_key=SK\n";
  ::chmod(file.c_str(), 0644);
  auto open = s3_credentials(file);
  ASSERT_FALSE(open.ok());
  EXPECT_EQ(open.error().code, ErrorCode::refused_by_rule);
  ::chmod(file.c_str(), 0600);
  auto keys = s3_credentials(file);
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  EXPECT_EQ(keys->access_key, "AK");
  EXPECT_EQ(keys->secret_key, "SK");
}

std::string random_bytes(size_t size, unsigned seed) {
  std::mt19937 random(seed);
  std::string bytes(size, '\0');
  for (auto& c : bytes) c = static_cast<char>(random());
  return bytes;
}

class ObjectStorage : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    auto started = loopback::ObjectGateway::start(dir_->path());
    ASSERT_TRUE(started.ok()) << started.error().message;
    gateway_ = started->release();
  }
  static void TearDownTestSuite() {
    delete gateway_;
    delete dir_;
  }

  S3Location location(const std::string& bucket) const { return S3Location{gateway_->endpoint(), bucket, "", "us-east-1", {}}; }
  S3Credentials keys() const { return {gateway_->access_key(), gateway_->secret_key()}; }

  // A bucket with Object Lock in COMPLIANCE mode for `years`, or a plain one (years 0).
  std::unique_ptr<S3BlobStore> open_store(const std::string& bucket, int years) {
    S3Client client(location(bucket), keys(), clock_);
    if (years > 0) {
      EXPECT_TRUE(client.create_locked_bucket(years).ok());
    } else {
      auto made = client.request("PUT", "");
      EXPECT_TRUE(made.ok() && made->status == 200);
    }
    auto store = S3BlobStore::open(location(bucket), keys(), clock_);
    EXPECT_TRUE(store.ok()) << store.error().message;
    return store.ok() ? std::move(*store) : nullptr;
  }

  SystemClock clock_;
  static testing::TempDir* dir_;
  static loopback::ObjectGateway* gateway_;
};
testing::TempDir* ObjectStorage::dir_ = nullptr;
loopback::ObjectGateway* ObjectStorage::gateway_ = nullptr;

TEST_F(ObjectStorage, LockedBucketKeepsEvidenceSixYearsAndRefusesItsDeletion) {
  auto store = open_store("locked-evidence", kRetentionYears);
  ASSERT_TRUE(store);
  auto info = store->info();
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->retention_locked);
  EXPECT_NE(info->protection.find("管理员"), std::string::npos) << "says a lock does not stop the cluster's operator";

  auto blob = store->put("purchase recording, fragment 1");
  ASSERT_TRUE(blob.ok()) << blob.error().message;
  EXPECT_FALSE(blob->already_present);
  EXPECT_TRUE(*store->contains(blob->sha256));
  EXPECT_EQ(*store->read(blob->sha256), "purchase recording, fragment 1");
  EXPECT_TRUE(store->verify(blob->sha256).ok());
  auto again = store->put("purchase recording, fragment 1");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->already_present);

  // The object carries COMPLIANCE retention until six years from now (Art 47).
  auto versions = store->client().versions(store->key_of(blob->sha256));
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 1u);
  auto held = store->client().retention(store->key_of(blob->sha256), versions->front().version_id);
  ASSERT_TRUE(held.ok() && held->has_value());
  EXPECT_EQ((*held)->first, "COMPLIANCE");
  // ... and not a day less than Art 47's six calendar years (S3's "6 years" are 6 x 365 days: two days short).
  EXPECT_GE((*held)->second, retention_ends(clock_.now()));

  // Neither our remove() nor a direct DELETE of the version gets rid of it.
  Status removed = store->remove(blob->sha256);
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.error().code, ErrorCode::refused_by_rule);
  EXPECT_EQ(removed.error().article, 47);
  auto direct = store->client().request("DELETE", store->key_of(blob->sha256), {{"versionId", versions->front().version_id}});
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(direct->status, 403);
  EXPECT_EQ(*store->read(blob->sha256), "purchase recording, fragment 1");
}

TEST_F(ObjectStorage, ALockOfSixS3YearsIsSaidToBeShorterThanArt47) {
  S3Client client(location("lock-in-years"), keys(), clock_);
  auto made = client.request("PUT", "", {}, {{"x-amz-bucket-object-lock-enabled", "true"}});
  ASSERT_TRUE(made.ok() && made->status == 200);
  auto locked = client.request("PUT", "", {{"object-lock", ""}}, {},
                               "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>"
                               "<Mode>COMPLIANCE</Mode><Years>6</Years></DefaultRetention></Rule></ObjectLockConfiguration>");
  ASSERT_TRUE(locked.ok() && locked->status == 200) << locked->body;
  auto store = S3BlobStore::open(location("lock-in-years"), keys(), clock_);
  ASSERT_TRUE(store.ok());
  auto info = (*store)->info();
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info->retention_locked);
  EXPECT_NE(info->protection.find("2190 天，短于第四十七条"), std::string::npos) << info->protection;
}

TEST_F(ObjectStorage, ServerRefusesABodyThatIsNotTheSignedHash) {
  auto store = open_store("refuses-bodies", kRetentionYears);
  ASSERT_TRUE(store);
  const std::string claimed = sha256_hex("the real fragment");
  auto sent = store->client().request("PUT", store->key_of(claimed), {}, {}, "a different body", claimed);
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent->status, 400) << sent->body;
  EXPECT_FALSE(*store->contains(claimed));

  // And a request signed with another secret is refused.
  S3Client stranger(location("refuses-bodies"), {gateway_->access_key(), "not-the-secret"}, clock_);
  auto refused = stranger.request("GET", "");
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->status, 403);
}

TEST_F(ObjectStorage, ReadsAreVerifiedAgainstTheName) {
  auto store = open_store("verified-reads", kRetentionYears);
  ASSERT_TRUE(store);
  auto blob = store->put("the unboxing video");
  ASSERT_TRUE(blob.ok());
  // Someone with the keys writes other bytes under the blob's name (a new version on a versioned bucket).
  const std::string forged = "a forged video";
  auto overwritten = store->client().request("PUT", store->key_of(blob->sha256), {}, {}, forged);
  ASSERT_TRUE(overwritten.ok());
  ASSERT_EQ(overwritten->status, 200);
  auto read = store->read(blob->sha256);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, ErrorCode::integrity);
  EXPECT_FALSE(store->verify(blob->sha256).ok());
}

TEST_F(ObjectStorage, AMissingBucketOrWrongKeysAreNamed) {
  auto missing = S3BlobStore::open(location("never-made"), keys(), clock_);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().field, "evidence.bucket");
  EXPECT_NE(missing.error().message.find("storage init"), std::string::npos) << missing.error().message;
  ASSERT_TRUE(open_store("wrong-keys", kRetentionYears));
  auto refused = S3BlobStore::open(location("wrong-keys"), {gateway_->access_key(), "not-the-secret"}, clock_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::forbidden);
}

TEST_F(ObjectStorage, UnlockedBucketSaysSoAndLetsRemoveWork) {
  auto store = open_store("plain-bucket", 0);
  ASSERT_TRUE(store);
  auto info = store->info();
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info->retention_locked);
  EXPECT_NE(info->protection.find("没有对象锁定"), std::string::npos);
  auto blob = store->put("a test blob");
  ASSERT_TRUE(blob.ok());
  // Create-once where the bucket allows it: a second write of the key is refused with 412.
  auto second = store->client().request("PUT", store->key_of(blob->sha256), {}, {{"If-None-Match", "*"}}, "a test blob");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->status, 412);
  ASSERT_TRUE(store->remove(blob->sha256).ok());
  EXPECT_FALSE(*store->contains(blob->sha256));
}

TEST_F(ObjectStorage, LargeFileGoesUpInPartsResumesAndIsHashedWhole) {
  auto store = open_store("multipart", kRetentionYears);
  ASSERT_TRUE(store);
  const std::string bytes = random_bytes(S3BlobStore::kPartSize * 2 + 12345, 7);
  const auto file = dir_->path() / "recording.mp4";
  std::ofstream(file, std::ios::binary) << bytes;
  const std::string sha256 = sha256_hex(bytes);
  const std::string key = store->key_of(sha256);

  // A station that died after sending part 1: its upload is still open on the server.
  auto upload = store->client().start_upload(key);
  ASSERT_TRUE(upload.ok()) << upload.error().message;
  ASSERT_TRUE(store->client().upload_part(key, *upload, 1, bytes.substr(0, S3BlobStore::kPartSize)).ok());
  // ... and part 2 with wrong bytes (a part must match the file to be kept).
  ASSERT_TRUE(store->client().upload_part(key, *upload, 2, random_bytes(S3BlobStore::kPartSize, 8)).ok());

  const std::uint64_t sent_before = store->client().object_bytes_sent();
  auto blob = store->put_file(file);
  ASSERT_TRUE(blob.ok()) << blob.error().message;
  EXPECT_EQ(blob->sha256, sha256);
  EXPECT_EQ(blob->size, bytes.size());
  // Parts 2 and 3 went up; part 1 was not sent twice.
  EXPECT_EQ(store->client().object_bytes_sent() - sent_before, bytes.size() - S3BlobStore::kPartSize);
  auto open_after = store->client().open_upload(key);
  ASSERT_TRUE(open_after.ok());
  EXPECT_FALSE(open_after->has_value());

  std::string read_back;
  ASSERT_TRUE(store->read_blocks(sha256, [&](std::string_view block) -> Status {
                      read_back.append(block);
                      return {};
                    }).ok());
  EXPECT_TRUE(read_back == bytes);
  auto again = store->put_file(file);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->already_present);
}

TEST_F(ObjectStorage, PresignedUrlLetsABrowserFetchOneObjectForAWhile) {
  auto store = open_store("presigned", kRetentionYears);
  ASSERT_TRUE(store);
  auto blob = store->put("a still of the order page");
  ASSERT_TRUE(blob.ok());
  const std::string url = store->client().presigned_get(store->key_of(blob->sha256), std::chrono::minutes(10));
  HttpClient http;
  auto fetched = http.get(url);
  ASSERT_TRUE(fetched.ok());
  EXPECT_EQ(fetched->status, 200);
  EXPECT_EQ(fetched->body, "a still of the order page");
  // The signature covers the key: the same query on another object is refused.
  std::string other = url;
  other.replace(other.find(blob->sha256), 64, sha256_hex("something else"));
  auto refused = http.get(other);
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->status, 403);
}


TEST_F(ObjectStorage, DataDirectoryKeepsItsEvidenceInObjectStorageAndRemembersWhere) {
  ASSERT_TRUE(open_store("data-dir-evidence", kRetentionYears));
  ::setenv("NETSAMPLE_S3_ACCESS_KEY", gateway_->access_key().c_str(), 1);
  ::setenv("NETSAMPLE_S3_SECRET_KEY", gateway_->secret_key().c_str(), 1);
  testing::TempDir data;
  const std::string url = "s3://data-dir-evidence?endpoint=" + gateway_->endpoint();
  const std::string bytes = random_bytes(3 << 20, 11);
  const auto photo = data / "unboxing.mp4";
  std::ofstream(photo, std::ios::binary) << bytes;
  std::string sha256;
  // A directory opened before with the local folder but holding no evidence yet may still move to the bucket.
  ASSERT_TRUE(Store::open(data.path(), clock_).ok());
  {
    auto store = Store::open(data.path(), clock_, StoreOptions{.database = "", .evidence = url});
    ASSERT_TRUE(store.ok()) << store.error().message;
    ASSERT_TRUE((*store)->db().exec("INSERT INTO cases (number, organizer, level, plan_kind, product_name, trademark, model, category, "
                                    "standard, platform, shop_name, shop_url, operator_name, operator_address, producer_name, "
                                    "producer_address, inspection_qty, backup_qty, state, created_utc_us, updated_utc_us) VALUES "
                                    "('CQ-1','o','city','routine','p','t','m','c','s','jd','shop','https://x','op','a','pr','a',1,1,"
                                    "'planned',0,0)").ok());
    auto item = (*store)->add_evidence(1, "CQ-1", photo, "video", "S1");
    ASSERT_TRUE(item.ok()) << item.error().message;
    sha256 = item->sha256;
    std::error_code ec;
    EXPECT_TRUE(std::filesystem::is_empty(data / "evidence" / "sha256", ec) || ec) << "nothing kept in the local folder";
    // A range (a player seeking) and a checked copy as a file (a zip writer, a WARC index).
    EXPECT_EQ(*(*store)->evidence().read_range(sha256, 1000, 24), bytes.substr(1000, 24));
    auto copy = blob_file((*store)->evidence(), sha256, data.path());
    ASSERT_TRUE(copy.ok()) << copy.error().message;
    EXPECT_EQ(sha256_file(copy->path())->size(), 32u);
    EXPECT_EQ(to_hex(*sha256_file(copy->path())), sha256);
  }
  for (const auto& entry : std::filesystem::directory_iterator(data.path()))
    EXPECT_FALSE(entry.path().filename().string().starts_with("blob-")) << "the copy is removed: " << entry.path();
  // Opened again without saying where: the directory remembers (the service's threads open it so).
  {
    auto store = Store::open(data.path(), clock_);
    ASSERT_TRUE(store.ok()) << store.error().message;
    EXPECT_EQ((*store)->evidence().info()->location.rfind("s3://data-dir-evidence/", 0), 0u);
    EXPECT_TRUE((*store)->evidence().verify(sha256).ok());
    EXPECT_TRUE(*(*store)->evidence().contains(sha256));
  }
  // Another store for the same directory is refused: its evidence rows would name blobs that are not there.
  auto elsewhere = Store::open(data.path(), clock_, StoreOptions{.database = "", .evidence = "s3://another-bucket?endpoint=" + gateway_->endpoint()});
  ASSERT_FALSE(elsewhere.ok());
  EXPECT_EQ(elsewhere.error().code, ErrorCode::refused_by_rule);
  EXPECT_EQ(elsewhere.error().field, "evidence");
  EXPECT_NE(elsewhere.error().message.find("1 件证据"), std::string::npos) << elsewhere.error().message;
}

}  // namespace
}  // namespace netsample::store
