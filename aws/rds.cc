#include "aws/rds.h"

#include <set>
#include <utility>

#include "aws/endpoints.h"
#include "aws/query.h"
#include "aws/rds_presign.h"
#include "aws/xml.h"

namespace drsnap::aws {
namespace {

// ------------------------------------------------------------ serialization

void AddTags(QueryBuilder& q, const std::vector<Tag>& tags) {
  q.AddStructList("Tags", "Tag", tags, [](QueryBuilder& b, const std::string& p, const Tag& t) {
    b.Add(p + ".Key", t.key);
    b.Add(p + ".Value", t.value);
  });
}

void AddFilters(QueryBuilder& q, const std::vector<Filter>& filters) {
  q.AddStructList("Filters", "Filter", filters,
                  [](QueryBuilder& b, const std::string& p, const Filter& f) {
                    b.Add(p + ".Name", f.name);
                    b.AddList(p + ".Values", "Value", f.values, /*send_empty=*/true);
                  });
}

Status Require(std::string_view action, std::string_view member, const std::string& value) {
  if (!value.empty()) return OkStatus();
  return Fail(Error::Terminal("MissingParameter",
                              std::string(action) + ": " + std::string(member) + " is required"));
}

// ------------------------------------------------------------ decoding

std::vector<Tag> ReadTags(pugi::xml_node node) {
  std::vector<Tag> tags;
  for (pugi::xml_node t : xml::ListItems(node, "TagList", "Tag")) {
    tags.push_back(Tag{xml::ChildText(t, "Key"), xml::ChildText(t, "Value")});
  }
  return tags;
}

Status ReadDBSnapshot(pugi::xml_node n, DBSnapshot* s) {
  xml::FieldReader r(n);
  r.String("DBSnapshotIdentifier", &s->db_snapshot_identifier);
  r.String("DBSnapshotArn", &s->db_snapshot_arn);
  r.String("DBInstanceIdentifier", &s->db_instance_identifier);
  r.String("DbiResourceId", &s->dbi_resource_id);
  r.String("SnapshotType", &s->snapshot_type);
  r.String("Status", &s->status);
  r.String("Engine", &s->engine);
  r.String("EngineVersion", &s->engine_version);
  r.String("LicenseModel", &s->license_model);
  r.Int("AllocatedStorage", &s->allocated_storage);
  r.Int("Port", &s->port);
  r.String("AvailabilityZone", &s->availability_zone);
  r.String("VpcId", &s->vpc_id);
  r.String("StorageType", &s->storage_type);
  r.Int("PercentProgress", &s->percent_progress);
  r.Bool("Encrypted", &s->encrypted);
  r.String("KmsKeyId", &s->kms_key_id);
  r.String("OptionGroupName", &s->option_group_name);
  r.String("SourceRegion", &s->source_region);
  r.String("SourceDBSnapshotIdentifier", &s->source_db_snapshot_identifier);
  r.Int("BackupRetentionPeriod", &s->backup_retention_period);
  r.String("PreferredBackupWindow", &s->preferred_backup_window);
  r.Time("SnapshotCreateTime", &s->snapshot_create_time);
  r.Time("OriginalSnapshotCreateTime", &s->original_snapshot_create_time);
  r.Time("InstanceCreateTime", &s->instance_create_time);
  s->tag_list = ReadTags(n);
  return r.status();
}

Status ReadDBClusterSnapshot(pugi::xml_node n, DBClusterSnapshot* s) {
  xml::FieldReader r(n);
  r.String("DBClusterSnapshotIdentifier", &s->db_cluster_snapshot_identifier);
  r.String("DBClusterSnapshotArn", &s->db_cluster_snapshot_arn);
  r.String("DBClusterIdentifier", &s->db_cluster_identifier);
  r.String("DbClusterResourceId", &s->db_cluster_resource_id);
  r.String("SourceDBClusterSnapshotArn", &s->source_db_cluster_snapshot_arn);
  r.String("SnapshotType", &s->snapshot_type);
  r.String("Status", &s->status);
  r.String("Engine", &s->engine);
  r.String("EngineVersion", &s->engine_version);
  r.String("EngineMode", &s->engine_mode);
  r.String("LicenseModel", &s->license_model);
  r.Int("AllocatedStorage", &s->allocated_storage);
  r.Int("Port", &s->port);
  r.StringList("AvailabilityZones", "AvailabilityZone", &s->availability_zones);
  r.String("VpcId", &s->vpc_id);
  r.String("StorageType", &s->storage_type);
  r.Int("PercentProgress", &s->percent_progress);
  r.Bool("StorageEncrypted", &s->storage_encrypted);
  r.String("KmsKeyId", &s->kms_key_id);
  r.Int("BackupRetentionPeriod", &s->backup_retention_period);
  r.String("PreferredBackupWindow", &s->preferred_backup_window);
  r.Time("SnapshotCreateTime", &s->snapshot_create_time);
  r.Time("ClusterCreateTime", &s->cluster_create_time);
  s->tag_list = ReadTags(n);
  return r.status();
}

Status ReadDBInstance(pugi::xml_node n, DBInstance* d) {
  xml::FieldReader r(n);
  r.String("DBInstanceIdentifier", &d->db_instance_identifier);
  r.String("DBInstanceArn", &d->db_instance_arn);
  r.String("DbiResourceId", &d->dbi_resource_id);
  r.String("DBInstanceClass", &d->db_instance_class);
  r.String("Engine", &d->engine);
  r.String("EngineVersion", &d->engine_version);
  r.String("DBInstanceStatus", &d->db_instance_status);
  r.Int("AllocatedStorage", &d->allocated_storage);
  r.String("AvailabilityZone", &d->availability_zone);
  r.Bool("MultiAZ", &d->multi_az);
  r.Int("BackupRetentionPeriod", &d->backup_retention_period);
  r.String("PreferredBackupWindow", &d->preferred_backup_window);
  r.Bool("StorageEncrypted", &d->storage_encrypted);
  r.String("KmsKeyId", &d->kms_key_id);
  r.String("StorageType", &d->storage_type);
  r.String("DBClusterIdentifier", &d->db_cluster_identifier);
  r.Bool("DeletionProtection", &d->deletion_protection);
  r.Time("InstanceCreateTime", &d->instance_create_time);
  r.Time("LatestRestorableTime", &d->latest_restorable_time);
  for (pugi::xml_node og : xml::ListItems(n, "OptionGroupMemberships", "OptionGroupMembership")) {
    d->option_group_names.push_back(xml::ChildText(og, "OptionGroupName"));
  }
  xml::FieldReader endpoint(n.child("Endpoint"));
  endpoint.String("Address", &d->endpoint_address);
  endpoint.Int("Port", &d->endpoint_port);
  d->tag_list = ReadTags(n);
  DRSNAP_RETURN_IF_ERROR(r.status());
  return endpoint.status();
}

Status ReadDBCluster(pugi::xml_node n, DBCluster* c) {
  xml::FieldReader r(n);
  r.String("DBClusterIdentifier", &c->db_cluster_identifier);
  r.String("DBClusterArn", &c->db_cluster_arn);
  r.String("DbClusterResourceId", &c->db_cluster_resource_id);
  r.String("Status", &c->status);
  r.String("Engine", &c->engine);
  r.String("EngineVersion", &c->engine_version);
  r.String("EngineMode", &c->engine_mode);
  r.Int("AllocatedStorage", &c->allocated_storage);
  r.StringList("AvailabilityZones", "AvailabilityZone", &c->availability_zones);
  r.Bool("MultiAZ", &c->multi_az);
  r.Int("BackupRetentionPeriod", &c->backup_retention_period);
  r.String("PreferredBackupWindow", &c->preferred_backup_window);
  r.Bool("StorageEncrypted", &c->storage_encrypted);
  r.String("KmsKeyId", &c->kms_key_id);
  r.String("StorageType", &c->storage_type);
  r.String("Endpoint", &c->endpoint);
  r.Int("Port", &c->port);
  r.Bool("DeletionProtection", &c->deletion_protection);
  r.Time("ClusterCreateTime", &c->cluster_create_time);
  r.Time("EarliestRestorableTime", &c->earliest_restorable_time);
  r.Time("LatestRestorableTime", &c->latest_restorable_time);
  for (pugi::xml_node og :
       xml::ListItems(n, "DBClusterOptionGroupMemberships", "DBClusterOptionGroup")) {
    c->option_group_names.push_back(xml::ChildText(og, "DBClusterOptionGroupName"));
  }
  for (pugi::xml_node m : xml::ListItems(n, "DBClusterMembers", "DBClusterMember")) {
    xml::FieldReader mr(m);
    DBClusterMember member;
    mr.String("DBInstanceIdentifier", &member.db_instance_identifier);
    mr.Bool("IsClusterWriter", &member.is_cluster_writer);
    DRSNAP_RETURN_IF_ERROR(mr.status());
    c->members.push_back(std::move(member));
  }
  c->tag_list = ReadTags(n);
  return r.status();
}

Status ReadEvent(pugi::xml_node n, Event* e) {
  xml::FieldReader r(n);
  r.String("SourceIdentifier", &e->source_identifier);
  r.String("SourceType", &e->source_type);
  r.String("SourceArn", &e->source_arn);
  r.String("Message", &e->message);
  r.StringList("EventCategories", "EventCategory", &e->event_categories);
  r.Time("Date", &e->date);
  return r.status();
}

// Decodes <action>Response/<action>Result/<list>/<member>* and Marker.
template <class T, class ReadFn>
Result<Page<T>> DecodePage(std::string_view action, std::string_view body, const char* list,
                           const char* member, ReadFn read) {
  DRSNAP_ASSIGN_OR_RETURN(auto doc, xml::Parse(body));
  DRSNAP_ASSIGN_OR_RETURN(pugi::xml_node result, xml::ResultNode(*doc, action));
  Page<T> page;
  page.marker = xml::ChildText(result, "Marker");
  std::vector<pugi::xml_node> nodes = xml::ListItems(result, list, member);
  page.items.resize(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    auto st = read(nodes[i], &page.items[i]);
    if (!st) {
      return Fail(std::move(st).error().With(std::string(member) + " #" + std::to_string(i + 1)));
    }
  }
  return page;
}

// Decodes <action>Response/<action>Result/<element>.
template <class T, class ReadFn>
Result<T> DecodeOne(std::string_view action, std::string_view body, const char* element,
                    ReadFn read) {
  DRSNAP_ASSIGN_OR_RETURN(auto doc, xml::Parse(body));
  DRSNAP_ASSIGN_OR_RETURN(pugi::xml_node result, xml::ResultNode(*doc, action));
  pugi::xml_node node = result.child(element);
  if (!node) {
    return Fail(
        xml::Malformed("<" + std::string(action) + "Result> has no <" + element + "> element"));
  }
  T out;
  DRSNAP_RETURN_IF_ERROR(read(node, &out));
  return out;
}

template <class T>
Result<T> WithDecodeContext(Result<T> r, std::string_view action) {
  if (!r) r.error().With("decoding the " + std::string(action) + " response");
  return r;
}

// "10 min", "90 s": a time budget for a message.
std::string FormatBudget(Duration d) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s % 60 == 0) return std::to_string(s / 60) + " min";
  return std::to_string(s) + " s";
}

