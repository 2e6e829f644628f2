"""Sharing: the restore attribute, its rules, and what the other account sees."""

import pytest
from botocore.exceptions import ClientError

from conftest import E1, PROD, VAULT, W2, all_snapshots, error_code


def restore_values(rds, snap, cluster=False):
    if cluster:
        r = rds.describe_db_cluster_snapshot_attributes(DBClusterSnapshotIdentifier=snap)
        attrs = r["DBClusterSnapshotAttributesResult"]["DBClusterSnapshotAttributes"]
    else:
        r = rds.describe_db_snapshot_attributes(DBSnapshotIdentifier=snap)
        attrs = r["DBSnapshotAttributesResult"]["DBSnapshotAttributes"]
    restore = [a for a in attrs if a["AttributeName"] == "restore"]
    assert len(restore) == 1
    return sorted(restore[0].get("AttributeValues", []))


@pytest.mark.backends("sim", "moto")
def test_restore_attribute_add_remove_describe(backend):
    rds = backend.rds(retries=False)
    assert restore_values(rds, "plain-seed") == []
    out = rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="plain-seed",
                                           AttributeName="restore",
                                           ValuesToAdd=[VAULT, "111122223333"])
    res = out["DBSnapshotAttributesResult"]
    assert res["DBSnapshotIdentifier"] == "plain-seed"
    assert restore_values(rds, "plain-seed") == sorted([VAULT, "111122223333"])
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="plain-seed", AttributeName="restore",
                                     ValuesToRemove=["111122223333"])
    assert restore_values(rds, "plain-seed") == [VAULT]


@pytest.mark.backends("sim", "moto")
def test_unencrypted_snapshot_can_be_public(backend):
    rds = backend.rds(retries=False)
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="plain-seed", AttributeName="restore",
                                     ValuesToAdd=["all"])
    assert restore_values(rds, "plain-seed") == ["all"]


@pytest.mark.backends("sim", "moto")
def test_cluster_restore_attribute(backend):
    backend.ensure_cluster()
    rds = backend.rds(retries=False)
    rds.create_db_cluster_snapshot(DBClusterIdentifier="ledger",
                                   DBClusterSnapshotIdentifier="ledger-m1")
    backend.settle()
    rds.modify_db_cluster_snapshot_attribute(DBClusterSnapshotIdentifier="ledger-m1",
                                             AttributeName="restore", ValuesToAdd=[VAULT])
    assert restore_values(rds, "ledger-m1", cluster=True) == [VAULT]
    rds.modify_db_cluster_snapshot_attribute(DBClusterSnapshotIdentifier="ledger-m1",
                                             AttributeName="restore", ValuesToRemove=[VAULT])
    assert restore_values(rds, "ledger-m1", cluster=True) == []


@pytest.mark.backends("sim", "moto")
def test_modify_attribute_missing_snapshot(backend):
    with pytest.raises(ClientError) as e:
        backend.rds(retries=False).modify_db_snapshot_attribute(
            DBSnapshotIdentifier="nope", AttributeName="restore", ValuesToAdd=[VAULT])
    assert error_code(e) == "DBSnapshotNotFound"


def test_encrypted_snapshot_cannot_be_public(sim):
    rds = sim.rds(retries=False)
    rds.create_db_snapshot(DBInstanceIdentifier="orders", DBSnapshotIdentifier="o1")
    sim.advance(600)
    with pytest.raises(ClientError) as e:
        rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="o1", AttributeName="restore",
                                         ValuesToAdd=["all"])
    assert error_code(e) == "InvalidParameterValue"
    assert restore_values(rds, "o1") == []
    # Sharing it with an account is fine (customer-managed key).
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="o1", AttributeName="restore",
                                     ValuesToAdd=[VAULT])
    assert restore_values(rds, "o1") == [VAULT]


def test_default_key_snapshot_cannot_be_shared(sim):
    rds = sim.rds(retries=False)
    rds.create_db_snapshot(DBInstanceIdentifier="legacy", DBSnapshotIdentifier="l1")
    sim.advance(600)
    snap = rds.describe_db_snapshots(DBSnapshotIdentifier="l1")["DBSnapshots"][0]
    kms = sim.client("kms").describe_key(KeyId=snap["KmsKeyId"])["KeyMetadata"]
    assert kms["KeyManager"] == "AWS"
    with pytest.raises(ClientError) as e:
        rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="l1", AttributeName="restore",
                                         ValuesToAdd=[VAULT])
    assert error_code(e) == "InvalidParameterValue"
    # Re-encrypted with a customer-managed key, it can.
    rds.copy_db_snapshot(SourceDBSnapshotIdentifier="l1", TargetDBSnapshotIdentifier="l1-cmk",
                         KmsKeyId="alias/prod-share")
    sim.advance(3600)
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="l1-cmk", AttributeName="restore",
                                     ValuesToAdd=[VAULT])


def test_share_while_creating_refused(sim):
    rds = sim.rds(retries=False)
    rds.create_db_snapshot(DBInstanceIdentifier="plain", DBSnapshotIdentifier="p1")
    with pytest.raises(ClientError) as e:
        rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="p1", AttributeName="restore",
                                         ValuesToAdd=[VAULT])
    assert error_code(e) == "InvalidDBSnapshotState"


def test_share_invalid_account_and_attribute(sim):
    rds = sim.rds(retries=False)
    with pytest.raises(ClientError) as e:
        rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="plain-seed",
                                         AttributeName="restore", ValuesToAdd=["12345"])
    assert error_code(e) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="plain-seed",
                                         AttributeName="copy", ValuesToAdd=[VAULT])
    assert error_code(e) == "InvalidParameterValue"


