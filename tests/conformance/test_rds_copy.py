"""CopyDBSnapshot / CopyDBClusterSnapshot: same- and cross-region, KMS rules, validation,
quotas, progress, queueing, incremental copies, failed copies."""

import urllib.parse

import pytest
from botocore.exceptions import ClientError

from conftest import E1, PROD, W2, all_snapshots, error_code

SEED_ARN = f"arn:aws:rds:{E1}:{PROD}:snapshot:plain-seed"


def key_arn(backend, alias, account="prod", region=E1):
    return backend.client("kms", account, region).describe_key(KeyId=alias)["KeyMetadata"]["Arn"]


def capture_bodies(client):
    """Records the form bodies botocore sends (after its handlers ran)."""
    bodies = []

    def hook(request, **_):
        body = request.body
        if isinstance(body, bytes):
            body = body.decode()
        bodies.append(dict(urllib.parse.parse_qsl(body or "")))

    client.meta.events.register("before-send.rds.*", hook)
    return bodies


@pytest.mark.backends("sim", "moto")
def test_copy_same_region_by_id(backend):
    rds = backend.rds(retries=False)
    out = rds.copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed",
                               TargetDBSnapshotIdentifier="plain-copy")["DBSnapshot"]
    assert out["DBSnapshotIdentifier"] == "plain-copy"
    assert out["DBInstanceIdentifier"] == "plain"
    assert out["SnapshotType"] == "manual"
    backend.settle()
    got = rds.describe_db_snapshots(DBSnapshotIdentifier="plain-copy")["DBSnapshots"][0]
    assert got["Status"] == "available"
    assert got["Encrypted"] is False


@pytest.mark.backends("sim", "moto")
def test_copy_same_region_by_arn_copy_tags(backend):
    rds = backend.rds(retries=False)
    rds.copy_db_snapshot(SourceDBSnapshotIdentifier=SEED_ARN,
                         TargetDBSnapshotIdentifier="plain-copy2", CopyTags=True)
    rds.copy_db_snapshot(SourceDBSnapshotIdentifier=SEED_ARN,
                         TargetDBSnapshotIdentifier="plain-copy3",
                         Tags=[{"Key": "copy", "Value": "yes"}])
    rds.copy_db_snapshot(SourceDBSnapshotIdentifier=SEED_ARN,
                         TargetDBSnapshotIdentifier="plain-copy4")
    backend.settle()

    def tags(i):
        got = rds.describe_db_snapshots(DBSnapshotIdentifier=i)["DBSnapshots"][0]
        return {t["Key"]: t["Value"] for t in got.get("TagList", [])}

    assert tags("plain-copy2") == {"origin": "seed"}
    assert tags("plain-copy3") == {"copy": "yes"}
    assert tags("plain-copy4") == {}  # "By default, tags are not copied."


@pytest.mark.backends("sim", "moto")
def test_copy_duplicate_target(backend):
    rds = backend.rds(retries=False)
    rds.copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed",
                         TargetDBSnapshotIdentifier="dup")
    with pytest.raises(ClientError) as e:
        rds.copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed",
                             TargetDBSnapshotIdentifier="dup")
    assert error_code(e) == "DBSnapshotAlreadyExists"


@pytest.mark.backends("sim", "moto")
def test_copy_missing_source(backend):
    with pytest.raises(ClientError) as e:
        backend.rds(retries=False).copy_db_snapshot(SourceDBSnapshotIdentifier="nope",
                                                    TargetDBSnapshotIdentifier="x1")
    assert error_code(e) == "DBSnapshotNotFound"