// Walks pages until the marker is empty, within `limits` (read on `clock`).
template <class T, class Req, class PageFn>
Result<std::vector<T>> WalkPages(Req request, PageFn page_fn, std::string_view action,
                                 const PaginationLimits& limits, const Clock& clock) {
  std::vector<T> all;
  // Every marker sent, the first request's own included: a marker seen
  // again is a loop at once, however long its cycle.
  std::set<std::string> seen;
  if (!request.marker.empty()) seen.insert(request.marker);
  const TimePoint start = clock.Now();
  for (size_t pages = 0;; ++pages) {
    if (pages >= limits.max_pages) {
      return Fail(
          Error::Terminal("PaginationLimitExceeded", std::string(action) + " did not end after " +
                                                         std::to_string(limits.max_pages) +
                                                         " pages, drsnap's limit for one listing"));
    }
    if (pages > 0 && clock.Now() - start > limits.max_time) {
      return Fail(Error::Terminal(
          "PaginationLimitExceeded",
          std::string(action) + " did not end within " + FormatBudget(limits.max_time) +
              ", drsnap's time budget for one listing (" + std::to_string(pages) + " pages read)"));
    }
    auto page = page_fn(request);
    if (!page) {
      return Fail(std::move(page).error().With("page " + std::to_string(pages + 1)));
    }
    for (auto& item : page->items) all.push_back(std::move(item));
    if (page->marker.empty()) return all;
    if (!seen.insert(page->marker).second) {
      return Fail(Error::Terminal(
          "PaginationLoop",
          std::string(action) + " returned the same Marker twice: " + page->marker));
    }
    request.marker = std::move(page->marker);
  }
}

}  // namespace

