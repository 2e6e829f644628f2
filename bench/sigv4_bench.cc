// SigV4 throughput: header signing of a typical RDS DescribeDBSnapshots POST
// and query presigning (an RDS cross-region PreSignedUrl). Reports
// signatures/second as items_per_second.
#include <benchmark/benchmark.h>

#include <chrono>

#include "aws/encoding.h"
#include "aws/rds_presign.h"
#include "aws/sigv4.h"

namespace drsnap::aws {
namespace {

Credentials BenchCreds() {
  Credentials c;
  c.access_key_id = "ASIAIOSFODNN7EXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  c.session_token = std::string(400, 'T');  // STS tokens are several hundred bytes
  return c;
}

const TimePoint kNow = TimePoint(std::chrono::seconds(1795407000));

HttpRequest DescribeDBSnapshotsRequest() {
  HttpRequest r;
  r.method = "POST";
  r.url = "https://rds.eu-west-1.amazonaws.com";
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
               {"User-Agent", "drsnap/0.1"}};
  r.body = FormUrlEncodeParams({{"Action", "DescribeDBSnapshots"},
                                {"Version", "2014-10-31"},
                                {"SnapshotType", "automated"},
                                {"IncludeShared", "false"},
                                {"Filters.Filter.1.Name", "db-instance-id"},
                                {"Filters.Filter.1.Values.Value.1", "orders-prod"},
                                {"MaxRecords", "100"},
                                {"Marker", "awsrdsmarker-0123456789abcdef"}});
  return r;
}

void BM_SignRequestDescribeDBSnapshots(benchmark::State& state) {
  const Credentials creds = BenchCreds();
  const SigningScope scope{"eu-west-1", "rds"};
  const HttpRequest base = DescribeDBSnapshotsRequest();
  for (auto _ : state) {
    HttpRequest r = base;  // a fresh request each time, as ServiceClient signs
    SignRequest(r, creds, scope, kNow);
    benchmark::DoNotOptimize(r.headers.back().second.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignRequestDescribeDBSnapshots);

void BM_PresignUrl(benchmark::State& state) {
  const Credentials creds = BenchCreds();
  const SigningScope scope{"us-west-2", "rds"};
  const std::string url =
      "https://rds.us-west-2.amazonaws.com/?Action=CopyDBSnapshot&Version=2014-10-31&"
      "SourceDBSnapshotIdentifier=arn%3Aaws%3Ards%3Aus-west-2%3A111111111111%3Asnapshot%3Adb1&"
      "TargetDBSnapshotIdentifier=drsnap-db1&DestinationRegion=us-east-1";
  for (auto _ : state) {
    std::string out = PresignUrl("GET", url, creds, scope, kNow, std::chrono::seconds(3600));
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PresignUrl);

void BM_RdsPresignedUrl(benchmark::State& state) {
  const Credentials creds = BenchCreds();
  const QueryParams params = {
      {"SourceDBSnapshotIdentifier", "arn:aws:rds:us-west-2:111111111111:snapshot:db1"},
      {"TargetDBSnapshotIdentifier", "drsnap-db1"},
      {"KmsKeyId", "arn:aws:kms:us-east-1:222222222222:key/1234abcd"},
      {"Tags.Tag.1.Key", "drsnap:source"},
      {"Tags.Tag.1.Value", "111111111111/us-west-2"}};
  for (auto _ : state) {
    std::string out = RdsPresignedUrl("CopyDBSnapshot", params, "us-west-2", "us-east-1",
                                      "https://rds.us-west-2.amazonaws.com", creds, kNow);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RdsPresignedUrl);

// Without the per-thread signing-key cache hit: a new date every iteration.
void BM_SignRequestColdKey(benchmark::State& state) {
  const Credentials creds = BenchCreds();
  const SigningScope scope{"eu-west-1", "rds"};
  const HttpRequest base = DescribeDBSnapshotsRequest();
  int64_t day = 0;
  for (auto _ : state) {
    HttpRequest r = base;
    SignRequest(r, creds, scope, kNow + std::chrono::hours(24 * (day++ % 2)));
    benchmark::DoNotOptimize(r.headers.back().second.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignRequestColdKey);

}  // namespace
}  // namespace drsnap::aws

BENCHMARK_MAIN();
