"""Manual and automated snapshots: create, describe, delete, status progression."""

import re

import pytest
from botocore.exceptions import ClientError

from conftest import E1, PROD, all_snapshots, error_code


@pytest.mark.backends("sim", "moto")
def test_create_describe_delete_manual_snapshot(backend):
    rds = backend.rds(retries=False)
    out = rds.create_db_snapshot(DBInstanceIdentifier="orders", DBSnapshotIdentifier="orders-m1",
                                 Tags=[{"Key": "k", "Value": "v"}])["DBSnapshot"]
    assert out["DBSnapshotIdentifier"] == "orders-m1"
    assert out["DBInstanceIdentifier"] == "orders"
    assert out["SnapshotType"] == "manual"
    assert out["Engine"] == "postgres"
    assert out["Encrypted"] is True
    assert out["DBSnapshotArn"] == f"arn:aws:rds:{E1}:{PROD}:snapshot:orders-m1"
    backend.settle()
    got = rds.describe_db_snapshots(DBSnapshotIdentifier="orders-m1")["DBSnapshots"]
    assert len(got) == 1
    assert got[0]["Status"] == "available"
    assert {"Key": "k", "Value": "v"} in got[0]["TagList"]
    manual = {s["DBSnapshotIdentifier"] for s in all_snapshots(rds, SnapshotType="manual")}
    assert manual == {"orders-m1", "plain-seed"}
    deleted = rds.delete_db_snapshot(DBSnapshotIdentifier="orders-m1")["DBSnapshot"]
    assert deleted["DBSnapshotIdentifier"] == "orders-m1"
    with pytest.raises(ClientError) as e:
        rds.describe_db_snapshots(DBSnapshotIdentifier="orders-m1")
    assert error_code(e) == "DBSnapshotNotFound"


@pytest.mark.backends("sim", "moto")
def test_create_snapshot_duplicate(backend):
    rds = backend.rds(retries=False)
    with pytest.raises(ClientError) as e:
        rds.create_db_snapshot(DBInstanceIdentifier="plain", DBSnapshotIdentifier="plain-seed")
    assert error_code(e) == "DBSnapshotAlreadyExists"


@pytest.mark.backends("sim", "moto")
def test_create_snapshot_of_missing_db(backend):
    rds = backend.rds(retries=False)
    with pytest.raises(ClientError) as e:
        rds.create_db_snapshot(DBInstanceIdentifier="nope", DBSnapshotIdentifier="x1")
    assert error_code(e) == "DBInstanceNotFound"


@pytest.mark.backends("sim", "moto")
def test_delete_missing_snapshot(backend):
    with pytest.raises(ClientError) as e:
        backend.rds(retries=False).delete_db_snapshot(DBSnapshotIdentifier="nope")
    assert error_code(e) == "DBSnapshotNotFound"


@pytest.mark.backends("sim", "moto")
def test_cluster_snapshot_create_describe_delete(backend):
    backend.ensure_cluster()
    rds = backend.rds(retries=False)
    out = rds.create_db_cluster_snapshot(DBClusterIdentifier="ledger",
                                         DBClusterSnapshotIdentifier="ledger-m1")
    s = out["DBClusterSnapshot"]
    assert s["DBClusterSnapshotIdentifier"] == "ledger-m1"
    assert s["DBClusterIdentifier"] == "ledger"
    assert s["SnapshotType"] == "manual"
    assert s["StorageEncrypted"] is True
    assert s["DBClusterSnapshotArn"] == f"arn:aws:rds:{E1}:{PROD}:cluster-snapshot:ledger-m1"
    backend.settle()
    got = rds.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier="ledger-m1")
    assert got["DBClusterSnapshots"][0]["Status"] == "available"
    with pytest.raises(ClientError) as e:
        rds.create_db_cluster_snapshot(DBClusterIdentifier="ledger",
                                       DBClusterSnapshotIdentifier="ledger-m1")
    assert error_code(e) == "DBClusterSnapshotAlreadyExistsFault"
    rds.delete_db_cluster_snapshot(DBClusterSnapshotIdentifier="ledger-m1")
    with pytest.raises(ClientError) as e:
        rds.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier="ledger-m1")
    assert error_code(e) == "DBClusterSnapshotNotFoundFault"


def test_instance_snapshot_of_cluster_member_refused(sim):
    with pytest.raises(ClientError) as e:
        sim.rds(retries=False).create_db_snapshot(DBInstanceIdentifier="ledger-1",
                                                  DBSnapshotIdentifier="m1")
    assert error_code(e) == "InvalidDBInstanceState"