// ------------------------------------------------------------ decoders

Result<Page<DBInstance>> DecodeDescribeDBInstancesResponse(std::string_view xml) {
  return WithDecodeContext(DecodePage<DBInstance>("DescribeDBInstances", xml, "DBInstances",
                                                  "DBInstance", ReadDBInstance),
                           "DescribeDBInstances");
}

Result<Page<DBCluster>> DecodeDescribeDBClustersResponse(std::string_view xml) {
  return WithDecodeContext(
      DecodePage<DBCluster>("DescribeDBClusters", xml, "DBClusters", "DBCluster", ReadDBCluster),
      "DescribeDBClusters");
}

Result<Page<DBSnapshot>> DecodeDescribeDBSnapshotsResponse(std::string_view xml) {
  return WithDecodeContext(DecodePage<DBSnapshot>("DescribeDBSnapshots", xml, "DBSnapshots",
                                                  "DBSnapshot", ReadDBSnapshot),
                           "DescribeDBSnapshots");
}

Result<Page<DBClusterSnapshot>> DecodeDescribeDBClusterSnapshotsResponse(std::string_view xml) {
  return WithDecodeContext(
      DecodePage<DBClusterSnapshot>("DescribeDBClusterSnapshots", xml, "DBClusterSnapshots",
                                    "DBClusterSnapshot", ReadDBClusterSnapshot),
      "DescribeDBClusterSnapshots");
}

Result<Page<Event>> DecodeDescribeEventsResponse(std::string_view xml) {
  return WithDecodeContext(DecodePage<Event>("DescribeEvents", xml, "Events", "Event", ReadEvent),
                           "DescribeEvents");
}

Result<DBSnapshot> DecodeDBSnapshotResponse(std::string_view action, std::string_view xml) {
  return WithDecodeContext(DecodeOne<DBSnapshot>(action, xml, "DBSnapshot", ReadDBSnapshot),
                           action);
}

Result<DBClusterSnapshot> DecodeDBClusterSnapshotResponse(std::string_view action,
                                                          std::string_view xml) {
  return WithDecodeContext(
      DecodeOne<DBClusterSnapshot>(action, xml, "DBClusterSnapshot", ReadDBClusterSnapshot),
      action);
}

Result<DBInstance> DecodeDBInstanceResponse(std::string_view action, std::string_view xml) {
  return WithDecodeContext(DecodeOne<DBInstance>(action, xml, "DBInstance", ReadDBInstance),
                           action);
}

Result<DBCluster> DecodeDBClusterResponse(std::string_view action, std::string_view xml) {
  return WithDecodeContext(DecodeOne<DBCluster>(action, xml, "DBCluster", ReadDBCluster), action);
}

Result<DBSnapshotAttributesResult> DecodeSnapshotAttributesResponse(std::string_view action,
                                                                    std::string_view xml,
                                                                    bool cluster) {
  const char* element =
      cluster ? "DBClusterSnapshotAttributesResult" : "DBSnapshotAttributesResult";
  const char* id_name = cluster ? "DBClusterSnapshotIdentifier" : "DBSnapshotIdentifier";
  const char* list = cluster ? "DBClusterSnapshotAttributes" : "DBSnapshotAttributes";
  const char* member = cluster ? "DBClusterSnapshotAttribute" : "DBSnapshotAttribute";
  auto read = [&](pugi::xml_node n, DBSnapshotAttributesResult* out) -> Status {
    out->snapshot_identifier = xml::ChildText(n, id_name);
    for (pugi::xml_node a : xml::ListItems(n, list, member)) {
      DBSnapshotAttribute attr;
      xml::FieldReader r(a);
      r.String("AttributeName", &attr.attribute_name);
      r.StringList("AttributeValues", "AttributeValue", &attr.attribute_values);
      DRSNAP_RETURN_IF_ERROR(r.status());
      out->attributes.push_back(std::move(attr));
    }
    return OkStatus();
  };
  return WithDecodeContext(DecodeOne<DBSnapshotAttributesResult>(action, xml, element, read),
                           action);
}

Result<std::vector<Tag>> DecodeListTagsForResourceResponse(std::string_view xml) {
  auto decode = [&]() -> Result<std::vector<Tag>> {
    DRSNAP_ASSIGN_OR_RETURN(auto doc, xml::Parse(xml));
    DRSNAP_ASSIGN_OR_RETURN(pugi::xml_node result, xml::ResultNode(*doc, "ListTagsForResource"));
    return ReadTags(result);
  };
  return WithDecodeContext(decode(), "ListTagsForResource");
}

// ------------------------------------------------------------ client

std::string DefaultRdsEndpointUrl(std::string_view region) {
  return "https://rds." + std::string(region) + "." + PartitionForRegion(region).dns_suffix;
}

RdsClient::RdsClient(std::shared_ptr<ServiceClient> client, RdsEndpointResolver source_endpoints,
                     PaginationLimits pagination)
    : client_(std::move(client)),
      source_endpoints_(std::move(source_endpoints)),
      pagination_(pagination) {}

const std::string& RdsClient::region() const { return client_->endpoint().signing_region; }