@pytest.mark.backends("sim", "moto")
def test_copy_cluster_snapshot_same_region(backend):
    backend.ensure_cluster()
    rds = backend.rds(retries=False)
    rds.create_db_cluster_snapshot(DBClusterIdentifier="ledger",
                                   DBClusterSnapshotIdentifier="ledger-m1")
    backend.settle()
    out = rds.copy_db_cluster_snapshot(SourceDBClusterSnapshotIdentifier="ledger-m1",
                                       TargetDBClusterSnapshotIdentifier="ledger-c1")
    assert out["DBClusterSnapshot"]["DBClusterSnapshotIdentifier"] == "ledger-c1"
    backend.settle()
    got = rds.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier="ledger-c1")
    assert got["DBClusterSnapshots"][0]["Status"] == "available"
    with pytest.raises(ClientError) as e:
        rds.copy_db_cluster_snapshot(SourceDBClusterSnapshotIdentifier="ledger-m1",
                                     TargetDBClusterSnapshotIdentifier="ledger-c1")
    assert error_code(e) == "DBClusterSnapshotAlreadyExistsFault"


@pytest.mark.parametrize("bad", ["1abc", "a--b", "abc-", "has_underscore", "rds:copy",
                                 "x" * 256])
def test_copy_invalid_target_identifier(sim, bad):
    with pytest.raises(ClientError) as e:
        sim.rds(retries=False).copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed",
                                                TargetDBSnapshotIdentifier=bad)
    assert error_code(e) == "InvalidParameterValue"


def test_copy_aws_tag_keys_refused(sim):
    rds = sim.rds(retries=False)
    with pytest.raises(ClientError) as e:
        rds.copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed",
                             TargetDBSnapshotIdentifier="t1",
                             Tags=[{"Key": "aws:cloudformation:stack-name", "Value": "x"}])
    assert error_code(e) == "InvalidParameterValue"
    assert all_snapshots(rds, SnapshotType="manual") != [] and \
        "t1" not in {s["DBSnapshotIdentifier"] for s in all_snapshots(rds)}


def test_copy_same_region_reencrypt_with_kms_key(sim):
    rds = sim.rds(retries=False)
    sim.advance(6 * 3600)  # legacy's window opens at 05:00
    auto = all_snapshots(rds, SnapshotType="automated", DBInstanceIdentifier="legacy")[0]
    default_key = key_arn(sim, "alias/aws/rds")
    assert auto["KmsKeyId"] == default_key
    share_key = key_arn(sim, "alias/prod-share")
    out = rds.copy_db_snapshot(SourceDBSnapshotIdentifier=auto["DBSnapshotIdentifier"],
                               TargetDBSnapshotIdentifier="legacy-reenc",
                               KmsKeyId="alias/prod-share")["DBSnapshot"]
    assert out["Status"] == "creating"  # same region: the awscli example's status
    assert out["KmsKeyId"] == share_key
    # Unknown key.
    with pytest.raises(ClientError) as e:
        rds.copy_db_snapshot(SourceDBSnapshotIdentifier=auto["DBSnapshotIdentifier"],
                             TargetDBSnapshotIdentifier="legacy-x", KmsKeyId="alias/nope")
    assert error_code(e) == "KMSKeyNotAccessibleFault"
    # A key of the wrong region.
    with pytest.raises(ClientError) as e:
        rds.copy_db_snapshot(SourceDBSnapshotIdentifier=auto["DBSnapshotIdentifier"],
                             TargetDBSnapshotIdentifier="legacy-y",
                             KmsKeyId=key_arn(sim, "alias/prod-west", region=W2))
    assert error_code(e) == "KMSKeyNotAccessibleFault"


