// Typed Amazon RDS operations (API version 2014-10-31) over ServiceClient's
// Query protocol: requests are serialized exactly as botocore serializes
// them (member names checked against botocore's service model in
// rds_model_test), responses are decoded from XML into rds_types.h structs.
//
// Errors: AWS errors come back as ServiceClient returns them (code, message,
// request id, class, retries done), with the resource named in the context.
// A response body that cannot be decoded is an Error with code
// "MalformedResponse". A missing REQUIRED request member is an Error with
// code "MissingParameter" and nothing is sent.
//
// Idempotency: Describe*/List* are read-only. Create*/Copy* with an existing
// target id fail with ...AlreadyExists; Delete* of a missing resource fails
// with ...NotFound; callers decide what those mean.
//
// Thread safety: an RdsClient is immutable after construction and may be
// shared by many threads (the ServiceClient is thread-safe).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aws/client.h"
#include "aws/rds_types.h"
#include "core/error.h"

namespace drsnap::aws {

inline constexpr std::string_view kRdsVersion = "2014-10-31";

// The RDS endpoint of a region (its url is used: "https://rds.us-east-1.amazonaws.com").
// Used to presign cross-region copies for the source region. Typically
// [&](const std::string& r) { return ResolveEndpoint("rds", r, env, profile); }
// (endpoints.h), so AWS_ENDPOINT_URL_RDS and profiles apply.
using RdsEndpointResolver = std::function<Result<ServiceEndpoint>(const std::string& region)>;

// The standard regional endpoint of RDS ("https://rds.<region>.<partition dns
// suffix>"). The fallback when no resolver is given.
std::string DefaultRdsEndpointUrl(std::string_view region);

// The bounds of one *All listing, so that a service that never stops
// paginating (a fresh Marker on every page) ends the listing with an error
// instead of running until the process is killed.
struct PaginationLimits {
  // 10,000 pages are 1,000,000 items at RDS's 100 per page: more snapshots
  // than one account holds in one region under its quotas.
  size_t max_pages = 10000;
  // Wall time from the first page's request, read through the client's
  // Clock (ClientContext::clock), so tests move it with a FakeClock.
  Duration max_time = std::chrono::minutes(10);
};

class RdsClient {
 public:
  // client: signs for RDS in the destination region (its endpoint's
  // signing_region is the DestinationRegion of presigned copies).
  // source_endpoints: resolves a source region's RDS endpoint for
  // PreSignedUrl; null means DefaultRdsEndpointUrl.
  explicit RdsClient(std::shared_ptr<ServiceClient> client,
                     RdsEndpointResolver source_endpoints = nullptr,
                     PaginationLimits pagination = {});

  // The region this client calls (the signing region of its endpoint).
  const std::string& region() const;

  // --- Describe (one page each; page.marker is empty on the last page) ---
  Result<Page<DBInstance>> DescribeDBInstances(const DescribeDBInstancesRequest& request);
  Result<Page<DBCluster>> DescribeDBClusters(const DescribeDBClustersRequest& request);
  Result<Page<DBSnapshot>> DescribeDBSnapshots(const DescribeDBSnapshotsRequest& request);
  Result<Page<DBClusterSnapshot>> DescribeDBClusterSnapshots(
      const DescribeDBClusterSnapshotsRequest& request);
  Result<Page<Event>> DescribeEvents(const DescribeEventsRequest& request);

  // Every page, starting at request.marker, concatenated in order. Fails on
  // the first failing page (earlier pages are discarded); with
  // PaginationLoop as soon as the service repeats a marker (the request's
  // own included); with PaginationLimitExceeded when the listing needs more
  // pages or more time than its PaginationLimits. Those errors are terminal.
  Result<std::vector<DBInstance>> DescribeDBInstancesAll(DescribeDBInstancesRequest request);
  Result<std::vector<DBCluster>> DescribeDBClustersAll(DescribeDBClustersRequest request);
  Result<std::vector<DBSnapshot>> DescribeDBSnapshotsAll(DescribeDBSnapshotsRequest request);
  Result<std::vector<DBClusterSnapshot>> DescribeDBClusterSnapshotsAll(
      DescribeDBClusterSnapshotsRequest request);
  Result<std::vector<Event>> DescribeEventsAll(DescribeEventsRequest request);

  // --- Snapshots ---
  Result<DBSnapshot> CreateDBSnapshot(const CreateDBSnapshotRequest& request);
  Result<DBClusterSnapshot> CreateDBClusterSnapshot(const CreateDBClusterSnapshotRequest& request);
  // With request.source_region set (and no explicit pre_signed_url), adds a
  // PreSignedUrl for the source region's endpoint, signed with this
  // client's credentials at this client's clock time; SourceRegion itself is
  // not sent (as botocore's inject_presigned_url_rds).
  Result<DBSnapshot> CopyDBSnapshot(const CopyDBSnapshotRequest& request);
  Result<DBClusterSnapshot> CopyDBClusterSnapshot(const CopyDBClusterSnapshotRequest& request);
  Result<DBSnapshot> DeleteDBSnapshot(const std::string& db_snapshot_identifier);
  Result<DBClusterSnapshot> DeleteDBClusterSnapshot(
      const std::string& db_cluster_snapshot_identifier);