Result<Page<DBInstance>> RdsClient::DescribeDBInstances(const DescribeDBInstancesRequest& req) {
  QueryBuilder q;
  q.AddIfSet("DBInstanceIdentifier", req.db_instance_identifier);
  AddFilters(q, req.filters);
  q.AddIfSet("MaxRecords", req.max_records);
  q.AddIfSet("Marker", req.marker);
  DRSNAP_ASSIGN_OR_RETURN(std::string body,
                          client_->CallQuery("DescribeDBInstances", kRdsVersion, q.params()));
  return DecodeDescribeDBInstancesResponse(body);
}

Result<Page<DBCluster>> RdsClient::DescribeDBClusters(const DescribeDBClustersRequest& req) {
  QueryBuilder q;
  q.AddIfSet("DBClusterIdentifier", req.db_cluster_identifier);
  AddFilters(q, req.filters);
  q.AddIfSet("MaxRecords", req.max_records);
  q.AddIfSet("Marker", req.marker);
  q.AddIfSet("IncludeShared", req.include_shared);
  DRSNAP_ASSIGN_OR_RETURN(std::string body,
                          client_->CallQuery("DescribeDBClusters", kRdsVersion, q.params()));
  return DecodeDescribeDBClustersResponse(body);
}

Result<Page<DBSnapshot>> RdsClient::DescribeDBSnapshots(const DescribeDBSnapshotsRequest& req) {
  QueryBuilder q;
  q.AddIfSet("DBInstanceIdentifier", req.db_instance_identifier);
  q.AddIfSet("DBSnapshotIdentifier", req.db_snapshot_identifier);
  q.AddIfSet("SnapshotType", req.snapshot_type);
  AddFilters(q, req.filters);
  q.AddIfSet("MaxRecords", req.max_records);
  q.AddIfSet("Marker", req.marker);
  q.AddIfSet("IncludeShared", req.include_shared);
  q.AddIfSet("IncludePublic", req.include_public);
  q.AddIfSet("DbiResourceId", req.dbi_resource_id);
  DRSNAP_ASSIGN_OR_RETURN(std::string body,
                          client_->CallQuery("DescribeDBSnapshots", kRdsVersion, q.params()));
  return DecodeDescribeDBSnapshotsResponse(body);
}

Result<Page<DBClusterSnapshot>> RdsClient::DescribeDBClusterSnapshots(
    const DescribeDBClusterSnapshotsRequest& req) {
  QueryBuilder q;
  q.AddIfSet("DBClusterIdentifier", req.db_cluster_identifier);
  q.AddIfSet("DBClusterSnapshotIdentifier", req.db_cluster_snapshot_identifier);
  q.AddIfSet("SnapshotType", req.snapshot_type);
  AddFilters(q, req.filters);
  q.AddIfSet("MaxRecords", req.max_records);
  q.AddIfSet("Marker", req.marker);
  q.AddIfSet("IncludeShared", req.include_shared);
  q.AddIfSet("IncludePublic", req.include_public);
  q.AddIfSet("DbClusterResourceId", req.db_cluster_resource_id);
  DRSNAP_ASSIGN_OR_RETURN(
      std::string body, client_->CallQuery("DescribeDBClusterSnapshots", kRdsVersion, q.params()));
  return DecodeDescribeDBClusterSnapshotsResponse(body);
}

Result<Page<Event>> RdsClient::DescribeEvents(const DescribeEventsRequest& req) {
  QueryBuilder q;
  q.AddIfSet("SourceIdentifier", req.source_identifier);
  q.AddIfSet("SourceType", req.source_type);
  q.AddIfSet("StartTime", req.start_time);
  q.AddIfSet("EndTime", req.end_time);
  q.AddIfSet("Duration", req.duration);
  q.AddList("EventCategories", "EventCategory", req.event_categories);
  AddFilters(q, req.filters);
  q.AddIfSet("MaxRecords", req.max_records);
  q.AddIfSet("Marker", req.marker);
  DRSNAP_ASSIGN_OR_RETURN(std::string body,
                          client_->CallQuery("DescribeEvents", kRdsVersion, q.params()));
  return DecodeDescribeEventsResponse(body);
}

Result<std::vector<DBInstance>> RdsClient::DescribeDBInstancesAll(
    DescribeDBInstancesRequest request) {
  return WalkPages<DBInstance>(
      std::move(request), [this](const auto& r) { return DescribeDBInstances(r); },
      "DescribeDBInstances", pagination_, *client_->context().clock);
}

Result<std::vector<DBCluster>> RdsClient::DescribeDBClustersAll(DescribeDBClustersRequest request) {
  return WalkPages<DBCluster>(
      std::move(request), [this](const auto& r) { return DescribeDBClusters(r); },
      "DescribeDBClusters", pagination_, *client_->context().clock);
}

Result<std::vector<DBSnapshot>> RdsClient::DescribeDBSnapshotsAll(
    DescribeDBSnapshotsRequest request) {
  return WalkPages<DBSnapshot>(
      std::move(request), [this](const auto& r) { return DescribeDBSnapshots(r); },
      "DescribeDBSnapshots", pagination_, *client_->context().clock);
}

Result<std::vector<DBClusterSnapshot>> RdsClient::DescribeDBClusterSnapshotsAll(
    DescribeDBClusterSnapshotsRequest request) {
  return WalkPages<DBClusterSnapshot>(
      std::move(request), [this](const auto& r) { return DescribeDBClusterSnapshots(r); },
      "DescribeDBClusterSnapshots", pagination_, *client_->context().clock);
}

Result<std::vector<Event>> RdsClient::DescribeEventsAll(DescribeEventsRequest request) {
  return WalkPages<Event>(
      std::move(request), [this](const auto& r) { return DescribeEvents(r); }, "DescribeEvents",
      pagination_, *client_->context().clock);
}