def test_copy_cross_region_by_arn_with_presigned_url(sim):
    src_arn = f"arn:aws:rds:{E1}:{PROD}:snapshot:orders-m1"
    sim.rds().create_db_snapshot(DBInstanceIdentifier="orders", DBSnapshotIdentifier="orders-m1")
    sim.advance(600)
    west = sim.rds(region=W2, retries=False)
    bodies = capture_bodies(west)
    # Encrypted cross-region without a key in the destination region: refused.
    with pytest.raises(ClientError) as e:
        west.copy_db_snapshot(SourceDBSnapshotIdentifier=src_arn,
                              TargetDBSnapshotIdentifier="orders-west", SourceRegion=E1)
    assert error_code(e) == "InvalidParameterValue"
    assert "KMS key" in e.value.response["Error"]["Message"]
    # A source-region key is not usable in the destination region.
    with pytest.raises(ClientError) as e:
        west.copy_db_snapshot(SourceDBSnapshotIdentifier=src_arn,
                              TargetDBSnapshotIdentifier="orders-west", SourceRegion=E1,
                              KmsKeyId=key_arn(sim, "alias/prod-share"))
    assert error_code(e) == "KMSKeyNotAccessibleFault"
    out = west.copy_db_snapshot(SourceDBSnapshotIdentifier=src_arn,
                                TargetDBSnapshotIdentifier="orders-west", SourceRegion=E1,
                                KmsKeyId="alias/prod-west")["DBSnapshot"]
    # boto3 turned SourceRegion into a PreSignedUrl, and the sim accepted it.
    sent = bodies[-1]
    assert "SourceRegion" not in sent
    pre = urllib.parse.urlparse(sent["PreSignedUrl"])
    q = dict(urllib.parse.parse_qsl(pre.query))
    assert q["Action"] == "CopyDBSnapshot" and q["DestinationRegion"] == W2
    assert f"/{E1}/rds/aws4_request" in q["X-Amz-Credential"]
    assert out["Status"] == "copying"
    assert out["SourceRegion"] == E1
    assert out["KmsKeyId"] == key_arn(sim, "alias/prod-west", region=W2)
    assert out["DBSnapshotArn"] == f"arn:aws:rds:{W2}:{PROD}:snapshot:orders-west"
    # 100 GB at 50 MB/s cross-region: about 34 minutes.
    sim.advance(600)
    mid = west.describe_db_snapshots(DBSnapshotIdentifier="orders-west")["DBSnapshots"][0]
    assert mid["Status"] == "copying" and 0 < mid["PercentProgress"] < 100
    sim.advance(3600)
    done = west.describe_db_snapshots(DBSnapshotIdentifier="orders-west")["DBSnapshots"][0]
    assert done["Status"] == "available" and done["PercentProgress"] == 100
    assert done["SourceDBSnapshotIdentifier"] == src_arn
    ids = [e["detail"]["EventID"] for e in sim.events()
           if e["detail"]["SourceIdentifier"] == "orders-west"]
    assert ids == ["RDS-EVENT-0059", "RDS-EVENT-0060"]


def test_copy_cross_region_unencrypted_needs_no_key(sim):
    west = sim.rds(region=W2, retries=False)
    west.copy_db_snapshot(SourceDBSnapshotIdentifier=SEED_ARN,
                          TargetDBSnapshotIdentifier="plain-west", SourceRegion=E1)
    sim.advance(3600)
    got = west.describe_db_snapshots(DBSnapshotIdentifier="plain-west")["DBSnapshots"][0]
    assert got["Status"] == "available" and got["Encrypted"] is False


def test_copy_cross_region_by_plain_id_not_found(sim):
    # A plain id names a snapshot in the destination region: the source needs its ARN.
    with pytest.raises(ClientError) as e:
        sim.rds(region=W2, retries=False).copy_db_snapshot(
            SourceDBSnapshotIdentifier="plain-seed", TargetDBSnapshotIdentifier="x1")
    assert error_code(e) == "DBSnapshotNotFound"


def test_cli_copy_cross_region(sim):
    out = sim.cli("rds", "copy-db-snapshot", "--source-db-snapshot-identifier", SEED_ARN,
                  "--target-db-snapshot-identifier", "plain-west-cli", "--source-region", E1,
                  region=W2)
    assert out["DBSnapshot"]["Status"] == "copying"
    assert out["DBSnapshot"]["SourceRegion"] == E1