def test_share_max_20_accounts(sim):
    rds = sim.rds(retries=False)
    accounts = [f"{100000000000 + i}" for i in range(20)]
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="plain-seed", AttributeName="restore",
                                     ValuesToAdd=accounts)
    assert len(restore_values(rds, "plain-seed")) == 20
    with pytest.raises(ClientError) as e:
        rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="plain-seed",
                                         AttributeName="restore", ValuesToAdd=["999999999999"])
    assert error_code(e) == "SharedSnapshotQuotaExceeded"
    assert len(restore_values(rds, "plain-seed")) == 20
    # Swapping one for another in one call stays within the quota.
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="plain-seed", AttributeName="restore",
                                     ValuesToAdd=["999999999999"], ValuesToRemove=[accounts[0]])
    assert "999999999999" in restore_values(rds, "plain-seed")


def test_only_owner_can_modify_or_describe_attributes(sim):
    arn = f"arn:aws:rds:{E1}:{PROD}:snapshot:plain-seed"
    sim.rds().modify_db_snapshot_attribute(DBSnapshotIdentifier="plain-seed",
                                           AttributeName="restore", ValuesToAdd=[VAULT])
    vault = sim.rds("vault", retries=False)
    with pytest.raises(ClientError) as e:
        vault.modify_db_snapshot_attribute(DBSnapshotIdentifier=arn, AttributeName="restore",
                                           ValuesToAdd=["111122223333"])
    assert error_code(e) == "DBSnapshotNotFound"


def test_dr_account_sees_shared_snapshot(sim):
    rds = sim.rds()
    rds.create_db_snapshot(DBInstanceIdentifier="orders", DBSnapshotIdentifier="o1",
                           Tags=[{"Key": "secret", "Value": "owner-only"}])
    sim.advance(600)
    arn = f"arn:aws:rds:{E1}:{PROD}:snapshot:o1"
    vault = sim.rds("vault")
    assert all_snapshots(vault, SnapshotType="shared") == []
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="o1", AttributeName="restore",
                                     ValuesToAdd=[VAULT])
    # Not in the default listing (own snapshots only).
    assert all_snapshots(vault) == []
    shared = all_snapshots(vault, SnapshotType="shared")
    assert len(shared) == 1
    s = shared[0]
    assert s["DBSnapshotIdentifier"] == arn
    assert s["DBSnapshotArn"] == arn
    assert s["SnapshotType"] == "shared"
    assert s["Encrypted"] is True
    assert s.get("TagList", []) == []  # tags are not shared
    assert [x["DBSnapshotIdentifier"] for x in all_snapshots(vault, IncludeShared=True)] == [arn]
    # By ARN.
    got = vault.describe_db_snapshots(DBSnapshotIdentifier=arn)["DBSnapshots"]
    assert [x["DBSnapshotArn"] for x in got] == [arn]
    # Not in another region.
    assert all_snapshots(sim.rds("vault", W2), SnapshotType="shared") == []
    # Unshared: gone.
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="o1", AttributeName="restore",
                                     ValuesToRemove=[VAULT])
    assert all_snapshots(vault, SnapshotType="shared") == []
    with pytest.raises(ClientError) as e:
        sim.rds("vault", retries=False).describe_db_snapshots(DBSnapshotIdentifier=arn)
    assert error_code(e) == "DBSnapshotNotFound"


def test_dr_account_sees_shared_cluster_snapshot(sim):
    rds = sim.rds()
    rds.create_db_cluster_snapshot(DBClusterIdentifier="ledger",
                                   DBClusterSnapshotIdentifier="l1")
    sim.advance(900)
    rds.modify_db_cluster_snapshot_attribute(DBClusterSnapshotIdentifier="l1",
                                             AttributeName="restore", ValuesToAdd=[VAULT])
    shared = all_snapshots(sim.rds("vault"), cluster=True, SnapshotType="shared")
    assert [s["DBClusterSnapshotArn"] for s in shared] == \
        [f"arn:aws:rds:{E1}:{PROD}:cluster-snapshot:l1"]
    assert shared[0]["SnapshotType"] == "shared"


def test_shared_listing_paginates(sim):
    rds = sim.rds()
    sim.set_settings(manual_snapshot_quota=200)
    for i in range(45):
        rds.copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed",
                             TargetDBSnapshotIdentifier=f"s{i:03d}")
        if i % 15 == 14:
            sim.advance(3600)
    for i in range(45):
        rds.modify_db_snapshot_attribute(DBSnapshotIdentifier=f"s{i:03d}",
                                         AttributeName="restore", ValuesToAdd=[VAULT])
    pages = list(sim.rds("vault").get_paginator("describe_db_snapshots").paginate(
        SnapshotType="shared", PaginationConfig={"PageSize": 20}))
    assert [len(p["DBSnapshots"]) for p in pages] == [20, 20, 5]
    ids = [s["DBSnapshotIdentifier"] for p in pages for s in p["DBSnapshots"]]
    assert len(set(ids)) == 45


def test_cli_share_and_see(sim):
    sim.cli("rds", "modify-db-snapshot-attribute", "--db-snapshot-identifier", "plain-seed",
            "--attribute-name", "restore", "--values-to-add", VAULT)
    out = sim.cli("rds", "describe-db-snapshots", "--snapshot-type", "shared", account="vault")
    assert [s["DBSnapshotIdentifier"] for s in out["DBSnapshots"]] == \
        [f"arn:aws:rds:{E1}:{PROD}:snapshot:plain-seed"]
