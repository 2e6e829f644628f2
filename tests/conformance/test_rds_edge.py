"""Edge cases of listing, paging, identifiers and cross-account copies."""

import pytest
from botocore.exceptions import ClientError

from conftest import E1, PROD, VAULT, W2, all_snapshots, error_code


def ids(snaps, key="DBSnapshotIdentifier"):
    return [s[key] for s in snaps]


def test_describe_for_unknown_db_is_empty(sim):
    assert sim.rds().describe_db_snapshots(DBInstanceIdentifier="nope")["DBSnapshots"] == []


def test_identifiers_are_lowercased(sim):
    rds = sim.rds()
    out = rds.create_db_snapshot(DBInstanceIdentifier="PLAIN",
                                 DBSnapshotIdentifier="MySnap-1")["DBSnapshot"]
    assert out["DBSnapshotIdentifier"] == "mysnap-1"
    assert out["DBInstanceIdentifier"] == "plain"
    assert ids(rds.describe_db_snapshots(DBSnapshotIdentifier="MYSNAP-1")["DBSnapshots"]) == \
        ["mysnap-1"]


def test_describe_own_snapshot_by_arn(sim):
    arn = f"arn:aws:rds:{E1}:{PROD}:snapshot:plain-seed"
    got = sim.rds().describe_db_snapshots(DBSnapshotIdentifier=arn)["DBSnapshots"]
    assert ids(got) == ["plain-seed"]


def test_marker_survives_deletion_of_last_item(sim):
    rds = sim.rds()
    sim.set_settings(manual_snapshot_quota=200, copies_in_flight_quota=100)
    for i in range(45):
        rds.copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed",
                             TargetDBSnapshotIdentifier=f"m{i:03d}")
    sim.advance(3600)
    first = rds.describe_db_snapshots(MaxRecords=20)
    rds.delete_db_snapshot(DBSnapshotIdentifier=first["DBSnapshots"][-1]["DBSnapshotIdentifier"])
    rest = []
    marker = first["Marker"]
    while marker:
        page = rds.describe_db_snapshots(MaxRecords=20, Marker=marker)
        rest += page["DBSnapshots"]
        marker = page.get("Marker")
    got = ids(first["DBSnapshots"]) + ids(rest)
    assert len(got) == len(set(got)) == 46


def test_include_shared_paginates_across_own_and_shared(sim):
    prod, vault = sim.rds(), sim.rds("vault")
    sim.set_settings(copies_in_flight_quota=100)
    for i in range(25):
        prod.copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed",
                              TargetDBSnapshotIdentifier=f"s{i:03d}")
    sim.advance(3600)
    for i in range(25):
        prod.modify_db_snapshot_attribute(DBSnapshotIdentifier=f"s{i:03d}",
                                          AttributeName="restore", ValuesToAdd=[VAULT])
    for i in range(25):  # unencrypted: the vault copies without a key
        vault.copy_db_snapshot(
            SourceDBSnapshotIdentifier=f"arn:aws:rds:{E1}:{PROD}:snapshot:s{i:03d}",
            TargetDBSnapshotIdentifier=f"v{i:03d}")
    sim.advance(3600)
    pages = list(vault.get_paginator("describe_db_snapshots").paginate(
        IncludeShared=True, PaginationConfig={"PageSize": 20}))
    got = [s["DBSnapshotIdentifier"] for p in pages for s in p["DBSnapshots"]]
    assert [len(p["DBSnapshots"]) for p in pages] == [20, 20, 10]
    assert len(set(got)) == 50
    assert sum(1 for i in got if i.startswith("arn:")) == 25
    # Own only by default, shared only with SnapshotType=shared.
    assert len(all_snapshots(vault)) == 25
    assert len(all_snapshots(vault, SnapshotType="shared")) == 25


def test_cross_account_copy_does_not_copy_tags(sim):
    prod, vault = sim.rds(), sim.rds("vault")
    prod.modify_db_snapshot_attribute(DBSnapshotIdentifier="plain-seed",
                                      AttributeName="restore", ValuesToAdd=[VAULT])
    out = vault.copy_db_snapshot(
        SourceDBSnapshotIdentifier=f"arn:aws:rds:{E1}:{PROD}:snapshot:plain-seed",
        TargetDBSnapshotIdentifier="v1", CopyTags=True)["DBSnapshot"]
    assert out.get("TagList", []) == []
    assert out["SnapshotType"] == "manual"
    assert out["Encrypted"] is False