  // --- Snapshot attributes (sharing) ---
  Result<DBSnapshotAttributesResult> ModifyDBSnapshotAttribute(
      const ModifyDBSnapshotAttributeRequest& request);
  // The account's quotas in this region, with their use.
  Result<std::vector<AccountQuota>> DescribeAccountAttributes();
  Result<DBSnapshotAttributesResult> DescribeDBSnapshotAttributes(
      const std::string& db_snapshot_identifier);
  Result<DBSnapshotAttributesResult> ModifyDBClusterSnapshotAttribute(
      const ModifyDBClusterSnapshotAttributeRequest& request);
  Result<DBSnapshotAttributesResult> DescribeDBClusterSnapshotAttributes(
      const std::string& db_cluster_snapshot_identifier);

  // --- Tags ---
  // resource_name: the resource ARN. REQUIRES: tags non-empty.
  Status AddTagsToResource(const std::string& resource_name, const std::vector<Tag>& tags);
  // One call per resource: do not use it per snapshot in a listing
  // (Describe* results already carry TagList); it exists for tests and tools.
  Result<std::vector<Tag>> ListTagsForResource(const std::string& resource_name);
  // REQUIRES: tag_keys non-empty.
  Status RemoveTagsFromResource(const std::string& resource_name,
                                const std::vector<std::string>& tag_keys);

  // --- Parameter groups (drsnap's ledger, engine/ledger.h) ---
  // CreateDBParameterGroup; an existing name fails with
  // "DBParameterGroupAlreadyExists".
  Status CreateDBParameterGroup(const std::string& name, const std::string& family,
                                const std::string& description, const std::vector<Tag>& tags);

  // --- Instances and clusters (restore drills, tests, seeding) ---
  Result<DBInstance> RestoreDBInstanceFromDBSnapshot(
      const RestoreDBInstanceFromDBSnapshotRequest& request);
  Result<DBCluster> RestoreDBClusterFromSnapshot(
      const RestoreDBClusterFromSnapshotRequest& request);
  Result<DBInstance> CreateDBInstance(const CreateDBInstanceRequest& request);
  Result<DBCluster> CreateDBCluster(const CreateDBClusterRequest& request);
  Result<DBInstance> DeleteDBInstance(const DeleteDBInstanceRequest& request);
  Result<DBCluster> DeleteDBCluster(const DeleteDBClusterRequest& request);

 private:
  Result<std::string> PresignedUrlFor(std::string_view action, const QueryParams& params,
                                      const std::string& source_region);

  std::shared_ptr<ServiceClient> client_;
  RdsEndpointResolver source_endpoints_;
  PaginationLimits pagination_;
};

// --- Response decoders: pure functions of an XML body (exposed for tests,
// benchmarks and tools). Errors have code "MalformedResponse".
Result<Page<DBInstance>> DecodeDescribeDBInstancesResponse(std::string_view xml);
Result<Page<DBCluster>> DecodeDescribeDBClustersResponse(std::string_view xml);
Result<Page<DBSnapshot>> DecodeDescribeDBSnapshotsResponse(std::string_view xml);
Result<Page<DBClusterSnapshot>> DecodeDescribeDBClusterSnapshotsResponse(std::string_view xml);
Result<Page<Event>> DecodeDescribeEventsResponse(std::string_view xml);
// <action>Response/<action>Result/DBSnapshot (CreateDBSnapshot,
// CopyDBSnapshot, DeleteDBSnapshot).
Result<DBSnapshot> DecodeDBSnapshotResponse(std::string_view action, std::string_view xml);
Result<DBClusterSnapshot> DecodeDBClusterSnapshotResponse(std::string_view action,
                                                          std::string_view xml);
Result<DBInstance> DecodeDBInstanceResponse(std::string_view action, std::string_view xml);
Result<DBCluster> DecodeDBClusterResponse(std::string_view action, std::string_view xml);
// DescribeDBSnapshotAttributes / ModifyDBSnapshotAttribute (cluster: pass
// cluster = true for the DBClusterSnapshotAttributesResult shape).
Result<DBSnapshotAttributesResult> DecodeSnapshotAttributesResponse(std::string_view action,
                                                                    std::string_view xml,
                                                                    bool cluster);
Result<std::vector<Tag>> DecodeListTagsForResourceResponse(std::string_view xml);

}  // namespace drsnap::aws
