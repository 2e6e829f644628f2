// Plain data for the typed RDS client (rds.h): the resources RDS returns and
// one request struct per operation. Field names follow the RDS API members
// (DBSnapshotIdentifier -> db_snapshot_identifier). Only what drsnap needs
// is decoded; missing optional response fields keep their defaults.
//
// Request conventions: an empty string, an empty vector or a nullopt member
// is not sent. Lists are sent in order.
//
// Thread safety: plain values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"

namespace drsnap::aws {

inline constexpr char kRdsXmlNamespace[] = "http://rds.amazonaws.com/doc/2014-10-31/";

struct Tag {
  std::string key{};
  std::string value{};
  bool operator==(const Tag&) const = default;
};

// A Describe* filter: Filters.Filter.N.Name / Filters.Filter.N.Values.Value.M.
struct Filter {
  std::string name{};
  std::vector<std::string> values{};
};

// One page of a paginated Describe* call. An empty marker means the last page.
template <class T>
struct Page {
  std::vector<T> items{};
  std::string marker{};
};

// ---------------------------------------------------------------- resources

struct DBInstance {
  std::string db_instance_identifier{};
  std::string db_instance_arn{};
  std::string dbi_resource_id{};
  std::string db_instance_class{};
  std::string engine{};
  std::string engine_version{};
  std::string db_instance_status{};  // "available", "creating", "deleting", ...
  int allocated_storage = 0;
  std::string availability_zone{};
  bool multi_az = false;
  int backup_retention_period = 0;
  std::string preferred_backup_window{};  // "04:00-04:30"
  bool storage_encrypted = false;
  std::string kms_key_id{};
  std::string storage_type{};
  std::string db_cluster_identifier{};  // set when the instance is an Aurora cluster member
  std::vector<std::string> option_group_names{};  // OptionGroupMemberships
  std::string endpoint_address{};
  int endpoint_port = 0;
  bool deletion_protection = false;
  std::optional<TimePoint> instance_create_time{};
  std::optional<TimePoint> latest_restorable_time{};
  std::vector<Tag> tag_list{};
};

struct DBClusterMember {
  std::string db_instance_identifier{};
  bool is_cluster_writer = false;
};

struct DBCluster {
  std::string db_cluster_identifier{};
  std::string db_cluster_arn{};
  std::string db_cluster_resource_id{};
  std::string status{};
  std::string engine{};
  std::string engine_version{};
  std::string engine_mode{};
  int allocated_storage = 0;
  std::vector<std::string> availability_zones{};
  bool multi_az = false;
  int backup_retention_period = 0;
  std::string preferred_backup_window{};
  bool storage_encrypted = false;
  std::string kms_key_id{};
  std::string storage_type{};
  std::string endpoint{};
  int port = 0;
  bool deletion_protection = false;
  std::vector<std::string> option_group_names{};  // DBClusterOptionGroupMemberships
  std::vector<DBClusterMember> members{};
  std::optional<TimePoint> cluster_create_time{};
  std::optional<TimePoint> earliest_restorable_time{};
  std::optional<TimePoint> latest_restorable_time{};
  std::vector<Tag> tag_list{};
};

struct DBSnapshot {
  std::string db_snapshot_identifier{};
  std::string db_snapshot_arn{};
  std::string db_instance_identifier{};
  std::string dbi_resource_id{};
  std::string snapshot_type{};  // "manual", "automated", "shared", "public", "awsbackup"
  std::string status{};         // "creating", "copying", "available", "deleting", "failed", ...
  std::string engine{};
  std::string engine_version{};
  std::string license_model{};
  int allocated_storage = 0;
  int port = 0;
  std::string availability_zone{};
  std::string vpc_id{};
  std::string storage_type{};
  int percent_progress = 0;
  bool encrypted = false;
  std::string kms_key_id{};
  std::string option_group_name{};
  std::string source_region{};                  // set on cross-region copies
  std::string source_db_snapshot_identifier{};  // set on copies (an ARN across regions)
  int backup_retention_period = 0;
  std::string preferred_backup_window{};
  std::optional<TimePoint> snapshot_create_time{};
  std::optional<TimePoint> original_snapshot_create_time{};  // the source's time, on copies
  std::optional<TimePoint> instance_create_time{};
  std::vector<Tag> tag_list{};
};

struct DBClusterSnapshot {
  std::string db_cluster_snapshot_identifier{};
  std::string db_cluster_snapshot_arn{};
  std::string db_cluster_identifier{};
  std::string db_cluster_resource_id{};
  std::string source_db_cluster_snapshot_arn{};  // set on copies
  std::string snapshot_type{};
  std::string status{};
  std::string engine{};
  std::string engine_version{};
  std::string engine_mode{};
  std::string license_model{};
  int allocated_storage = 0;
  int port = 0;
  std::vector<std::string> availability_zones{};
  std::string vpc_id{};
  std::string storage_type{};
  int percent_progress = 0;
  bool storage_encrypted = false;
  std::string kms_key_id{};
  int backup_retention_period = 0;
  std::string preferred_backup_window{};
  std::optional<TimePoint> snapshot_create_time{};
  std::optional<TimePoint> cluster_create_time{};
  std::vector<Tag> tag_list{};
};

// One snapshot attribute; "restore" lists the account ids (or "all") that
// may copy and restore the snapshot.
struct DBSnapshotAttribute {
  std::string attribute_name{};
  std::vector<std::string> attribute_values{};
};

// DescribeDBSnapshotAttributes / ModifyDBSnapshotAttribute result. For
// cluster snapshots, snapshot_identifier is the DBClusterSnapshotIdentifier.
// One of DescribeAccountAttributes' AccountQuotas ("ManualSnapshots",
// "ManualClusterSnapshots", ...): what the account uses of it in the region.
struct AccountQuota {
  std::string account_quota_name{};
  long long used = 0;
  long long max = 0;
};

struct DBSnapshotAttributesResult {
  std::string snapshot_identifier{};
  std::vector<DBSnapshotAttribute> attributes{};
  // The values of attribute `name`; empty when absent.
  std::vector<std::string> Values(std::string_view name) const {
    for (const auto& a : attributes)
      if (a.attribute_name == name) return a.attribute_values;
    return {};
  }
};

struct Event {
  std::string source_identifier{};
  std::string source_type{};  // "db-snapshot", "db-cluster-snapshot", ...
  std::string source_arn{};
  std::string message{};
  std::vector<std::string> event_categories{};
  std::optional<TimePoint> date{};
};

// ---------------------------------------------------------------- requests

struct DescribeDBInstancesRequest {
  std::string db_instance_identifier{};
  std::vector<Filter> filters{};
  std::optional<int> max_records{};  // 20..100
  std::string marker{};
};

struct DescribeDBClustersRequest {
  std::string db_cluster_identifier{};
  std::vector<Filter> filters{};
  std::optional<int> max_records{};
  std::string marker{};
  std::optional<bool> include_shared{};
};

struct DescribeDBSnapshotsRequest {
  std::string db_instance_identifier{};
  std::string db_snapshot_identifier{};
  std::string snapshot_type{};  // "", "manual", "automated", "shared", "public", "awsbackup"
  std::vector<Filter> filters{};
  std::optional<int> max_records{};  // 20..100
  std::string marker{};
  std::optional<bool> include_shared{};
  std::optional<bool> include_public{};
  std::string dbi_resource_id{};
};

struct DescribeDBClusterSnapshotsRequest {
  std::string db_cluster_identifier{};
  std::string db_cluster_snapshot_identifier{};
  std::string snapshot_type{};
  std::vector<Filter> filters{};
  std::optional<int> max_records{};
  std::string marker{};
  std::optional<bool> include_shared{};
  std::optional<bool> include_public{};
  std::string db_cluster_resource_id{};
};

struct CreateDBSnapshotRequest {
  std::string db_snapshot_identifier{};  // REQUIRED
  std::string db_instance_identifier{};  // REQUIRED
  std::vector<Tag> tags{};
};

struct CreateDBClusterSnapshotRequest {
  std::string db_cluster_snapshot_identifier{};  // REQUIRED
  std::string db_cluster_identifier{};           // REQUIRED
  std::vector<Tag> tags{};
};

struct CopyDBSnapshotRequest {
  std::string source_db_snapshot_identifier{};  // REQUIRED; an ARN when in another region/account
  std::string target_db_snapshot_identifier{};  // REQUIRED
  std::string kms_key_id{};
  std::vector<Tag> tags{};
  std::optional<bool> copy_tags{};
  std::string option_group_name{};
  std::optional<bool> copy_option_group{};
  // Not sent: when set, the client adds PreSignedUrl (presigned for this
  // region's endpoint, DestinationRegion = the client's region), as the SDKs do.
  std::string source_region{};
  // Sent as is when non-empty (then no PreSignedUrl is generated).
  std::string pre_signed_url{};
};

struct CopyDBClusterSnapshotRequest {
  std::string source_db_cluster_snapshot_identifier{};  // REQUIRED
  std::string target_db_cluster_snapshot_identifier{};  // REQUIRED
  std::string kms_key_id{};
  std::vector<Tag> tags{};
  std::optional<bool> copy_tags{};
  std::string source_region{};  // see CopyDBSnapshotRequest
  std::string pre_signed_url{};
};

struct ModifyDBSnapshotAttributeRequest {
  std::string db_snapshot_identifier{};  // REQUIRED
  std::string attribute_name = "restore";
  std::vector<std::string> values_to_add{};
  std::vector<std::string> values_to_remove{};
};

struct ModifyDBClusterSnapshotAttributeRequest {
  std::string db_cluster_snapshot_identifier{};  // REQUIRED
  std::string attribute_name = "restore";
  std::vector<std::string> values_to_add{};
  std::vector<std::string> values_to_remove{};
};

struct RestoreDBInstanceFromDBSnapshotRequest {
  std::string db_instance_identifier{};  // REQUIRED
  std::string db_snapshot_identifier{};  // REQUIRED here (RDS allows a cluster snapshot instead)
  std::string db_instance_class{};
  std::string db_subnet_group_name{};
  std::string availability_zone{};
  std::optional<bool> multi_az{};
  std::optional<bool> publicly_accessible{};
  std::string option_group_name{};
  std::string db_parameter_group_name{};
  std::vector<std::string> vpc_security_group_ids{};
  std::string storage_type{};
  std::optional<int> port{};
  std::optional<bool> deletion_protection{};
  std::vector<Tag> tags{};
};

struct RestoreDBClusterFromSnapshotRequest {
  std::string db_cluster_identifier{};  // REQUIRED
  std::string snapshot_identifier{};    // REQUIRED: cluster snapshot id or ARN
  std::string engine{};                 // REQUIRED
  std::string engine_version{};
  std::string db_subnet_group_name{};
  std::vector<std::string> availability_zones{};
  std::vector<std::string> vpc_security_group_ids{};
  std::string kms_key_id{};
  std::string db_cluster_parameter_group_name{};
  std::string option_group_name{};
  std::optional<int> port{};
  std::optional<bool> deletion_protection{};
  std::vector<Tag> tags{};
};

struct DeleteDBInstanceRequest {
  std::string db_instance_identifier{};  // REQUIRED
  std::optional<bool> skip_final_snapshot{};
  std::string final_db_snapshot_identifier{};
  std::optional<bool> delete_automated_backups{};
};

struct DeleteDBClusterRequest {
  std::string db_cluster_identifier{};  // REQUIRED
  std::optional<bool> skip_final_snapshot{};
  std::string final_db_snapshot_identifier{};
  std::optional<bool> delete_automated_backups{};
};

struct CreateDBInstanceRequest {
  std::string db_instance_identifier{};  // REQUIRED
  std::string db_instance_class{};       // REQUIRED
  std::string engine{};                  // REQUIRED
  std::string engine_version{};
  std::optional<int> allocated_storage{};
  std::string master_username{};
  std::string master_user_password{};
  std::string db_name{};
  std::string availability_zone{};
  std::string db_subnet_group_name{};
  std::vector<std::string> vpc_security_group_ids{};
  std::optional<int> backup_retention_period{};
  std::string preferred_backup_window{};
  std::string option_group_name{};
  std::optional<bool> storage_encrypted{};
  std::string kms_key_id{};
  std::string storage_type{};
  std::string db_cluster_identifier{};
  std::optional<bool> multi_az{};
  std::optional<bool> publicly_accessible{};
  std::optional<int> port{};
  std::optional<bool> deletion_protection{};
  std::vector<Tag> tags{};
};

struct CreateDBClusterRequest {
  std::string db_cluster_identifier{};  // REQUIRED
  std::string engine{};                 // REQUIRED
  std::string engine_version{};
  std::string engine_mode{};
  std::string master_username{};
  std::string master_user_password{};
  std::string database_name{};
  std::vector<std::string> availability_zones{};
  std::vector<std::string> vpc_security_group_ids{};
  std::string db_subnet_group_name{};
  std::optional<int> backup_retention_period{};
  std::string preferred_backup_window{};
  std::optional<bool> storage_encrypted{};
  std::string kms_key_id{};
  std::string storage_type{};
  std::optional<int> allocated_storage{};
  std::string db_cluster_instance_class{};
  std::optional<int> port{};
  std::optional<bool> deletion_protection{};
  std::vector<Tag> tags{};
};

struct DescribeEventsRequest {
  std::string source_identifier{};
  std::string source_type{};  // "db-snapshot", "db-cluster-snapshot", "db-instance", ...
  std::optional<TimePoint> start_time{};
  std::optional<TimePoint> end_time{};
  std::optional<int> duration{};  // minutes
  std::vector<std::string> event_categories{};
  std::vector<Filter> filters{};
  std::optional<int> max_records{};
  std::string marker{};
};

}  // namespace drsnap::aws
