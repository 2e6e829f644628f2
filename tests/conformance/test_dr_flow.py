"""The three-step DR flow across two accounts and two regions, with real clients.

prod/us-east-1 automated snapshot (default aws/rds key)
  1. prod copies it to a manual snapshot re-encrypted with the shareable key
  2. prod shares it with the vault account
  3. the vault copies it with its own key: same-region hop (us-east-1), then
     cross-region (us-west-2), as the strict (older) AWS rule requires
then time passes and the DR copy is available, encrypted with the vault's key.
"""

import pytest
from botocore.exceptions import ClientError

from conftest import E1, PROD, VAULT, W2, all_snapshots, base_world, error_code


def key_arn(backend, alias, account, region):
    return backend.client("kms", account, region).describe_key(KeyId=alias)["KeyMetadata"]["Arn"]


def step1_and_2(sim):
    prod = sim.rds()
    sim.advance(6 * 3600)  # legacy's automated backup (05:00 window) is done
    auto = all_snapshots(prod, SnapshotType="automated", DBInstanceIdentifier="legacy")
    assert len(auto) == 1 and auto[0]["Status"] == "available"
    assert auto[0]["KmsKeyId"] == key_arn(sim, "alias/aws/rds", "prod", E1)
    auto_id = auto[0]["DBSnapshotIdentifier"]
    # Step 1: copy the automated snapshot, re-encrypting with the shareable key. The
    # derived name has no ':'.
    share_id = "drsnap-" + auto_id.replace("rds:", "")
    prod.copy_db_snapshot(SourceDBSnapshotIdentifier=auto_id, TargetDBSnapshotIdentifier=share_id,
                          KmsKeyId="alias/prod-share", CopyTags=True)
    with pytest.raises(ClientError) as e:  # not shareable until available
        sim.rds(retries=False).modify_db_snapshot_attribute(
            DBSnapshotIdentifier=share_id, AttributeName="restore", ValuesToAdd=[VAULT])
    assert error_code(e) == "InvalidDBSnapshotState"
    sim.advance(3600)
    s = prod.describe_db_snapshots(DBSnapshotIdentifier=share_id)["DBSnapshots"][0]
    assert s["Status"] == "available"
    assert s["KmsKeyId"] == key_arn(sim, "alias/prod-share", "prod", E1)
    # Step 2: share.
    prod.modify_db_snapshot_attribute(DBSnapshotIdentifier=share_id, AttributeName="restore",
                                      ValuesToAdd=[VAULT])
    return f"arn:aws:rds:{E1}:{PROD}:snapshot:{share_id}"


def test_three_step_dr_flow_strict_rule(sim):
    shared_arn = step1_and_2(sim)
    v_east = sim.rds("vault", E1, retries=False)
    v_west = sim.rds("vault", W2, retries=False)
    shared = all_snapshots(v_east, SnapshotType="shared")
    assert [s["DBSnapshotArn"] for s in shared] == [shared_arn]

    # Without KmsKeyId: refused (encrypted and shared from another account).
    with pytest.raises(ClientError) as e:
        v_east.copy_db_snapshot(SourceDBSnapshotIdentifier=shared_arn,
                                TargetDBSnapshotIdentifier="dr-east")
    assert error_code(e) == "InvalidParameterValue"
    # Strict rule: a shared encrypted snapshot is copied within its region first.
    with pytest.raises(ClientError) as e:
        v_west.copy_db_snapshot(SourceDBSnapshotIdentifier=shared_arn,
                                TargetDBSnapshotIdentifier="dr-west", SourceRegion=E1,
                                KmsKeyId="alias/vault")
    assert error_code(e) == "InvalidParameterCombination"

    # Step 3a: same-region hop into the vault account, with the vault's key.
    hop = v_east.copy_db_snapshot(SourceDBSnapshotIdentifier=shared_arn,
                                  TargetDBSnapshotIdentifier="dr-east",
                                  KmsKeyId="alias/vault")["DBSnapshot"]
    assert hop["Status"] == "creating"  # a same-region copy (awscli example)
    assert hop["KmsKeyId"] == key_arn(sim, "alias/vault", "vault", E1)
    assert hop["DBSnapshotArn"] == f"arn:aws:rds:{E1}:{VAULT}:snapshot:dr-east"
    assert hop.get("TagList", []) == []  # nothing of the owner's tags comes along
    sim.advance(3600)
    assert v_east.describe_db_snapshots(DBSnapshotIdentifier="dr-east")["DBSnapshots"][0][
        "Status"] == "available"

    # Step 3b: cross-region, own snapshot by ARN, key of the destination region.
    east_arn = f"arn:aws:rds:{E1}:{VAULT}:snapshot:dr-east"
    west = v_west.copy_db_snapshot(
        SourceDBSnapshotIdentifier=east_arn, TargetDBSnapshotIdentifier="dr-west",
        SourceRegion=E1, KmsKeyId="alias/vault",
        Tags=[{"Key": "drsnap:source", "Value": shared_arn}])["DBSnapshot"]
    assert west["Status"] == "copying" and west["SourceRegion"] == E1
    sim.advance(300)  # 50 GB at 50 MB/s: about 17 minutes
    mid = v_west.describe_db_snapshots(DBSnapshotIdentifier="dr-west")["DBSnapshots"][0]
    assert mid["Status"] == "copying" and 0 < mid["PercentProgress"] < 100
    sim.advance(4 * 3600)
    done = v_west.describe_db_snapshots(DBSnapshotIdentifier="dr-west")["DBSnapshots"][0]
    assert done["Status"] == "available"
    assert done["Encrypted"] is True
    assert done["KmsKeyId"] == key_arn(sim, "alias/vault", "vault", W2)
    assert done["DBInstanceIdentifier"] == "legacy"
    assert done["SourceDBSnapshotIdentifier"] == east_arn
    assert {t["Key"]: t["Value"] for t in done["TagList"]} == {"drsnap:source": shared_arn}
    # The DR copy survives the loss of the source: prod deletes its side.
    sim.rds().delete_db_snapshot(DBSnapshotIdentifier=shared_arn.split(":")[-1])
    sim.advance(3600)
    again = v_west.describe_db_snapshots(DBSnapshotIdentifier="dr-west")["DBSnapshots"][0]
    assert again["Status"] == "available"
    # Events of the vault's copies.
    ev = [(e["detail"]["SourceIdentifier"], e["detail"]["EventID"]) for e in sim.events()
          if e["account"] == VAULT]
    assert ("dr-east", "RDS-EVENT-0197") in ev and ("dr-west", "RDS-EVENT-0060") in ev


