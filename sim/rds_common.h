// Shared pieces of the RDS operations: the call context, AWS's standard
// errors, and the XML shapes of DBSnapshot, DBClusterSnapshot, DBInstance and
// DBCluster exactly as botocore's model names them. Internal to sim/.
#pragma once

#include <string>
#include <string_view>

#include "sim/world.h"
#include "sim/xml_writer.h"

namespace drsnap::sim {

struct RdsCall {
  World& w;
  const SimRequest& req;
  Params p;
  Scope& scope;  // the caller's account in the request's region
};

// Error helpers with AWS's codes and statuses.
inline std::unexpected<ApiError> InvalidParameterValue(std::string msg) {
  return ApiFail(400, "InvalidParameterValue", std::move(msg));
}
inline std::unexpected<ApiError> InvalidParameterCombination(std::string msg) {
  return ApiFail(400, "InvalidParameterCombination", std::move(msg));
}
inline std::unexpected<ApiError> MissingParameter(std::string_view name) {
  return ApiFail(400, "MissingParameter",
                 "The request must contain the parameter " + std::string(name));
}
std::unexpected<ApiError> SnapshotNotFound(bool cluster, std::string_view id);
std::unexpected<ApiError> SnapshotAlreadyExists(bool cluster, std::string_view id);
std::unexpected<ApiError> InvalidSnapshotState(bool cluster, std::string msg);
std::unexpected<ApiError> DbNotFound(bool cluster, std::string_view id);
// The message text is moto's (AWS's is not documented).
std::unexpected<ApiError> OptionGroupNotFound(std::string_view name);
// The option group for a DB or snapshot of this engine version in `scope`,
// named by a request (nullptr: none named, answers `fallback`); refuses
// unknown and unsuitable groups.
std::expected<std::string, ApiError> ChooseOptionGroup(const Scope& scope, const std::string* name,
                                                       const DbInfo& db, std::string fallback);

// Parses a boolean parameter ("true"/"false", case-insensitive).
std::expected<bool, ApiError> BoolParam(const Params& p, std::string_view name, bool def);
// MaxRecords validated to 20..100 (default 100).
std::expected<int, ApiError> MaxRecordsParam(const Params& p);
// Refuses tag keys with the reserved "aws:" prefix.
std::expected<void, ApiError> CheckTags(const std::vector<Tag>& tags);
void MergeTags(std::vector<Tag>* into, const std::vector<Tag>& add);

// Resolves a snapshot reference (id in the caller's scope, or ARN of an own
// snapshot or one shared with the caller). nullptr: not visible.
Snapshot* ResolveSnapshot(RdsCall& c, bool cluster, std::string_view ref);

// <DBSnapshot>..</DBSnapshot> / <DBClusterSnapshot>..</DBClusterSnapshot> as
// `viewer` sees it (another account sees it as shared: id = ARN, no tags).
void WriteSnapshot(XmlWriter& x, const Snapshot& s, const World& w, std::string_view viewer,
                   std::string_view element = "");
// The Status a snapshot shows (copies: per the copy_status_* settings).
std::string_view ShownStatus(const Snapshot& s, const World& w);
void WriteDatabase(XmlWriter& x, const Scope& scope, const Database& db, TimePoint now,
                   std::string_view element = "");
void WriteTagList(XmlWriter& x, const std::vector<Tag>& tags);

// The operations. Each returns the inner XML of <ActionResult>.
OpResult DescribeSnapshots(RdsCall& c, bool cluster);
OpResult CreateSnapshot(RdsCall& c, bool cluster);
OpResult CopySnapshot(RdsCall& c, bool cluster);
OpResult DeleteSnapshot(RdsCall& c, bool cluster);
OpResult ModifySnapshotAttribute(RdsCall& c, bool cluster);
OpResult DescribeSnapshotAttributes(RdsCall& c, bool cluster);
OpResult DescribeDatabases(RdsCall& c, bool cluster);
OpResult CreateDatabase(RdsCall& c, bool cluster);
OpResult DeleteDatabase(RdsCall& c, bool cluster);
OpResult RestoreFromSnapshot(RdsCall& c, bool cluster);
OpResult AddTagsToResource(RdsCall& c);
OpResult RemoveTagsFromResource(RdsCall& c);
OpResult ListTagsForResource(RdsCall& c);
OpResult DescribeEvents(RdsCall& c);
OpResult DescribeAccountAttributes(RdsCall& c);
OpResult CreateOptionGroup(RdsCall& c);
OpResult DescribeOptionGroups(RdsCall& c);
OpResult DeleteOptionGroup(RdsCall& c);
OpResult CreateDBParameterGroup(RdsCall& c);
OpResult DescribeDBParameterGroups(RdsCall& c);
OpResult DeleteDBParameterGroup(RdsCall& c);

}  // namespace drsnap::sim
