"""DescribeDBInstances/Clusters, DescribeDBSnapshots: pagination, MaxRecords, filters."""

import pytest
from botocore.exceptions import ClientError

from conftest import E1, PROD, all_snapshots, base_world, error_code


@pytest.mark.backends("sim", "moto")
def test_describe_db_instances(backend):
    listed = backend.rds().describe_db_instances()["DBInstances"]
    dbs = {d["DBInstanceIdentifier"]: d for d in listed}
    assert {"orders", "plain"} <= set(dbs)
    o = dbs["orders"]
    assert o["Engine"] == "postgres"
    assert o["DBInstanceArn"] == f"arn:aws:rds:{E1}:{PROD}:db:orders"
    assert o["StorageEncrypted"] is True
    assert o["DBInstanceStatus"] == "available"
    assert {t["Key"]: t["Value"] for t in o["TagList"]} == {"team": "payments",
                                                            "drsnap": "protect"}
    one = backend.rds().describe_db_instances(DBInstanceIdentifier="orders")["DBInstances"]
    assert [d["DBInstanceIdentifier"] for d in one] == ["orders"]


@pytest.mark.backends("sim", "moto")
def test_describe_db_instances_not_found(backend):
    with pytest.raises(ClientError) as e:
        backend.rds(retries=False).describe_db_instances(DBInstanceIdentifier="nope")
    assert error_code(e) == "DBInstanceNotFound"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


@pytest.mark.backends("sim", "moto")
def test_describe_db_clusters(backend):
    backend.ensure_cluster()
    clusters = backend.rds().describe_db_clusters()["DBClusters"]
    ledger = [c for c in clusters if c["DBClusterIdentifier"] == "ledger"]
    assert len(ledger) == 1
    assert ledger[0]["Engine"] == "aurora-postgresql"
    assert ledger[0]["StorageEncrypted"] is True
    assert ledger[0]["DBClusterArn"] == f"arn:aws:rds:{E1}:{PROD}:cluster:ledger"


def test_describe_cluster_members_and_other_region(sim):
    ledger = sim.rds().describe_db_clusters(DBClusterIdentifier="ledger")["DBClusters"][0]
    assert sorted(m["DBInstanceIdentifier"] for m in ledger["DBClusterMembers"]) == \
        ["ledger-1", "ledger-2"]
    # Regions are separate: us-west-2 holds nothing.
    assert sim.rds(region="us-west-2").describe_db_instances()["DBInstances"] == []


def test_cli_describe_db_instances(sim):
    out = sim.cli("rds", "describe-db-instances")
    assert sorted(d["DBInstanceIdentifier"] for d in out["DBInstances"]) == \
        ["ledger-1", "ledger-2", "legacy", "orders", "plain"]


def many_snapshots_world(n):
    w = base_world(manual_snapshot_quota=500)
    plain = w["accounts"][0]["db_instances"][2]
    plain["snapshots"] = [{"id": f"snap-{i:04d}", "created": "2026-11-22T12:00:00Z"}
                          for i in range(n)]
    return w


@pytest.fixture
def world():
    return many_snapshots_world(137)


def test_pagination_sees_every_snapshot_once(sim):
    rds = sim.rds()
    pages = list(rds.get_paginator("describe_db_snapshots").paginate(
        DBInstanceIdentifier="plain", PaginationConfig={"PageSize": 20}))
    sizes = [len(p["DBSnapshots"]) for p in pages]
    assert sizes == [20] * 6 + [17]
    assert all("Marker" in p for p in pages[:-1]) and "Marker" not in pages[-1]
    ids = [s["DBSnapshotIdentifier"] for p in pages for s in p["DBSnapshots"]]
    assert len(ids) == len(set(ids)) == 137
    assert set(ids) == {f"snap-{i:04d}" for i in range(137)}


def test_pagination_default_page_is_100(sim):
    rds = sim.rds()
    page = rds.describe_db_snapshots()
    assert len(page["DBSnapshots"]) == 100
    rest = rds.describe_db_snapshots(Marker=page["Marker"])
    assert len(rest["DBSnapshots"]) == 37
    assert "Marker" not in rest


