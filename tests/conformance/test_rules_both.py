"""Rules checked against both backends. Where moto and drsnap-sim disagree, the case
runs only against the one that matches AWS's documentation (DISAGREEMENTS.md)."""

import pytest
from botocore.exceptions import ClientError

from conftest import E1, PROD, W2, all_snapshots, error_code

SEED_ARN = f"arn:aws:rds:{E1}:{PROD}:snapshot:plain-seed"


def many_manual(backend, n, prefix="m"):
    rds = backend.rds(retries=False)
    for i in range(n):
        rds.copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed",
                             TargetDBSnapshotIdentifier=f"{prefix}{i:03d}")
        if i % 15 == 14:
            backend.settle()  # keep the sim's copies in flight under 20
    backend.settle()


@pytest.mark.only("sim", reason="D1: moto ignores MaxRecords/Marker and returns every "
                  "snapshot in one page (DISAGREEMENTS.md)")
@pytest.mark.backends("sim", "moto")
def test_describe_snapshots_pages_of_20(backend):
    many_manual(backend, 45)
    pages = list(backend.rds().get_paginator("describe_db_snapshots").paginate(
        SnapshotType="manual", PaginationConfig={"PageSize": 20}))
    assert [len(p["DBSnapshots"]) for p in pages] == [20, 20, 6]
    ids = [s["DBSnapshotIdentifier"] for p in pages for s in p["DBSnapshots"]]
    assert len(ids) == len(set(ids)) == 46


@pytest.mark.only("sim", reason="D2: moto accepts MaxRecords outside 20..100 (DISAGREEMENTS.md)")
@pytest.mark.backends("sim", "moto")
@pytest.mark.parametrize("bad", [19, 101])
def test_max_records_range(backend, bad):
    with pytest.raises(ClientError) as e:
        backend.rds(retries=False).describe_db_snapshots(MaxRecords=bad)
    assert error_code(e) == "InvalidParameterValue"


@pytest.mark.backends("sim", "moto")
@pytest.mark.parametrize("bad", ["1abc", "a--b", "abc-", "has_underscore"])
def test_snapshot_identifier_rules(backend, bad):
    with pytest.raises(ClientError) as e:
        backend.rds(retries=False).create_db_snapshot(DBInstanceIdentifier="plain",
                                                      DBSnapshotIdentifier=bad)
    assert error_code(e) == "InvalidParameterValue"


@pytest.mark.backends("sim", "moto")
@pytest.mark.parametrize("bad", ["1abc", "a--b", "abc-", "rds:copy"])
def test_copy_target_identifier_rules(backend, bad):
    with pytest.raises(ClientError) as e:
        backend.rds(retries=False).copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed",
                                                    TargetDBSnapshotIdentifier=bad)
    assert error_code(e) == "InvalidParameterValue"


@pytest.mark.only("sim", reason="D3: moto accepts tag keys starting with 'aws:' (DISAGREEMENTS.md)")
@pytest.mark.backends("sim", "moto")
def test_aws_prefixed_tag_refused(backend):
    with pytest.raises(ClientError) as e:
        backend.rds(retries=False).copy_db_snapshot(
            SourceDBSnapshotIdentifier="plain-seed", TargetDBSnapshotIdentifier="t1",
            Tags=[{"Key": "aws:backup:source", "Value": "x"}])
    assert error_code(e) == "InvalidParameterValue"


@pytest.mark.only("sim", reason="D4: moto lets an encrypted snapshot be shared with 'all' "
                  "(DISAGREEMENTS.md)")
@pytest.mark.backends("sim", "moto")
def test_encrypted_snapshot_not_public(backend):
    rds = backend.rds(retries=False)
    rds.create_db_snapshot(DBInstanceIdentifier="orders", DBSnapshotIdentifier="o1")
    backend.settle()
    with pytest.raises(ClientError) as e:
        rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="o1", AttributeName="restore",
                                         ValuesToAdd=["all"])
    assert error_code(e) == "InvalidParameterValue"


@pytest.mark.backends("sim", "moto")
def test_share_quota_20(backend):
    rds = backend.rds(retries=False)
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="plain-seed", AttributeName="restore",
                                     ValuesToAdd=[f"{100000000000 + i}" for i in range(20)])
    with pytest.raises(ClientError) as e:
        rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="plain-seed",
                                         AttributeName="restore", ValuesToAdd=["999999999999"])
    assert error_code(e) == "SharedSnapshotQuotaExceeded"


@pytest.mark.only("sim", reason="D5: moto copies an encrypted snapshot cross-region "
                  "without KmsKeyId (DISAGREEMENTS.md)")
@pytest.mark.backends("sim", "moto")
def test_cross_region_encrypted_copy_needs_kms_key(backend):
    rds = backend.rds(retries=False)
    rds.create_db_snapshot(DBInstanceIdentifier="orders", DBSnapshotIdentifier="o1")
    backend.settle()
    with pytest.raises(ClientError) as e:
        backend.rds(region=W2, retries=False).copy_db_snapshot(
            SourceDBSnapshotIdentifier=f"arn:aws:rds:{E1}:{PROD}:snapshot:o1",
            TargetDBSnapshotIdentifier="o1-west", SourceRegion=E1)
    assert error_code(e) == "InvalidParameterValue"