Result<DBSnapshot> RdsClient::CreateDBSnapshot(const CreateDBSnapshotRequest& req) {
  constexpr std::string_view kAction = "CreateDBSnapshot";
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "DBSnapshotIdentifier", req.db_snapshot_identifier));
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "DBInstanceIdentifier", req.db_instance_identifier));
  QueryBuilder q;
  q.Add("DBSnapshotIdentifier", req.db_snapshot_identifier);
  q.Add("DBInstanceIdentifier", req.db_instance_identifier);
  AddTags(q, req.tags);
  auto body = client_->CallQuery(kAction, kRdsVersion, q.params());
  if (!body) {
    return Fail(std::move(body).error().With("snapshot " + req.db_snapshot_identifier +
                                             " of DB instance " + req.db_instance_identifier));
  }
  return DecodeDBSnapshotResponse(kAction, *body);
}

Result<DBClusterSnapshot> RdsClient::CreateDBClusterSnapshot(
    const CreateDBClusterSnapshotRequest& req) {
  constexpr std::string_view kAction = "CreateDBClusterSnapshot";
  DRSNAP_RETURN_IF_ERROR(
      Require(kAction, "DBClusterSnapshotIdentifier", req.db_cluster_snapshot_identifier));
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "DBClusterIdentifier", req.db_cluster_identifier));
  QueryBuilder q;
  q.Add("DBClusterSnapshotIdentifier", req.db_cluster_snapshot_identifier);
  q.Add("DBClusterIdentifier", req.db_cluster_identifier);
  AddTags(q, req.tags);
  auto body = client_->CallQuery(kAction, kRdsVersion, q.params());
  if (!body) {
    return Fail(std::move(body).error().With("cluster snapshot " +
                                             req.db_cluster_snapshot_identifier +
                                             " of DB cluster " + req.db_cluster_identifier));
  }
  return DecodeDBClusterSnapshotResponse(kAction, *body);
}

Result<std::string> RdsClient::PresignedUrlFor(std::string_view action, const QueryParams& params,
                                               const std::string& source_region) {
  Result<std::string> endpoint = DefaultRdsEndpointUrl(source_region);
  if (source_endpoints_) {
    auto resolved = source_endpoints_(source_region);
    endpoint = resolved ? Result<std::string>(resolved->url)
                        : Result<std::string>(Fail(std::move(resolved).error()));
  }
  if (!endpoint) {
    return Fail(std::move(endpoint).error().With("resolving the RDS endpoint of source region " +
                                                 source_region));
  }
  const ClientContext& ctx = client_->context();
  if (!ctx.credentials) {
    return Fail(Error::Terminal("MissingCredentials",
                                "a cross-region copy needs credentials to presign the source "
                                "region request, and this client has none"));
  }
  DRSNAP_ASSIGN_OR_RETURN(Credentials creds, ctx.credentials->Get());
  TimePoint now = ctx.clock ? ctx.clock->Now() : std::chrono::system_clock::now();
  return RdsPresignedUrl(action, params, source_region, region(), *endpoint, creds, now);
}

Result<DBSnapshot> RdsClient::CopyDBSnapshot(const CopyDBSnapshotRequest& req) {
  constexpr std::string_view kAction = "CopyDBSnapshot";
  DRSNAP_RETURN_IF_ERROR(
      Require(kAction, "SourceDBSnapshotIdentifier", req.source_db_snapshot_identifier));
  DRSNAP_RETURN_IF_ERROR(
      Require(kAction, "TargetDBSnapshotIdentifier", req.target_db_snapshot_identifier));
  std::string what = "copy " + req.source_db_snapshot_identifier + " to " +
                     req.target_db_snapshot_identifier + " in " + region();
  QueryBuilder q;
  q.Add("SourceDBSnapshotIdentifier", req.source_db_snapshot_identifier);
  q.Add("TargetDBSnapshotIdentifier", req.target_db_snapshot_identifier);
  q.AddIfSet("KmsKeyId", req.kms_key_id);
  AddTags(q, req.tags);
  q.AddIfSet("CopyTags", req.copy_tags);
  q.AddIfSet("OptionGroupName", req.option_group_name);
  q.AddIfSet("CopyOptionGroup", req.copy_option_group);
  if (!req.pre_signed_url.empty()) {
    q.Add("PreSignedUrl", req.pre_signed_url);
  } else if (!req.source_region.empty()) {
    auto url = PresignedUrlFor(kAction, q.params(), req.source_region);
    if (!url) return Fail(std::move(url).error().With(what));
    q.Add("PreSignedUrl", *url);
  }
  auto body = client_->CallQuery(kAction, kRdsVersion, q.params());
  if (!body) return Fail(std::move(body).error().With(what));
  return DecodeDBSnapshotResponse(kAction, *body);
}

Result<DBClusterSnapshot> RdsClient::CopyDBClusterSnapshot(
    const CopyDBClusterSnapshotRequest& req) {
  constexpr std::string_view kAction = "CopyDBClusterSnapshot";
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "SourceDBClusterSnapshotIdentifier",
                                 req.source_db_cluster_snapshot_identifier));
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "TargetDBClusterSnapshotIdentifier",
                                 req.target_db_cluster_snapshot_identifier));
  std::string what = "copy " + req.source_db_cluster_snapshot_identifier + " to " +
                     req.target_db_cluster_snapshot_identifier + " in " + region();
  QueryBuilder q;
  q.Add("SourceDBClusterSnapshotIdentifier", req.source_db_cluster_snapshot_identifier);
  q.Add("TargetDBClusterSnapshotIdentifier", req.target_db_cluster_snapshot_identifier);
  q.AddIfSet("KmsKeyId", req.kms_key_id);
  q.AddIfSet("CopyTags", req.copy_tags);
  AddTags(q, req.tags);
  if (!req.pre_signed_url.empty()) {
    q.Add("PreSignedUrl", req.pre_signed_url);
  } else if (!req.source_region.empty()) {
    auto url = PresignedUrlFor(kAction, q.params(), req.source_region);
    if (!url) return Fail(std::move(url).error().With(what));
    q.Add("PreSignedUrl", *url);
  }
  auto body = client_->CallQuery(kAction, kRdsVersion, q.params());
  if (!body) return Fail(std::move(body).error().With(what));
  return DecodeDBClusterSnapshotResponse(kAction, *body);
}