def test_pagination_max_items_resumes(sim):
    # botocore's own paging tokens over MaxRecords/Marker.
    p = sim.rds().get_paginator("describe_db_snapshots")
    first = p.paginate(PaginationConfig={"MaxItems": 50, "PageSize": 20}).build_full_result()
    assert len(first["DBSnapshots"]) == 50
    rest = p.paginate(PaginationConfig={"StartingToken": first["NextToken"],
                                        "PageSize": 20}).build_full_result()
    ids = [s["DBSnapshotIdentifier"] for s in first["DBSnapshots"] + rest["DBSnapshots"]]
    assert len(ids) == len(set(ids)) == 137


def test_cli_pagination(sim):
    out = sim.cli("rds", "describe-db-snapshots", "--page-size", "20")
    ids = [s["DBSnapshotIdentifier"] for s in out["DBSnapshots"]]
    assert len(ids) == len(set(ids)) == 137


@pytest.mark.parametrize("bad", [0, 19, 101, 1000])
def test_max_records_out_of_range(sim, bad):
    with pytest.raises(ClientError) as e:
        sim.rds(retries=False).describe_db_snapshots(MaxRecords=bad)
    assert error_code(e) == "InvalidParameterValue"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize("ok", [20, 100])
def test_max_records_bounds_accepted(sim, ok):
    assert len(sim.rds().describe_db_snapshots(MaxRecords=ok)["DBSnapshots"]) == ok


@pytest.mark.parametrize("op", ["describe_db_instances", "describe_db_clusters",
                                "describe_db_cluster_snapshots"])
def test_max_records_out_of_range_other_describes(sim, op):
    with pytest.raises(ClientError) as e:
        getattr(sim.rds(retries=False), op)(MaxRecords=101)
    assert error_code(e) == "InvalidParameterValue"


def test_filters(sim):
    rds = sim.rds()
    sim.advance(5 * 3600)  # orders' window 04:00 opens: an automated snapshot
    rds.create_db_snapshot(DBInstanceIdentifier="orders", DBSnapshotIdentifier="orders-m1")

    def ids(**kw):
        return {s["DBSnapshotIdentifier"] for s in all_snapshots(rds, **kw)}

    orders = ids(Filters=[{"Name": "db-instance-id", "Values": ["orders"]}])
    assert "orders-m1" in orders and any(i.startswith("rds:orders-") for i in orders)
    assert all(i == "orders-m1" or i.startswith("rds:orders-") for i in orders)
    # By ARN too.
    assert ids(Filters=[{"Name": "db-instance-id",
                         "Values": [f"arn:aws:rds:{E1}:{PROD}:db:orders"]}]) == orders
    auto = ids(Filters=[{"Name": "snapshot-type", "Values": ["automated"]}])
    assert auto and all(i.startswith("rds:") for i in auto)
    assert ids(SnapshotType="automated") == auto
    assert ids(Filters=[{"Name": "db-snapshot-id", "Values": ["orders-m1", "snap-0003"]}]) == \
        {"orders-m1", "snap-0003"}
    assert ids(Filters=[{"Name": "engine", "Values": ["mysql"]}]) == \
        {i for i in ids() if i.startswith("rds:legacy-")}
    # Two filters are ANDed.
    assert ids(Filters=[{"Name": "db-instance-id", "Values": ["orders"]},
                        {"Name": "snapshot-type", "Values": ["manual"]}]) == {"orders-m1"}
    assert ids(DBInstanceIdentifier="orders", SnapshotType="manual") == {"orders-m1"}
    # Filters combine with paging.
    got = ids(Filters=[{"Name": "db-instance-id", "Values": ["plain"]}],
              PaginationConfig={"PageSize": 20})
    assert len(got) == 137  # plain's window (06:00) has not opened yet


def test_unknown_filter_refused(sim):
    with pytest.raises(ClientError) as e:
        sim.rds(retries=False).describe_db_snapshots(
            Filters=[{"Name": "no-such-filter", "Values": ["x"]}])
    assert error_code(e) == "InvalidParameterValue"


def test_describe_snapshot_not_found(sim):
    with pytest.raises(ClientError) as e:
        sim.rds(retries=False).describe_db_snapshots(DBSnapshotIdentifier="missing")
    assert error_code(e) == "DBSnapshotNotFound"
    with pytest.raises(ClientError) as e:
        sim.rds(retries=False).describe_db_cluster_snapshots(
            DBClusterSnapshotIdentifier="missing")
    assert error_code(e) == "DBClusterSnapshotNotFoundFault"