def test_cross_account_cross_region_unencrypted_in_one_step(sim):
    sim.rds().modify_db_snapshot_attribute(DBSnapshotIdentifier="plain-seed",
                                           AttributeName="restore", ValuesToAdd=[VAULT])
    west = sim.rds("vault", W2, retries=False)
    west.copy_db_snapshot(SourceDBSnapshotIdentifier=f"arn:aws:rds:{E1}:{PROD}:snapshot:plain-seed",
                          TargetDBSnapshotIdentifier="v-west", SourceRegion=E1)
    sim.advance(3600)
    assert west.describe_db_snapshots(DBSnapshotIdentifier="v-west")["DBSnapshots"][0][
        "Status"] == "available"


def test_public_snapshot_visible_to_others(sim):
    sim.rds().modify_db_snapshot_attribute(DBSnapshotIdentifier="plain-seed",
                                           AttributeName="restore", ValuesToAdd=["all"])
    vault = sim.rds("vault")
    pub = all_snapshots(vault, SnapshotType="public")
    assert ids(pub) == [f"arn:aws:rds:{E1}:{PROD}:snapshot:plain-seed"]
    assert pub[0]["SnapshotType"] == "public"
    assert all_snapshots(vault) == []
    assert len(all_snapshots(vault, IncludePublic=True)) == 1


def test_shared_cluster_snapshot_cross_account_copy(sim):
    rds = sim.rds()
    rds.create_db_cluster_snapshot(DBClusterIdentifier="ledger",
                                   DBClusterSnapshotIdentifier="l1")
    sim.advance(900)
    rds.modify_db_cluster_snapshot_attribute(DBClusterSnapshotIdentifier="l1",
                                             AttributeName="restore", ValuesToAdd=[VAULT])
    arn = f"arn:aws:rds:{E1}:{PROD}:cluster-snapshot:l1"
    v_east = sim.rds("vault", retries=False)
    with pytest.raises(ClientError) as e:  # encrypted + shared: own key required
        v_east.copy_db_cluster_snapshot(SourceDBClusterSnapshotIdentifier=arn,
                                        TargetDBClusterSnapshotIdentifier="l1-dr")
    assert error_code(e) == "InvalidParameterValue"
    v_east.copy_db_cluster_snapshot(SourceDBClusterSnapshotIdentifier=arn,
                                    TargetDBClusterSnapshotIdentifier="l1-dr",
                                    KmsKeyId="alias/vault")
    # Aurora: cross-account copies only within the region.
    with pytest.raises(ClientError) as e:
        sim.rds("vault", W2, retries=False).copy_db_cluster_snapshot(
            SourceDBClusterSnapshotIdentifier=arn, TargetDBClusterSnapshotIdentifier="l1-w",
            SourceRegion=E1, KmsKeyId="alias/vault")
    assert error_code(e) == "InvalidParameterCombination"
    sim.advance(7200)
    got = v_east.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier="l1-dr")
    assert got["DBClusterSnapshots"][0]["Status"] == "available"


def test_cluster_snapshot_pagination(sim):
    rds = sim.rds()
    for i in range(25):
        rds.create_db_cluster_snapshot(DBClusterIdentifier="ledger",
                                       DBClusterSnapshotIdentifier=f"c{i:03d}")
    pages = list(rds.get_paginator("describe_db_cluster_snapshots").paginate(
        PaginationConfig={"PageSize": 20}))
    assert [len(p["DBClusterSnapshots"]) for p in pages] == [20, 5]


def test_describe_events_paginates(sim):
    rds = sim.rds()
    sim.set_settings(copies_in_flight_quota=100)
    for i in range(15):
        rds.copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed",
                             TargetDBSnapshotIdentifier=f"e{i:03d}")
    sim.advance(2000)  # they queue (same source DB): 15 x 102 s; 30 events in the last hour
    pages = list(rds.get_paginator("describe_events").paginate(
        SourceType="db-snapshot", PaginationConfig={"PageSize": 20}))
    assert [len(p["Events"]) for p in pages] == [20, 10]