Result<DBSnapshot> RdsClient::DeleteDBSnapshot(const std::string& id) {
  constexpr std::string_view kAction = "DeleteDBSnapshot";
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "DBSnapshotIdentifier", id));
  QueryBuilder q;
  q.Add("DBSnapshotIdentifier", id);
  auto body = client_->CallQuery(kAction, kRdsVersion, q.params());
  if (!body) return Fail(std::move(body).error().With("snapshot " + id));
  return DecodeDBSnapshotResponse(kAction, *body);
}

Result<DBClusterSnapshot> RdsClient::DeleteDBClusterSnapshot(const std::string& id) {
  constexpr std::string_view kAction = "DeleteDBClusterSnapshot";
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "DBClusterSnapshotIdentifier", id));
  QueryBuilder q;
  q.Add("DBClusterSnapshotIdentifier", id);
  auto body = client_->CallQuery(kAction, kRdsVersion, q.params());
  if (!body) return Fail(std::move(body).error().With("cluster snapshot " + id));
  return DecodeDBClusterSnapshotResponse(kAction, *body);
}

Result<DBSnapshotAttributesResult> RdsClient::ModifyDBSnapshotAttribute(
    const ModifyDBSnapshotAttributeRequest& req) {
  constexpr std::string_view kAction = "ModifyDBSnapshotAttribute";
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "DBSnapshotIdentifier", req.db_snapshot_identifier));
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "AttributeName", req.attribute_name));
  QueryBuilder q;
  q.Add("DBSnapshotIdentifier", req.db_snapshot_identifier);
  q.Add("AttributeName", req.attribute_name);
  q.AddList("ValuesToAdd", "AttributeValue", req.values_to_add);
  q.AddList("ValuesToRemove", "AttributeValue", req.values_to_remove);
  auto body = client_->CallQuery(kAction, kRdsVersion, q.params());
  if (!body) return Fail(std::move(body).error().With("snapshot " + req.db_snapshot_identifier));
  return DecodeSnapshotAttributesResponse(kAction, *body, /*cluster=*/false);
}

Result<std::vector<AccountQuota>> RdsClient::DescribeAccountAttributes() {
  constexpr std::string_view kAction = "DescribeAccountAttributes";
  QueryBuilder q;
  auto body = client_->CallQuery(kAction, kRdsVersion, q.params());
  if (!body) return Fail(std::move(body).error());
  auto decode = [&]() -> Result<std::vector<AccountQuota>> {
    DRSNAP_ASSIGN_OR_RETURN(auto doc, xml::Parse(*body));
    DRSNAP_ASSIGN_OR_RETURN(pugi::xml_node result, xml::ResultNode(*doc, kAction));
    std::vector<AccountQuota> out;
    for (pugi::xml_node n : xml::ListItems(result, "AccountQuotas", "AccountQuota")) {
      AccountQuota quota;
      xml::FieldReader r(n);
      r.String("AccountQuotaName", &quota.account_quota_name);
      r.Int64("Used", &quota.used);
      r.Int64("Max", &quota.max);
      DRSNAP_RETURN_IF_ERROR(r.status());
      out.push_back(std::move(quota));
    }
    return out;
  };
  return WithDecodeContext(decode(), kAction);
}

Result<DBSnapshotAttributesResult> RdsClient::DescribeDBSnapshotAttributes(const std::string& id) {
  constexpr std::string_view kAction = "DescribeDBSnapshotAttributes";
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "DBSnapshotIdentifier", id));
  QueryBuilder q;
  q.Add("DBSnapshotIdentifier", id);
  auto body = client_->CallQuery(kAction, kRdsVersion, q.params());
  if (!body) return Fail(std::move(body).error().With("snapshot " + id));
  return DecodeSnapshotAttributesResponse(kAction, *body, /*cluster=*/false);
}

Result<DBSnapshotAttributesResult> RdsClient::ModifyDBClusterSnapshotAttribute(
    const ModifyDBClusterSnapshotAttributeRequest& req) {
  constexpr std::string_view kAction = "ModifyDBClusterSnapshotAttribute";
  DRSNAP_RETURN_IF_ERROR(
      Require(kAction, "DBClusterSnapshotIdentifier", req.db_cluster_snapshot_identifier));
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "AttributeName", req.attribute_name));
  QueryBuilder q;
  q.Add("DBClusterSnapshotIdentifier", req.db_cluster_snapshot_identifier);
  q.Add("AttributeName", req.attribute_name);
  q.AddList("ValuesToAdd", "AttributeValue", req.values_to_add);
  q.AddList("ValuesToRemove", "AttributeValue", req.values_to_remove);
  auto body = client_->CallQuery(kAction, kRdsVersion, q.params());
  if (!body) {
    return Fail(
        std::move(body).error().With("cluster snapshot " + req.db_cluster_snapshot_identifier));
  }
  return DecodeSnapshotAttributesResponse(kAction, *body, /*cluster=*/true);
}

Result<DBSnapshotAttributesResult> RdsClient::DescribeDBClusterSnapshotAttributes(
    const std::string& id) {
  constexpr std::string_view kAction = "DescribeDBClusterSnapshotAttributes";
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "DBClusterSnapshotIdentifier", id));
  QueryBuilder q;
  q.Add("DBClusterSnapshotIdentifier", id);
  auto body = client_->CallQuery(kAction, kRdsVersion, q.params());
  if (!body) return Fail(std::move(body).error().With("cluster snapshot " + id));
  return DecodeSnapshotAttributesResponse(kAction, *body, /*cluster=*/true);
}

Status RdsClient::AddTagsToResource(const std::string& resource_name,
                                    const std::vector<Tag>& tags) {
  constexpr std::string_view kAction = "AddTagsToResource";
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "ResourceName", resource_name));
  if (tags.empty()) {
    return Fail(Error::Terminal("MissingParameter", "AddTagsToResource: Tags is required"));
  }
  QueryBuilder q;
  q.Add("ResourceName", resource_name);
  AddTags(q, tags);
  auto body = client_->CallQuery(kAction, kRdsVersion, q.params());
  if (!body) return Fail(std::move(body).error().With("resource " + resource_name));
  // The response carries only ResponseMetadata; still insist it is ours.
  auto doc = xml::Parse(*body);
  if (!doc) return Fail(std::move(doc).error().With("decoding the AddTagsToResource response"));
  auto result = xml::ResultNode(**doc, kAction, /*allow_missing_result=*/true);
  if (!result) {
    return Fail(std::move(result).error().With("decoding the AddTagsToResource response"));
  }
  return OkStatus();
}