def test_copy_status_progression_and_incremental(sim):
    rds = sim.rds()
    rds.create_db_snapshot(DBInstanceIdentifier="orders", DBSnapshotIdentifier="o1")
    sim.advance(600)
    # Full copy: 100 GB at 200 MB/s = 512 s.
    c1 = rds.copy_db_snapshot(SourceDBSnapshotIdentifier="o1",
                              TargetDBSnapshotIdentifier="o1-copy")["DBSnapshot"]
    assert c1["Status"] == "creating" and c1["PercentProgress"] == 0
    sim.advance(256)
    mid = rds.describe_db_snapshots(DBSnapshotIdentifier="o1-copy")["DBSnapshots"][0]
    assert mid["Status"] == "creating" and 40 <= mid["PercentProgress"] <= 60
    sim.advance(300)
    assert rds.describe_db_snapshots(DBSnapshotIdentifier="o1-copy")["DBSnapshots"][0][
        "Status"] == "available"
    # A later snapshot of the same DB, copied while o1-copy is there with the same key:
    # incremental, so done in well under the full 512 s.
    rds.create_db_snapshot(DBInstanceIdentifier="orders", DBSnapshotIdentifier="o2")
    sim.advance(600)
    rds.copy_db_snapshot(SourceDBSnapshotIdentifier="o2", TargetDBSnapshotIdentifier="o2-copy")
    sim.advance(120)
    assert rds.describe_db_snapshots(DBSnapshotIdentifier="o2-copy")["DBSnapshots"][0][
        "Status"] == "available"


def test_copies_of_same_db_queue(sim):
    rds = sim.rds()
    for s in ("q1", "q2"):
        rds.create_db_snapshot(DBInstanceIdentifier="orders", DBSnapshotIdentifier=s)
    sim.advance(600)
    rds.copy_db_snapshot(SourceDBSnapshotIdentifier="q1", TargetDBSnapshotIdentifier="q1-c",
                         KmsKeyId="alias/prod-private")
    rds.copy_db_snapshot(SourceDBSnapshotIdentifier="q2", TargetDBSnapshotIdentifier="q2-c",
                         KmsKeyId="alias/prod-private")
    sim.advance(520)  # the first (512 s) is done, the second has barely started

    def status(i):
        return rds.describe_db_snapshots(DBSnapshotIdentifier=i)["DBSnapshots"][0]

    assert status("q1-c")["Status"] == "available"
    assert status("q2-c")["Status"] == "creating"
    assert status("q2-c")["PercentProgress"] < 50
    sim.advance(600)
    assert status("q2-c")["Status"] == "available"


def test_copies_in_flight_quota(sim):
    sim.set_settings(copies_in_flight_quota=2)
    rds = sim.rds(retries=False)
    rds.copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed", TargetDBSnapshotIdentifier="c1")
    rds.copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed", TargetDBSnapshotIdentifier="c2")
    with pytest.raises(ClientError) as e:
        rds.copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed",
                             TargetDBSnapshotIdentifier="c3")
    assert error_code(e) == "SnapshotQuotaExceeded"
    # Another destination region has its own count.
    sim.rds(region=W2, retries=False).copy_db_snapshot(
        SourceDBSnapshotIdentifier=SEED_ARN, TargetDBSnapshotIdentifier="c3", SourceRegion=E1)
    sim.advance(3600)
    rds.copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed", TargetDBSnapshotIdentifier="c3")


def test_copies_in_flight_quota_default_20(sim):
    rds = sim.rds(retries=False)
    for i in range(20):
        rds.copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed",
                             TargetDBSnapshotIdentifier=f"c{i}")
    with pytest.raises(ClientError) as e:
        rds.copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed",
                             TargetDBSnapshotIdentifier="c20")
    assert error_code(e) == "SnapshotQuotaExceeded"


def test_copy_counts_against_manual_quota(sim):
    sim.set_settings(manual_snapshot_quota=2)
    rds = sim.rds(retries=False)
    rds.copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed", TargetDBSnapshotIdentifier="c1")
    with pytest.raises(ClientError) as e:
        rds.copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed",
                             TargetDBSnapshotIdentifier="c2")
    assert error_code(e) == "SnapshotQuotaExceeded"