@pytest.fixture
def world(request):
    if request.node.name.endswith("one_step_rule"):
        return base_world(copy_rule="one-step")
    return base_world()


def test_three_step_dr_flow_one_step_rule(sim):
    shared_arn = step1_and_2(sim)
    v_west = sim.rds("vault", W2, retries=False)
    out = v_west.copy_db_snapshot(SourceDBSnapshotIdentifier=shared_arn,
                                  TargetDBSnapshotIdentifier="dr-west", SourceRegion=E1,
                                  KmsKeyId="alias/vault")["DBSnapshot"]
    assert out["Status"] == "copying"
    sim.advance(5 * 3600)
    done = v_west.describe_db_snapshots(DBSnapshotIdentifier="dr-west")["DBSnapshots"][0]
    assert done["Status"] == "available"
    assert done["KmsKeyId"] == key_arn(sim, "alias/vault", "vault", W2)


def test_dr_copy_refused_when_source_key_not_shared(sim):
    prod = sim.rds()
    # A snapshot re-encrypted with prod-private (whose policy names no other account).
    prod.create_db_snapshot(DBInstanceIdentifier="orders", DBSnapshotIdentifier="o1")
    sim.advance(600)
    prod.copy_db_snapshot(SourceDBSnapshotIdentifier="o1", TargetDBSnapshotIdentifier="o1-priv",
                          KmsKeyId="alias/prod-private")
    sim.advance(3600)
    prod.modify_db_snapshot_attribute(DBSnapshotIdentifier="o1-priv", AttributeName="restore",
                                      ValuesToAdd=[VAULT])
    with pytest.raises(ClientError) as e:
        sim.rds("vault", retries=False).copy_db_snapshot(
            SourceDBSnapshotIdentifier=f"arn:aws:rds:{E1}:{PROD}:snapshot:o1-priv",
            TargetDBSnapshotIdentifier="dr1", KmsKeyId="alias/vault")
    assert error_code(e) == "KMSKeyNotAccessibleFault"


def test_dr_copy_of_unshared_snapshot_not_found(sim):
    with pytest.raises(ClientError) as e:
        sim.rds("vault", retries=False).copy_db_snapshot(
            SourceDBSnapshotIdentifier=f"arn:aws:rds:{E1}:{PROD}:snapshot:plain-seed",
            TargetDBSnapshotIdentifier="dr1")
    assert error_code(e) == "DBSnapshotNotFound"


def test_dr_copy_with_assumed_role_session(sim):
    """The vault side driven through an assumed role, as drsnap does it."""
    shared_arn = step1_and_2(sim)
    c = sim.client("sts", "prod").assume_role(
        RoleArn=f"arn:aws:iam::{VAULT}:role/drsnap-vault", RoleSessionName="drsnap",
        ExternalId="vault-ext-id")["Credentials"]
    creds = (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    v_east = sim.client("rds", region=E1, creds=creds)
    v_east.copy_db_snapshot(SourceDBSnapshotIdentifier=shared_arn,
                            TargetDBSnapshotIdentifier="dr-east", KmsKeyId="alias/vault")
    sim.advance(600)  # within the session's hour of (virtual) validity
    got = v_east.describe_db_snapshots(DBSnapshotIdentifier="dr-east")["DBSnapshots"][0]
    assert got["Status"] == "available"
    assert got["DBSnapshotArn"].split(":")[4] == VAULT