Result<std::vector<Tag>> RdsClient::ListTagsForResource(const std::string& resource_name) {
  constexpr std::string_view kAction = "ListTagsForResource";
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "ResourceName", resource_name));
  QueryBuilder q;
  q.Add("ResourceName", resource_name);
  auto body = client_->CallQuery(kAction, kRdsVersion, q.params());
  if (!body) return Fail(std::move(body).error().With("resource " + resource_name));
  return DecodeListTagsForResourceResponse(*body);
}

// A response that carries nothing drsnap reads: still insist it is the
// answer to `action`.
static Status ExpectResponse(std::string_view action, const std::string& body) {
  auto doc = xml::Parse(body);
  if (!doc)
    return Fail(std::move(doc).error().With("decoding the " + std::string(action) + " response"));
  auto result = xml::ResultNode(**doc, action, /*allow_missing_result=*/true);
  if (!result)
    return Fail(
        std::move(result).error().With("decoding the " + std::string(action) + " response"));
  return OkStatus();
}

Status RdsClient::RemoveTagsFromResource(const std::string& resource_name,
                                         const std::vector<std::string>& tag_keys) {
  constexpr std::string_view kAction = "RemoveTagsFromResource";
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "ResourceName", resource_name));
  if (tag_keys.empty())
    return Fail(Error::Terminal("MissingParameter", "RemoveTagsFromResource: TagKeys is required"));
  QueryBuilder q;
  q.Add("ResourceName", resource_name);
  for (size_t i = 0; i < tag_keys.size(); ++i)
    q.Add("TagKeys.member." + std::to_string(i + 1), tag_keys[i]);
  auto body = client_->CallQuery(kAction, kRdsVersion, q.params());
  if (!body) return Fail(std::move(body).error().With("resource " + resource_name));
  return ExpectResponse(kAction, *body);
}

Status RdsClient::CreateDBParameterGroup(const std::string& name, const std::string& family,
                                         const std::string& description,
                                         const std::vector<Tag>& tags) {
  constexpr std::string_view kAction = "CreateDBParameterGroup";
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "DBParameterGroupName", name));
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "DBParameterGroupFamily", family));
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "Description", description));
  QueryBuilder q;
  q.Add("DBParameterGroupName", name);
  q.Add("DBParameterGroupFamily", family);
  q.Add("Description", description);
  AddTags(q, tags);
  auto body = client_->CallQuery(kAction, kRdsVersion, q.params());
  if (!body) return Fail(std::move(body).error().With("parameter group " + name));
  return ExpectResponse(kAction, *body);
}

Result<DBInstance> RdsClient::RestoreDBInstanceFromDBSnapshot(
    const RestoreDBInstanceFromDBSnapshotRequest& req) {
  constexpr std::string_view kAction = "RestoreDBInstanceFromDBSnapshot";
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "DBInstanceIdentifier", req.db_instance_identifier));
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "DBSnapshotIdentifier", req.db_snapshot_identifier));
  QueryBuilder q;
  q.Add("DBInstanceIdentifier", req.db_instance_identifier);
  q.Add("DBSnapshotIdentifier", req.db_snapshot_identifier);
  q.AddIfSet("DBInstanceClass", req.db_instance_class);
  q.AddIfSet("Port", req.port);
  q.AddIfSet("AvailabilityZone", req.availability_zone);
  q.AddIfSet("DBSubnetGroupName", req.db_subnet_group_name);
  q.AddIfSet("MultiAZ", req.multi_az);
  q.AddIfSet("PubliclyAccessible", req.publicly_accessible);
  q.AddIfSet("OptionGroupName", req.option_group_name);
  AddTags(q, req.tags);
  q.AddIfSet("StorageType", req.storage_type);
  q.AddList("VpcSecurityGroupIds", "VpcSecurityGroupId", req.vpc_security_group_ids);
  q.AddIfSet("DBParameterGroupName", req.db_parameter_group_name);
  q.AddIfSet("DeletionProtection", req.deletion_protection);
  auto body = client_->CallQuery(kAction, kRdsVersion, q.params());
  if (!body) {
    return Fail(std::move(body).error().With("restore " + req.db_snapshot_identifier + " to " +
                                             req.db_instance_identifier));
  }
  return DecodeDBInstanceResponse(kAction, *body);
}

Result<DBCluster> RdsClient::RestoreDBClusterFromSnapshot(
    const RestoreDBClusterFromSnapshotRequest& req) {
  constexpr std::string_view kAction = "RestoreDBClusterFromSnapshot";
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "DBClusterIdentifier", req.db_cluster_identifier));
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "SnapshotIdentifier", req.snapshot_identifier));
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "Engine", req.engine));
  QueryBuilder q;
  q.AddList("AvailabilityZones", "AvailabilityZone", req.availability_zones);
  q.Add("DBClusterIdentifier", req.db_cluster_identifier);
  q.Add("SnapshotIdentifier", req.snapshot_identifier);
  q.Add("Engine", req.engine);
  q.AddIfSet("EngineVersion", req.engine_version);
  q.AddIfSet("Port", req.port);
  q.AddIfSet("DBSubnetGroupName", req.db_subnet_group_name);
  q.AddIfSet("OptionGroupName", req.option_group_name);
  q.AddList("VpcSecurityGroupIds", "VpcSecurityGroupId", req.vpc_security_group_ids);
  AddTags(q, req.tags);
  q.AddIfSet("KmsKeyId", req.kms_key_id);
  q.AddIfSet("DBClusterParameterGroupName", req.db_cluster_parameter_group_name);
  q.AddIfSet("DeletionProtection", req.deletion_protection);
  auto body = client_->CallQuery(kAction, kRdsVersion, q.params());
  if (!body) {
    return Fail(std::move(body).error().With("restore " + req.snapshot_identifier + " to " +
                                             req.db_cluster_identifier));
  }
  return DecodeDBClusterResponse(kAction, *body);
}