@pytest.mark.parametrize("bad", ["1starts-with-digit", "double--hyphen", "trailing-",
                                 "under_score", "rds:colon", "x" * 256, ""])
def test_create_snapshot_invalid_identifier(sim, bad):
    with pytest.raises(ClientError) as e:
        sim.rds(retries=False).create_db_snapshot(DBInstanceIdentifier="plain",
                                                  DBSnapshotIdentifier=bad)
    assert error_code(e) in ("InvalidParameterValue", "MissingParameter")
    if bad:
        assert error_code(e) == "InvalidParameterValue"


def test_cluster_snapshot_identifier_max_63(sim):
    rds = sim.rds(retries=False)
    rds.create_db_cluster_snapshot(DBClusterIdentifier="ledger",
                                   DBClusterSnapshotIdentifier="c" * 63)
    with pytest.raises(ClientError) as e:
        rds.create_db_cluster_snapshot(DBClusterIdentifier="ledger",
                                       DBClusterSnapshotIdentifier="c" * 64)
    assert error_code(e) == "InvalidParameterValue"


def test_instance_snapshot_identifier_max_255(sim):
    sim.rds(retries=False).create_db_snapshot(DBInstanceIdentifier="plain",
                                              DBSnapshotIdentifier="p" * 255)


def test_create_snapshot_aws_tag_refused(sim):
    with pytest.raises(ClientError) as e:
        sim.rds(retries=False).create_db_snapshot(
            DBInstanceIdentifier="plain", DBSnapshotIdentifier="t1",
            Tags=[{"Key": "aws:backup", "Value": "x"}])
    assert error_code(e) == "InvalidParameterValue"


def test_status_progression_creating_then_available(sim):
    rds = sim.rds()
    # orders: 100 GB at 500 MB/s = 205 s.
    s = rds.create_db_snapshot(DBInstanceIdentifier="orders",
                               DBSnapshotIdentifier="orders-m1")["DBSnapshot"]
    assert s["Status"] == "creating"
    assert s["PercentProgress"] == 0

    def look():
        return rds.describe_db_snapshots(DBSnapshotIdentifier="orders-m1")["DBSnapshots"][0]

    sim.advance(100)
    mid = look()
    assert mid["Status"] == "creating"
    assert 0 < mid["PercentProgress"] < 100
    sim.advance(60)
    later = look()
    assert later["Status"] == "creating"
    assert mid["PercentProgress"] < later["PercentProgress"] < 100
    sim.advance(60)
    done = look()
    assert done["Status"] == "available"
    assert done["PercentProgress"] == 100
    ids = [e["detail"]["EventID"] for e in sim.events()
           if e["detail"]["SourceIdentifier"] == "orders-m1"]
    assert ids == ["RDS-EVENT-0040", "RDS-EVENT-0042"]


def test_delete_while_creating_refused(sim):
    rds = sim.rds(retries=False)
    rds.create_db_snapshot(DBInstanceIdentifier="orders", DBSnapshotIdentifier="orders-m1")
    with pytest.raises(ClientError) as e:
        rds.delete_db_snapshot(DBSnapshotIdentifier="orders-m1")
    assert error_code(e) == "InvalidDBSnapshotState"


AUTO = re.compile(r"^rds:(?P<db>[a-z0-9-]+)-(?P<ts>\d{4}-\d\d-\d\d-\d\d-\d\d)$")


def test_automated_snapshots_after_advancing_time(sim):
    rds = sim.rds()
    assert all_snapshots(rds, SnapshotType="automated") == []
    sim.advance(4 * 3600 + 15 * 60)  # 04:15: orders' window (04:00-04:30) has opened
    auto = all_snapshots(rds, SnapshotType="automated")
    dbs = sorted(AUTO.match(s["DBSnapshotIdentifier"]).group("db") for s in auto)
    assert dbs == ["orders"]
    ts = AUTO.match(auto[0]["DBSnapshotIdentifier"]).group("ts")
    assert ts.startswith("2026-11-23-04-")
    assert auto[0]["SnapshotType"] == "automated"
    sim.advance(3 * 3600)  # 07:15: legacy (05:00) and plain (06:00) too, all finished
    auto = all_snapshots(rds, SnapshotType="automated")
    assert sorted(AUTO.match(s["DBSnapshotIdentifier"]).group("db") for s in auto) == \
        ["legacy", "orders", "plain"]
    assert {s["Status"] for s in auto} == {"available"}
    # The cluster has its own (03:00 window).
    cl = all_snapshots(rds, cluster=True, SnapshotType="automated")
    assert [AUTO.match(s["DBClusterSnapshotIdentifier"]).group("db") for s in cl] == ["ledger"]
    # One a day.
    sim.advance(24 * 3600)
    auto = all_snapshots(rds, SnapshotType="automated", DBInstanceIdentifier="orders")
    assert len(auto) == 2