@pytest.mark.backends("sim", "moto")
def test_cross_region_copy_unencrypted(backend):
    west = backend.rds(region=W2, retries=False)
    west.copy_db_snapshot(SourceDBSnapshotIdentifier=SEED_ARN,
                          TargetDBSnapshotIdentifier="seed-west", SourceRegion=E1)
    backend.settle()
    got = west.describe_db_snapshots(DBSnapshotIdentifier="seed-west")["DBSnapshots"][0]
    assert got["Status"] == "available"
    assert got["DBSnapshotArn"] == f"arn:aws:rds:{W2}:{PROD}:snapshot:seed-west"


@pytest.mark.only("sim", reason="D6: moto answers an unknown KmsKeyId with an HTML 500 page "
                  "(DISAGREEMENTS.md)")
@pytest.mark.backends("sim", "moto")
def test_copy_with_missing_kms_key(backend):
    with pytest.raises(ClientError) as e:
        backend.rds(retries=False).copy_db_snapshot(
            SourceDBSnapshotIdentifier="plain-seed", TargetDBSnapshotIdentifier="k1",
            KmsKeyId="alias/does-not-exist")
    assert error_code(e) == "KMSKeyNotAccessibleFault"


@pytest.mark.backends("sim", "moto")
def test_copy_encrypts_with_given_key(backend):
    rds = backend.rds(retries=False)
    arn = backend.client("kms").describe_key(KeyId="alias/prod-share")["KeyMetadata"]["Arn"]
    out = rds.copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed",
                               TargetDBSnapshotIdentifier="k2",
                               KmsKeyId="alias/prod-share")["DBSnapshot"]
    assert out["Encrypted"] is True
    assert out["KmsKeyId"] == arn


@pytest.mark.backends("sim", "moto")
def test_unknown_filter(backend):
    with pytest.raises(ClientError) as e:
        backend.rds(retries=False).describe_db_snapshots(
            Filters=[{"Name": "no-such-filter", "Values": ["x"]}])
    assert error_code(e) == "InvalidParameterValue"


@pytest.mark.backends("sim", "moto")
def test_snapshot_type_filter(backend):
    rds = backend.rds()
    got = {s["DBSnapshotIdentifier"] for s in all_snapshots(rds, SnapshotType="manual")}
    assert got == {"plain-seed"}
    got = {s["DBSnapshotIdentifier"] for s in all_snapshots(
        rds, Filters=[{"Name": "db-instance-id", "Values": ["plain"]},
                      {"Name": "snapshot-type", "Values": ["manual"]}])}
    assert got == {"plain-seed"}


@pytest.mark.only("sim", reason="D7: moto's DeleteDBSnapshot answer says Status "
                  "available, AWS says deleted (DISAGREEMENTS.md)")
@pytest.mark.backends("sim", "moto")
def test_delete_returns_deleted_snapshot(backend):
    rds = backend.rds(retries=False)
    out = rds.delete_db_snapshot(DBSnapshotIdentifier="plain-seed")["DBSnapshot"]
    assert out["DBSnapshotIdentifier"] == "plain-seed"
    assert out["Status"] == "deleted"


@pytest.mark.backends("sim", "moto")
def test_reserved_kms_alias_names(backend):
    kms = backend.client("kms", retries=False)
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as e:
        kms.create_alias(AliasName="alias/aws/rds", TargetKeyId=kid)
    assert error_code(e) == "NotAuthorizedException"


@pytest.mark.only("sim", reason="D8: moto refuses only its list of AWS-managed alias names, "
                  "not the whole alias/aws/ prefix (DISAGREEMENTS.md)")
@pytest.mark.backends("sim", "moto")
def test_reserved_kms_alias_prefix(backend):
    kms = backend.client("kms", retries=False)
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as e:
        kms.create_alias(AliasName="alias/aws/my-own", TargetKeyId=kid)
    assert error_code(e) in ("NotAuthorizedException", "InvalidAliasNameException")


def test_rds_prefixed_tag_refused(sim):
    with pytest.raises(ClientError) as e:
        sim.rds(retries=False).create_db_snapshot(
            DBInstanceIdentifier="plain", DBSnapshotIdentifier="t1",
            Tags=[{"Key": "rds:owner", "Value": "x"}])
    assert error_code(e) == "InvalidParameterValue"


@pytest.mark.only("sim", reason="D2: moto accepts MaxRecords outside 20..100 (DISAGREEMENTS.md)")
@pytest.mark.backends("sim", "moto")
def test_describe_instances_max_records(backend):
    with pytest.raises(ClientError) as e:
        backend.rds(retries=False).describe_db_instances(MaxRecords=10)
    assert error_code(e) == "InvalidParameterValue"


@pytest.mark.only("sim", reason="D9: moto omits PercentProgress (and other DBSnapshot members) "
                  "(DISAGREEMENTS.md)")
@pytest.mark.backends("sim", "moto")
def test_snapshot_fields(backend):
    s = backend.rds().describe_db_snapshots(DBSnapshotIdentifier="plain-seed")["DBSnapshots"][0]
    for f in ("DBSnapshotIdentifier", "DBInstanceIdentifier", "SnapshotCreateTime", "Engine",
              "AllocatedStorage", "Status", "Port", "EngineVersion", "SnapshotType",
              "DBSnapshotArn", "Encrypted", "DbiResourceId", "TagList",
              "OriginalSnapshotCreateTime", "PercentProgress", "InstanceCreateTime"):
        assert f in s, f
    db = backend.rds().describe_db_instances(DBInstanceIdentifier="plain")["DBInstances"][0]
    assert s["DbiResourceId"] == db["DbiResourceId"]