def test_copy_to_own_source_name(sim):
    with pytest.raises(ClientError) as e:
        sim.rds(retries=False).copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed",
                                                TargetDBSnapshotIdentifier="plain-seed")
    assert error_code(e) == "DBSnapshotAlreadyExists"


def test_invalid_snapshot_type(sim):
    with pytest.raises(ClientError) as e:
        sim.rds(retries=False).describe_db_snapshots(SnapshotType="bogus")
    assert error_code(e) == "InvalidParameterValue"


def test_copy_automated_keeps_source(sim):
    rds = sim.rds()
    sim.advance(7 * 3600)
    auto = all_snapshots(rds, SnapshotType="automated", DBInstanceIdentifier="plain")[0]
    out = rds.copy_db_snapshot(SourceDBSnapshotIdentifier=auto["DBSnapshotIdentifier"],
                               TargetDBSnapshotIdentifier="plain-keep")["DBSnapshot"]
    assert out["SnapshotType"] == "manual"
    assert out["OriginalSnapshotCreateTime"] == auto["OriginalSnapshotCreateTime"]
    sim.advance(600)
    assert auto["DBSnapshotIdentifier"] in ids(all_snapshots(rds, SnapshotType="automated"))


@pytest.mark.backends("sim", "moto")
def test_tag_values_round_trip_escaping(backend):
    rds = backend.rds()
    tags = [{"Key": "xml", "Value": "a<b&c>\"d'"}, {"Key": "space plus", "Value": "x y+z%20"},
            {"Key": "unicode", "Value": "Zürich ✓"}, {"Key": "empty", "Value": ""}]
    rds.copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed",
                         TargetDBSnapshotIdentifier="esc", Tags=tags)
    got = rds.describe_db_snapshots(DBSnapshotIdentifier="esc")["DBSnapshots"][0]["TagList"]
    assert {t["Key"]: t["Value"] for t in got} == {t["Key"]: t["Value"] for t in tags}


def test_filter_snapshot_id_by_arn(sim):
    arn = f"arn:aws:rds:{E1}:{PROD}:snapshot:plain-seed"
    got = sim.rds().describe_db_snapshots(
        Filters=[{"Name": "db-snapshot-id", "Values": [arn]}])["DBSnapshots"]
    assert ids(got) == ["plain-seed"]


def test_cannot_tag_someone_elses_snapshot(sim):
    sim.rds().modify_db_snapshot_attribute(DBSnapshotIdentifier="plain-seed",
                                           AttributeName="restore", ValuesToAdd=[VAULT])
    arn = f"arn:aws:rds:{E1}:{PROD}:snapshot:plain-seed"
    with pytest.raises(ClientError):
        sim.rds("vault", retries=False).add_tags_to_resource(
            ResourceName=arn, Tags=[{"Key": "k", "Value": "v"}])
    tags = sim.rds().list_tags_for_resource(ResourceName=arn)["TagList"]
    assert tags == [{"Key": "origin", "Value": "seed"}]


def test_shared_filter_by_db_instance(sim):
    rds = sim.rds()
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="plain-seed",
                                     AttributeName="restore", ValuesToAdd=[VAULT])
    vault = sim.rds("vault")
    assert len(all_snapshots(vault, SnapshotType="shared", DBInstanceIdentifier="plain")) == 1
    assert all_snapshots(vault, SnapshotType="shared", DBInstanceIdentifier="orders") == []


def test_concurrent_clients(sim):
    """Eight threads create, copy and list at once; nothing is lost or duplicated."""
    import threading
    sim.set_settings(manual_snapshot_quota=500, copies_in_flight_quota=500)
    errors = []

    def work(n):
        try:
            rds = sim.rds()  # botocore clients may be shared between threads
            for i in range(10):
                rds.copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed",
                                     TargetDBSnapshotIdentifier=f"t{n}-{i}")
                rds.describe_db_snapshots(MaxRecords=20)
        except Exception as e:  # reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    got = ids(all_snapshots(sim.rds(), SnapshotType="manual"))
    assert len(got) == len(set(got)) == 81