Result<DBInstance> RdsClient::CreateDBInstance(const CreateDBInstanceRequest& req) {
  constexpr std::string_view kAction = "CreateDBInstance";
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "DBInstanceIdentifier", req.db_instance_identifier));
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "DBInstanceClass", req.db_instance_class));
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "Engine", req.engine));
  QueryBuilder q;
  q.AddIfSet("DBName", req.db_name);
  q.Add("DBInstanceIdentifier", req.db_instance_identifier);
  q.AddIfSet("AllocatedStorage", req.allocated_storage);
  q.Add("DBInstanceClass", req.db_instance_class);
  q.Add("Engine", req.engine);
  q.AddIfSet("MasterUsername", req.master_username);
  q.AddIfSet("MasterUserPassword", req.master_user_password);
  q.AddList("VpcSecurityGroupIds", "VpcSecurityGroupId", req.vpc_security_group_ids);
  q.AddIfSet("AvailabilityZone", req.availability_zone);
  q.AddIfSet("DBSubnetGroupName", req.db_subnet_group_name);
  q.AddIfSet("BackupRetentionPeriod", req.backup_retention_period);
  q.AddIfSet("PreferredBackupWindow", req.preferred_backup_window);
  q.AddIfSet("Port", req.port);
  q.AddIfSet("MultiAZ", req.multi_az);
  q.AddIfSet("EngineVersion", req.engine_version);
  q.AddIfSet("OptionGroupName", req.option_group_name);
  q.AddIfSet("PubliclyAccessible", req.publicly_accessible);
  AddTags(q, req.tags);
  q.AddIfSet("DBClusterIdentifier", req.db_cluster_identifier);
  q.AddIfSet("StorageType", req.storage_type);
  q.AddIfSet("StorageEncrypted", req.storage_encrypted);
  q.AddIfSet("KmsKeyId", req.kms_key_id);
  q.AddIfSet("DeletionProtection", req.deletion_protection);
  auto body = client_->CallQuery(kAction, kRdsVersion, q.params());
  if (!body) return Fail(std::move(body).error().With("DB instance " + req.db_instance_identifier));
  return DecodeDBInstanceResponse(kAction, *body);
}

Result<DBCluster> RdsClient::CreateDBCluster(const CreateDBClusterRequest& req) {
  constexpr std::string_view kAction = "CreateDBCluster";
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "DBClusterIdentifier", req.db_cluster_identifier));
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "Engine", req.engine));
  QueryBuilder q;
  q.AddList("AvailabilityZones", "AvailabilityZone", req.availability_zones);
  q.AddIfSet("BackupRetentionPeriod", req.backup_retention_period);
  q.AddIfSet("DatabaseName", req.database_name);
  q.Add("DBClusterIdentifier", req.db_cluster_identifier);
  q.AddList("VpcSecurityGroupIds", "VpcSecurityGroupId", req.vpc_security_group_ids);
  q.AddIfSet("DBSubnetGroupName", req.db_subnet_group_name);
  q.Add("Engine", req.engine);
  q.AddIfSet("EngineVersion", req.engine_version);
  q.AddIfSet("Port", req.port);
  q.AddIfSet("MasterUsername", req.master_username);
  q.AddIfSet("MasterUserPassword", req.master_user_password);
  q.AddIfSet("PreferredBackupWindow", req.preferred_backup_window);
  AddTags(q, req.tags);
  q.AddIfSet("StorageEncrypted", req.storage_encrypted);
  q.AddIfSet("KmsKeyId", req.kms_key_id);
  q.AddIfSet("EngineMode", req.engine_mode);
  q.AddIfSet("DBClusterInstanceClass", req.db_cluster_instance_class);
  q.AddIfSet("AllocatedStorage", req.allocated_storage);
  q.AddIfSet("StorageType", req.storage_type);
  q.AddIfSet("DeletionProtection", req.deletion_protection);
  auto body = client_->CallQuery(kAction, kRdsVersion, q.params());
  if (!body) return Fail(std::move(body).error().With("DB cluster " + req.db_cluster_identifier));
  return DecodeDBClusterResponse(kAction, *body);
}

Result<DBInstance> RdsClient::DeleteDBInstance(const DeleteDBInstanceRequest& req) {
  constexpr std::string_view kAction = "DeleteDBInstance";
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "DBInstanceIdentifier", req.db_instance_identifier));
  QueryBuilder q;
  q.Add("DBInstanceIdentifier", req.db_instance_identifier);
  q.AddIfSet("SkipFinalSnapshot", req.skip_final_snapshot);
  q.AddIfSet("FinalDBSnapshotIdentifier", req.final_db_snapshot_identifier);
  q.AddIfSet("DeleteAutomatedBackups", req.delete_automated_backups);
  auto body = client_->CallQuery(kAction, kRdsVersion, q.params());
  if (!body) return Fail(std::move(body).error().With("DB instance " + req.db_instance_identifier));
  return DecodeDBInstanceResponse(kAction, *body);
}

Result<DBCluster> RdsClient::DeleteDBCluster(const DeleteDBClusterRequest& req) {
  constexpr std::string_view kAction = "DeleteDBCluster";
  DRSNAP_RETURN_IF_ERROR(Require(kAction, "DBClusterIdentifier", req.db_cluster_identifier));
  QueryBuilder q;
  q.Add("DBClusterIdentifier", req.db_cluster_identifier);
  q.AddIfSet("SkipFinalSnapshot", req.skip_final_snapshot);
  q.AddIfSet("FinalDBSnapshotIdentifier", req.final_db_snapshot_identifier);
  q.AddIfSet("DeleteAutomatedBackups", req.delete_automated_backups);
  auto body = client_->CallQuery(kAction, kRdsVersion, q.params());
  if (!body) return Fail(std::move(body).error().With("DB cluster " + req.db_cluster_identifier));
  return DecodeDBClusterResponse(kAction, *body);
}

}  // namespace drsnap::aws