def test_failed_copy_fault(sim):
    sim.faults(kind="fail_copies", account=PROD, region=E1, count=1)
    rds = sim.rds()
    rds.copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed", TargetDBSnapshotIdentifier="f1")
    rds.copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed", TargetDBSnapshotIdentifier="f2")
    sim.advance(3600)
    st = {s["DBSnapshotIdentifier"]: s["Status"] for s in all_snapshots(rds)}
    assert st["f1"] == "failed" and st["f2"] == "available"


def test_deleting_source_fails_copy(sim):
    rds = sim.rds()
    rds.create_db_snapshot(DBInstanceIdentifier="plain", DBSnapshotIdentifier="src")
    sim.advance(600)
    rds.copy_db_snapshot(SourceDBSnapshotIdentifier="src", TargetDBSnapshotIdentifier="dst")
    rds.delete_db_snapshot(DBSnapshotIdentifier="src")
    sim.advance(3600)
    got = rds.describe_db_snapshots(DBSnapshotIdentifier="dst")["DBSnapshots"][0]
    assert got["Status"] == "failed"


def test_copy_source_not_available(sim):
    rds = sim.rds(retries=False)
    rds.create_db_snapshot(DBInstanceIdentifier="orders", DBSnapshotIdentifier="busy")
    with pytest.raises(ClientError) as e:
        rds.copy_db_snapshot(SourceDBSnapshotIdentifier="busy", TargetDBSnapshotIdentifier="b2")
    assert error_code(e) == "InvalidDBSnapshotState"


def test_cluster_copy_cross_region(sim):
    rds = sim.rds()
    rds.create_db_cluster_snapshot(DBClusterIdentifier="ledger",
                                   DBClusterSnapshotIdentifier="l1")
    sim.advance(900)
    west = sim.rds(region=W2, retries=False)
    arn = f"arn:aws:rds:{E1}:{PROD}:cluster-snapshot:l1"
    with pytest.raises(ClientError) as e:
        west.copy_db_cluster_snapshot(SourceDBClusterSnapshotIdentifier=arn,
                                      TargetDBClusterSnapshotIdentifier="l1-west",
                                      SourceRegion=E1)
    assert error_code(e) == "InvalidParameterValue"
    out = west.copy_db_cluster_snapshot(SourceDBClusterSnapshotIdentifier=arn,
                                        TargetDBClusterSnapshotIdentifier="l1-west",
                                        SourceRegion=E1, KmsKeyId="alias/prod-west")
    assert out["DBClusterSnapshot"]["Status"] == "copying"
    sim.advance(7200)
    got = west.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier="l1-west")
    assert got["DBClusterSnapshots"][0]["Status"] == "available"


def test_cluster_cross_region_copies_quota(sim):
    sim.set_settings(cluster_cross_region_copies_quota=1)
    rds = sim.rds()
    rds.create_db_cluster_snapshot(DBClusterIdentifier="ledger",
                                   DBClusterSnapshotIdentifier="l1")
    sim.advance(900)
    west = sim.rds(region=W2, retries=False)
    arn = f"arn:aws:rds:{E1}:{PROD}:cluster-snapshot:l1"
    west.copy_db_cluster_snapshot(SourceDBClusterSnapshotIdentifier=arn,
                                  TargetDBClusterSnapshotIdentifier="w1", SourceRegion=E1,
                                  KmsKeyId="alias/prod-west")
    with pytest.raises(ClientError) as e:
        west.copy_db_cluster_snapshot(SourceDBClusterSnapshotIdentifier=arn,
                                      TargetDBClusterSnapshotIdentifier="w2", SourceRegion=E1,
                                      KmsKeyId="alias/prod-west")
    assert error_code(e) == "SnapshotQuotaExceeded"
    # Same-region cluster copies are not limited by it.
    rds.copy_db_cluster_snapshot(SourceDBClusterSnapshotIdentifier="l1",
                                 TargetDBClusterSnapshotIdentifier="e1")