def test_automated_snapshots_expire_after_retention(sim):
    rds = sim.rds()
    sim.advance(7 * 3600)
    plain = all_snapshots(rds, SnapshotType="automated", DBInstanceIdentifier="plain")
    assert len(plain) == 1  # retention 1 day
    first = plain[0]["DBSnapshotIdentifier"]
    sim.advance(24 * 3600 + 60)
    ids = [s["DBSnapshotIdentifier"]
           for s in all_snapshots(rds, SnapshotType="automated", DBInstanceIdentifier="plain")]
    assert first not in ids and len(ids) == 1


def test_automated_snapshot_cannot_be_deleted(sim):
    rds = sim.rds(retries=False)
    sim.advance(5 * 3600)
    auto = all_snapshots(rds, SnapshotType="automated", DBInstanceIdentifier="orders")[0]
    with pytest.raises(ClientError) as e:
        rds.delete_db_snapshot(DBSnapshotIdentifier=auto["DBSnapshotIdentifier"])
    assert error_code(e) == "InvalidDBSnapshotState"


def test_automated_snapshot_cannot_be_shared(sim):
    rds = sim.rds(retries=False)
    sim.advance(5 * 3600)
    auto = all_snapshots(rds, SnapshotType="automated", DBInstanceIdentifier="orders")[0]
    with pytest.raises(ClientError) as e:
        rds.modify_db_snapshot_attribute(DBSnapshotIdentifier=auto["DBSnapshotIdentifier"],
                                         AttributeName="restore", ValuesToAdd=["210987654321"])
    assert error_code(e) == "InvalidDBSnapshotState"
    attrs = rds.describe_db_snapshot_attributes(DBSnapshotIdentifier=auto["DBSnapshotIdentifier"])
    assert attrs["DBSnapshotAttributesResult"]["DBSnapshotAttributes"][0].get(
        "AttributeValues", []) == []


def test_manual_snapshot_quota(sim):
    sim.set_settings(manual_snapshot_quota=3)
    rds = sim.rds(retries=False)
    # plain-seed counts: two more fit.
    rds.create_db_snapshot(DBInstanceIdentifier="plain", DBSnapshotIdentifier="q1")
    rds.create_db_snapshot(DBInstanceIdentifier="plain", DBSnapshotIdentifier="q2")
    with pytest.raises(ClientError) as e:
        rds.create_db_snapshot(DBInstanceIdentifier="plain", DBSnapshotIdentifier="q3")
    assert error_code(e) == "SnapshotQuotaExceeded"
    # Automated snapshots do not count, and deleting frees a slot.
    sim.advance(3600)
    rds.delete_db_snapshot(DBSnapshotIdentifier="q1")
    rds.create_db_snapshot(DBInstanceIdentifier="plain", DBSnapshotIdentifier="q3")


def test_manual_snapshot_quota_default_100(sim):
    rds = sim.rds(retries=False)
    for i in range(99):  # plus plain-seed
        rds.create_db_snapshot(DBInstanceIdentifier="plain", DBSnapshotIdentifier=f"q{i}")
    with pytest.raises(ClientError) as e:
        rds.create_db_snapshot(DBInstanceIdentifier="plain", DBSnapshotIdentifier="q100")
    assert error_code(e) == "SnapshotQuotaExceeded"
    # The quota is per region.
    assert sim.rds(region="us-west-2").describe_db_snapshots()["DBSnapshots"] == []


def test_cli_create_describe_delete(sim):
    out = sim.cli("rds", "create-db-snapshot", "--db-instance-identifier", "plain",
                  "--db-snapshot-identifier", "cli-snap")
    assert out["DBSnapshot"]["Status"] == "creating"
    assert out["DBSnapshot"]["DBSnapshotIdentifier"] == "cli-snap"
    rc, text = sim.cli("rds", "delete-db-snapshot", "--db-snapshot-identifier", "nope",
                       check=False)
    assert rc != 0 and "DBSnapshotNotFound" in text
