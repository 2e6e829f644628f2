"""Fidelity fixes of issue 19, each through boto3 and awscli v2 (and moto where moto
models the behaviour): copy statuses, what copies carry over, option groups, the
one-step rule for cluster snapshots, session expiry on the virtual clock, undefined
roles, tags on copies, minor shapes (cluster snapshot fields, KMS grants, account
quotas), robustness of the server, and who created each snapshot."""

import datetime
import json
import os
import socket
import stat
import time

import pytest
from botocore.exceptions import ClientError

from conftest import E1, PROD, VAULT, W2, _http, base_world, error_code

SEED_ARN = f"arn:aws:rds:{E1}:{PROD}:snapshot:plain-seed"


def make_snapshot(sim, sid, db="orders"):
    sim.rds().create_db_snapshot(DBInstanceIdentifier=db, DBSnapshotIdentifier=sid)
    sim.advance(600)


def make_cluster_snapshot(backend, sid, share_with=None):
    backend.ensure_cluster()
    rds = backend.rds()
    rds.create_db_cluster_snapshot(DBClusterIdentifier="ledger", DBClusterSnapshotIdentifier=sid)
    backend.settle(600)
    if share_with:
        rds.modify_db_cluster_snapshot_attribute(DBClusterSnapshotIdentifier=sid,
                                                 AttributeName="restore",
                                                 ValuesToAdd=[share_with])


def snap(rds, sid):
    return rds.describe_db_snapshots(DBSnapshotIdentifier=sid)["DBSnapshots"][0]


# ------------------------------------------------------ 1. copy statuses


def test_copy_statuses_boto3(sim):
    make_snapshot(sim, "q1")
    make_snapshot(sim, "q2")
    rds = sim.rds()
    first = rds.copy_db_snapshot(SourceDBSnapshotIdentifier="q1",
                                 TargetDBSnapshotIdentifier="q1-c")["DBSnapshot"]
    queued = rds.copy_db_snapshot(SourceDBSnapshotIdentifier="q2",
                                  TargetDBSnapshotIdentifier="q2-c")["DBSnapshot"]
    # The awscli example of copy-db-snapshot answers "creating" (same region); a copy
    # waiting behind another copy of the same DB has not started: "pending".
    assert (first["Status"], first["PercentProgress"]) == ("creating", 0)
    assert (queued["Status"], queued["PercentProgress"]) == ("pending", 0)
    sim.advance(520)  # q1-c (100 GB at 200 MB/s = 512 s) is done, q2-c runs
    assert snap(rds, "q1-c")["Status"] == "available"
    assert snap(rds, "q2-c")["Status"] == "creating"
    west = sim.rds(region=W2)
    out = west.copy_db_snapshot(SourceDBSnapshotIdentifier=SEED_ARN,
                                TargetDBSnapshotIdentifier="seed-west",
                                SourceRegion=E1)["DBSnapshot"]
    assert out["Status"] == "copying"  # cross-region: "copying"
    assert sim.admin("GET", "settings")["copy_status_queued"] == "pending"


def test_copy_statuses_cli(sim):
    make_snapshot(sim, "q1")
    out = sim.cli("rds", "copy-db-snapshot", "--source-db-snapshot-identifier", "q1",
                  "--target-db-snapshot-identifier", "c1")["DBSnapshot"]
    assert out["Status"] == "creating"
    out = sim.cli("rds", "copy-db-snapshot", "--source-db-snapshot-identifier", "q1",
                  "--target-db-snapshot-identifier", "c2")["DBSnapshot"]
    assert out["Status"] == "pending"
    got = sim.cli("rds", "describe-db-snapshots", "--db-snapshot-identifier", "c2")
    assert got["DBSnapshots"][0]["Status"] == "pending"
    # Configurable, for where AWS's behaviour is uncertain.
    sim.set_settings(copy_status_queued="creating")
    got = sim.cli("rds", "describe-db-snapshots", "--db-snapshot-identifier", "c2")
    assert got["DBSnapshots"][0]["Status"] == "creating"


def test_cluster_copy_statuses(sim):
    make_cluster_snapshot(sim, "l1")
    rds = sim.rds()
    a = rds.copy_db_cluster_snapshot(SourceDBClusterSnapshotIdentifier="l1",
                                     TargetDBClusterSnapshotIdentifier="a")["DBClusterSnapshot"]
    b = sim.cli("rds", "copy-db-cluster-snapshot", "--source-db-cluster-snapshot-identifier",
                "l1", "--target-db-cluster-snapshot-identifier", "b")["DBClusterSnapshot"]
    # DBClusterSnapshot.Status: "Valid statuses are ... available, copying, creating".
    assert a["Status"] == "copying"
    assert b["Status"] == "creating"


# ------------------------------------------------------ 3. cluster SnapshotCreateTime


@pytest.mark.only("sim", reason="D12: moto gives a cluster snapshot copy the copy time as "
                  "SnapshotCreateTime (DISAGREEMENTS.md)")
@pytest.mark.backends("sim", "moto")
def test_cluster_copy_keeps_snapshot_create_time(backend):
    make_cluster_snapshot(backend, "l1")
    backend.settle(3600)
    if backend.name == "moto":
        time.sleep(1.5)  # moto's clock is the wall clock
    rds = backend.rds()
    src = rds.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier="l1")[
        "DBClusterSnapshots"][0]
    out = rds.copy_db_cluster_snapshot(SourceDBClusterSnapshotIdentifier="l1",
                                       TargetDBClusterSnapshotIdentifier="l1-c")
    assert out["DBClusterSnapshot"]["SnapshotCreateTime"] == src["SnapshotCreateTime"]


def test_cluster_copy_keeps_snapshot_create_time_cli(sim):
    make_cluster_snapshot(sim, "l1")
    sim.advance(3600)
    sim.cli("rds", "copy-db-cluster-snapshot", "--source-db-cluster-snapshot-identifier", "l1",
            "--target-db-cluster-snapshot-identifier", "l1-c")
    cli = sim.cli("rds", "describe-db-cluster-snapshots", "--db-cluster-snapshot-identifier",
                  "l1-c")["DBClusterSnapshots"][0]
    assert cli["SnapshotCreateTime"].startswith("2026-11-23T00:00:00")


# ------------------------------------------------------ 4. option groups


@pytest.fixture
def og_world():
    w = base_world()
    w["accounts"][0]["option_groups"] = [
        {"name": "orders-og", "region": E1, "engine": "postgres", "major_engine_version": "16"}]
    w["accounts"][0]["db_instances"][0]["option_group"] = "orders-og"
    w["accounts"][1]["option_groups"] = [
        {"name": "vault-pg16", "region": W2, "engine": "postgres", "major_engine_version": "16"},
        {"name": "vault-pg15", "region": W2, "engine": "postgres", "major_engine_version": "15"}]
    return w


def test_option_groups_from_the_world(sim_factory, og_world):
    sim = sim_factory(og_world)
    sim.set_settings(copy_rule="one-step")  # the vault copies across regions in one step
    rds = sim.rds()
    db = rds.describe_db_instances(DBInstanceIdentifier="orders")["DBInstances"][0]
    assert db["OptionGroupMemberships"][0]["OptionGroupName"] == "orders-og"
    make_snapshot(sim, "o1")
    assert snap(rds, "o1")["OptionGroupName"] == "orders-og"
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="o1", AttributeName="restore",
                                     ValuesToAdd=[VAULT])
    arn = f"arn:aws:rds:{E1}:{PROD}:snapshot:o1"
    west = sim.rds("vault", W2, retries=False)
    with pytest.raises(ClientError) as e:  # prod's group does not exist in the vault
        west.copy_db_snapshot(SourceDBSnapshotIdentifier=arn, TargetDBSnapshotIdentifier="v1",
                              KmsKeyId="alias/vault", OptionGroupName="orders-og",
                              SourceRegion=E1)
    assert error_code(e) == "OptionGroupNotFoundFault"
    with pytest.raises(ClientError) as e:  # another major version
        west.copy_db_snapshot(SourceDBSnapshotIdentifier=arn, TargetDBSnapshotIdentifier="v1",
                              KmsKeyId="alias/vault", OptionGroupName="vault-pg15",
                              SourceRegion=E1)
    assert error_code(e) == "InvalidParameterCombination"
    out = west.copy_db_snapshot(SourceDBSnapshotIdentifier=arn, TargetDBSnapshotIdentifier="v1",
                                KmsKeyId="alias/vault", OptionGroupName="vault-pg16",
                                SourceRegion=E1)["DBSnapshot"]
    assert out["OptionGroupName"] == "vault-pg16"
    rc, text = sim.cli("rds", "copy-db-snapshot", "--source-db-snapshot-identifier", arn,
                       "--target-db-snapshot-identifier", "v2", "--kms-key-id", "alias/vault",
                       "--option-group-name", "nope", "--source-region", E1,
                       account="vault", region=W2, check=False)
    assert rc != 0 and "OptionGroupNotFoundFault" in text
    out = sim.cli("rds", "copy-db-snapshot", "--source-db-snapshot-identifier", arn,
                  "--target-db-snapshot-identifier", "v2", "--kms-key-id", "alias/vault",
                  "--source-region", E1, account="vault", region=W2)["DBSnapshot"]
    assert out["OptionGroupName"] == "default:postgres-16"


@pytest.mark.backends("sim", "moto")
def test_option_group_create_and_use(backend):
    rds = backend.rds(retries=False)
    rds.create_option_group(OptionGroupName="my-og", EngineName="mysql", MajorEngineVersion="8.0",
                            OptionGroupDescription="test")
    got = rds.describe_option_groups(OptionGroupName="my-og")["OptionGroupsList"]
    assert [g["OptionGroupName"] for g in got] == ["my-og"]
    with pytest.raises(ClientError) as e:
        rds.create_db_instance(DBInstanceIdentifier="db1", Engine="mysql",
                               EngineVersion="8.0.39", DBInstanceClass="db.t3.micro",
                               AllocatedStorage=20, MasterUsername="admin",
                               MasterUserPassword="password123", OptionGroupName="nope")
    assert error_code(e) == "OptionGroupNotFoundFault"
    out = rds.create_db_instance(DBInstanceIdentifier="db1", Engine="mysql",
                                 EngineVersion="8.0.39", DBInstanceClass="db.t3.micro",
                                 AllocatedStorage=20, MasterUsername="admin",
                                 MasterUserPassword="password123", OptionGroupName="my-og")
    assert out["DBInstance"]["OptionGroupMemberships"][0]["OptionGroupName"] == "my-og"


@pytest.mark.only("sim", reason="D10: moto ignores OptionGroupName on CopyDBSnapshot "
                  "(DISAGREEMENTS.md)")
@pytest.mark.backends("sim", "moto")
def test_copy_with_unknown_option_group(backend):
    with pytest.raises(ClientError) as e:
        backend.rds(retries=False).copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed",
                                                    TargetDBSnapshotIdentifier="og1",
                                                    OptionGroupName="no-such-group")
    assert error_code(e) == "OptionGroupNotFoundFault"


# ------------------------------------------------------ 5. same-region copy fields


def test_same_region_copy_source_fields(sim):
    rds = sim.rds()
    out = rds.copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed",
                               TargetDBSnapshotIdentifier="c1")["DBSnapshot"]
    # As the awscli example of copy-db-snapshot shows for a same-region copy.
    assert out["SourceRegion"] == E1
    assert out["SourceDBSnapshotIdentifier"] == SEED_ARN
    sim.set_settings(same_region_copy_source="model")
    out = sim.cli("rds", "copy-db-snapshot", "--source-db-snapshot-identifier", "plain-seed",
                  "--target-db-snapshot-identifier", "c2")["DBSnapshot"]
    assert out["SourceRegion"] == E1
    assert "SourceDBSnapshotIdentifier" not in out


# ------------------------------------------------------ 6. one-step for clusters


@pytest.fixture
def one_step_world():
    return base_world(copy_rule="one-step")


def test_one_step_rule_copies_cluster_snapshots_across_account_and_region(sim_factory,
                                                                          one_step_world):
    sim = sim_factory(one_step_world)
    make_cluster_snapshot(sim, "l1", share_with=VAULT)
    arn = f"arn:aws:rds:{E1}:{PROD}:cluster-snapshot:l1"
    west = sim.rds("vault", W2, retries=False)
    out = west.copy_db_cluster_snapshot(SourceDBClusterSnapshotIdentifier=arn,
                                        TargetDBClusterSnapshotIdentifier="l1-dr",
                                        KmsKeyId="alias/vault", SourceRegion=E1)
    assert out["DBClusterSnapshot"]["SourceDBClusterSnapshotArn"] == arn
    out = sim.cli("rds", "copy-db-cluster-snapshot", "--source-db-cluster-snapshot-identifier",
                  arn, "--target-db-cluster-snapshot-identifier", "l1-dr2", "--kms-key-id",
                  "alias/vault", "--source-region", E1, account="vault", region=W2)
    assert out["DBClusterSnapshot"]["DBClusterSnapshotArn"].startswith(f"arn:aws:rds:{W2}:{VAULT}")
    sim.advance(4 * 3600)
    got = west.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier="l1-dr")
    assert got["DBClusterSnapshots"][0]["Status"] == "available"
    sim.set_settings(copy_rule="strict")
    with pytest.raises(ClientError) as e:
        west.copy_db_cluster_snapshot(SourceDBClusterSnapshotIdentifier=arn,
                                      TargetDBClusterSnapshotIdentifier="l1-dr3",
                                      KmsKeyId="alias/vault", SourceRegion=E1)
    assert error_code(e) == "InvalidParameterCombination"


def test_strict_rule_refuses_cluster_copies_as_instance_copies(sim):
    """copy_rule strict (the older rule): a shared encrypted DB cluster snapshot is
    refused across regions as a shared encrypted DB snapshot is (the same checks in
    the same order, the same error class); an unencrypted one crosses account and
    region in one step under either rule (the older model's text: "You can't copy
    an encrypted, shared DB cluster snapshot from one Amazon Web Services Region to
    another")."""
    make_cluster_snapshot(sim, "l1", share_with=VAULT)
    arn = f"arn:aws:rds:{E1}:{PROD}:cluster-snapshot:l1"
    west = sim.rds("vault", W2, retries=False)
    with pytest.raises(ClientError) as e:  # the key is asked for first
        west.copy_db_cluster_snapshot(SourceDBClusterSnapshotIdentifier=arn,
                                      TargetDBClusterSnapshotIdentifier="l1-dr",
                                      SourceRegion=E1)
    assert error_code(e) == "InvalidParameterValue"
    rc, out = sim.cli("rds", "copy-db-cluster-snapshot", "--source-db-cluster-snapshot-identifier",
                      arn, "--target-db-cluster-snapshot-identifier", "l1-dr", "--kms-key-id",
                      "alias/vault", "--source-region", E1, account="vault", region=W2,
                      check=False)
    assert rc != 0 and "InvalidParameterCombination" in out, out
    # The same class as CopyDBSnapshot's refusal of a shared encrypted DB snapshot.
    rds = sim.rds()
    rds.create_db_snapshot(DBInstanceIdentifier="orders", DBSnapshotIdentifier="o1")
    sim.advance(3600)
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="o1", AttributeName="restore",
                                     ValuesToAdd=[VAULT])
    with pytest.raises(ClientError) as e:
        west.copy_db_snapshot(SourceDBSnapshotIdentifier=f"arn:aws:rds:{E1}:{PROD}:snapshot:o1",
                              TargetDBSnapshotIdentifier="o1-dr", KmsKeyId="alias/vault",
                              SourceRegion=E1)
    assert error_code(e) == "InvalidParameterCombination"

    # An unencrypted cluster's shared snapshot: one step.
    rds.create_db_cluster(DBClusterIdentifier="plainc", Engine="aurora-postgresql",
                          MasterUsername="postgres", MasterUserPassword="password123")
    sim.advance(3600)
    rds.create_db_cluster_snapshot(DBClusterIdentifier="plainc", DBClusterSnapshotIdentifier="p1")
    sim.advance(1800)
    rds.modify_db_cluster_snapshot_attribute(DBClusterSnapshotIdentifier="p1",
                                             AttributeName="restore", ValuesToAdd=[VAULT])
    p1 = f"arn:aws:rds:{E1}:{PROD}:cluster-snapshot:p1"
    out = west.copy_db_cluster_snapshot(SourceDBClusterSnapshotIdentifier=p1,
                                        TargetDBClusterSnapshotIdentifier="p1-dr", SourceRegion=E1)
    assert out["DBClusterSnapshot"]["StorageEncrypted"] is False
    out = sim.cli("rds", "copy-db-cluster-snapshot", "--source-db-cluster-snapshot-identifier",
                  p1, "--target-db-cluster-snapshot-identifier", "p1-dr2", "--source-region", E1,
                  account="vault", region=W2)
    assert out["DBClusterSnapshot"]["SourceDBClusterSnapshotArn"] == p1


# ------------------------------------------------------ 7. session expiry


def _expiration(value):
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc)
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_session_expiration_is_virtual_time(sim):
    out = sim.client("sts").assume_role(RoleArn=f"arn:aws:iam::{VAULT}:role/drsnap-vault",
                                        RoleSessionName="s1", ExternalId="vault-ext-id",
                                        DurationSeconds=900)
    assert _expiration(out["Credentials"]["Expiration"]) == \
        datetime.datetime(2026, 11, 23, 0, 15, tzinfo=datetime.timezone.utc)
    sim.advance(3600)
    cli = sim.cli("sts", "assume-role", "--role-arn", f"arn:aws:iam::{VAULT}:role/drsnap-vault",
                  "--role-session-name", "s2", "--external-id", "vault-ext-id")
    assert _expiration(cli["Credentials"]["Expiration"]) == \
        datetime.datetime(2026, 11, 23, 2, 0, tzinfo=datetime.timezone.utc)


def _world_at(offset_seconds):
    w = base_world()
    t = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + \
        datetime.timedelta(seconds=offset_seconds)
    w["start_time"] = t.strftime("%Y-%m-%dT%H:%M:%SZ")
    return w


def _refreshing_credentials(sim):
    from botocore.credentials import (AssumeRoleCredentialFetcher,
                                      DeferredRefreshableCredentials)
    base = sim.session("prod")

    def client_creator(service, **kw):
        kw.pop("endpoint_url", None)
        return base.client(service, endpoint_url=sim.endpoint, **kw)

    fetcher = AssumeRoleCredentialFetcher(
        client_creator, base.get_credentials(), f"arn:aws:iam::{VAULT}:role/drsnap-vault",
        extra_args={"ExternalId": "vault-ext-id", "RoleSessionName": "drsnap"})
    return DeferredRefreshableCredentials(fetcher.fetch_credentials, "assume-role")


def _assume_role_calls(sim):
    rows = sim.admin("GET", "stats")["requests"]
    return sum(r["ok"] for r in rows if r["operation"] == "AssumeRole")


def test_botocore_refreshes_before_virtual_expiry(sim_factory):
    """botocore refreshes credentials within 10 minutes of Expiration: a world whose
    clock makes the session end in 5 minutes is refreshed on every use; a world in step
    with the wall clock is not."""
    near = sim_factory(_world_at(-55 * 60))  # sessions of 1 h end 5 min from now
    creds = _refreshing_credentials(near)
    for _ in range(3):
        frozen = creds.get_frozen_credentials()
        ident = near.client("sts", creds=(frozen.access_key, frozen.secret_key,
                                          frozen.token)).get_caller_identity()
        assert ident["Account"] == VAULT
    assert _assume_role_calls(near) >= 3
    fresh = sim_factory(_world_at(0))
    creds = _refreshing_credentials(fresh)
    for _ in range(3):
        creds.get_frozen_credentials()
    assert _assume_role_calls(fresh) == 1


# ------------------------------------------------------ 8. undefined roles


@pytest.mark.only("sim", reason="D11: moto lets any role be assumed, defined or not "
                  "(DISAGREEMENTS.md)")
@pytest.mark.backends("sim", "moto")
def test_undefined_role_is_access_denied(backend):
    account = PROD if backend.name == "sim" else "123456789012"
    with pytest.raises(ClientError) as e:
        backend.client("sts", retries=False).assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/no-such-role", RoleSessionName="s1")
    assert error_code(e) == "AccessDenied"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_undefined_role_cli(sim):
    rc, text = sim.cli("sts", "assume-role", "--role-arn", f"arn:aws:iam::{PROD}:role/admin",
                       "--role-session-name", "s1", account="vault", check=False)
    assert rc != 0 and "AccessDenied" in text


# ------------------------------------------------------ 9. CopyTags with Tags


@pytest.mark.backends("sim", "moto")
def test_explicit_tags_replace_copy_tags(backend):
    rds = backend.rds(retries=False)
    out = rds.copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed",
                               TargetDBSnapshotIdentifier="t1", CopyTags=True,
                               Tags=[{"Key": "copy", "Value": "yes"}])["DBSnapshot"]
    backend.settle()
    tags = rds.list_tags_for_resource(ResourceName=out["DBSnapshotArn"])["TagList"]
    assert tags == [{"Key": "copy", "Value": "yes"}]


def test_explicit_tags_replace_copy_tags_cli(sim):
    out = sim.cli("rds", "copy-db-snapshot", "--source-db-snapshot-identifier", "plain-seed",
                  "--target-db-snapshot-identifier", "t2", "--copy-tags", "--tags",
                  "Key=copy,Value=cli")["DBSnapshot"]
    assert out["TagList"] == [{"Key": "copy", "Value": "cli"}]


# ------------------------------------------------------ 10. minor shapes


@pytest.mark.backends("sim", "moto")
def test_delete_cluster_snapshot_answers_available(backend):
    make_cluster_snapshot(backend, "l1")
    out = backend.rds().delete_db_cluster_snapshot(DBClusterSnapshotIdentifier="l1")
    assert out["DBClusterSnapshot"]["Status"] == "available"


@pytest.mark.only("sim", reason="D13: moto shows an Aurora cluster snapshot's storage and port, "
                  "AWS's examples 0 (DISAGREEMENTS.md)")
@pytest.mark.backends("sim", "moto")
def test_aurora_cluster_snapshot_storage_and_port_are_zero(backend):
    make_cluster_snapshot(backend, "l1")
    got = backend.rds().describe_db_cluster_snapshots(DBClusterSnapshotIdentifier="l1")[
        "DBClusterSnapshots"][0]
    # The awscli examples show 0 for an Aurora cluster snapshot.
    assert (got["AllocatedStorage"], got["Port"]) == (0, 0)


def test_delete_cluster_snapshot_cli_and_aurora_fields(sim):
    make_cluster_snapshot(sim, "l1")
    out = sim.cli("rds", "delete-db-cluster-snapshot", "--db-cluster-snapshot-identifier", "l1")
    assert out["DBClusterSnapshot"]["Status"] == "available"
    assert (out["DBClusterSnapshot"]["AllocatedStorage"], out["DBClusterSnapshot"]["Port"]) == \
        (0, 0)


@pytest.mark.backends("sim", "moto")
def test_kms_create_list_revoke_grant(backend):
    kms = backend.client("kms", retries=False)
    key = kms.create_key(Description="grant test")["KeyMetadata"]
    out = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=f"arn:aws:iam::{VAULT}:root",
                           Operations=["Decrypt", "DescribeKey"], Name="g1")
    assert out["GrantId"] and out["GrantToken"]
    grants = kms.list_grants(KeyId=key["Arn"])["Grants"]
    assert [g["GrantId"] for g in grants] == [out["GrantId"]]
    assert grants[0]["GranteePrincipal"] == f"arn:aws:iam::{VAULT}:root"
    assert sorted(grants[0]["Operations"]) == ["Decrypt", "DescribeKey"]
    kms.revoke_grant(KeyId=key["KeyId"], GrantId=out["GrantId"])
    assert kms.list_grants(KeyId=key["Arn"])["Grants"] == []


def test_kms_grant_cli_opens_a_key_to_the_vault(sim):
    make_snapshot(sim, "o1")
    prod = sim.rds()
    prod.copy_db_snapshot(SourceDBSnapshotIdentifier="o1", TargetDBSnapshotIdentifier="o1-priv",
                          KmsKeyId="alias/prod-private")
    sim.advance(3600)
    prod.modify_db_snapshot_attribute(DBSnapshotIdentifier="o1-priv", AttributeName="restore",
                                      ValuesToAdd=[VAULT])
    arn = f"arn:aws:rds:{E1}:{PROD}:snapshot:o1-priv"
    vault = sim.rds("vault", retries=False)
    with pytest.raises(ClientError) as e:
        vault.copy_db_snapshot(SourceDBSnapshotIdentifier=arn, TargetDBSnapshotIdentifier="v1",
                               KmsKeyId="alias/vault")
    assert error_code(e) == "KMSKeyNotAccessibleFault"
    key_arn = snap(prod, "o1-priv")["KmsKeyId"]
    sim.cli("kms", "create-grant", "--key-id", key_arn, "--grantee-principal",
            f"arn:aws:iam::{VAULT}:root", "--operations", "Decrypt", "DescribeKey",
            "CreateGrant")
    vault.copy_db_snapshot(SourceDBSnapshotIdentifier=arn, TargetDBSnapshotIdentifier="v1",
                           KmsKeyId="alias/vault")


def test_describe_account_attributes(sim):
    sim.set_settings(manual_snapshot_quota=50)
    quotas = {q["AccountQuotaName"]: q for q in
              sim.rds().describe_account_attributes()["AccountQuotas"]}
    assert quotas["ManualSnapshots"]["Used"] == 1  # plain-seed
    assert quotas["ManualSnapshots"]["Max"] == 50
    assert quotas["DBInstances"]["Used"] == 5
    cli = sim.cli("rds", "describe-account-attributes", region=W2)
    quotas = {q["AccountQuotaName"]: q for q in cli["AccountQuotas"]}
    assert quotas["ManualSnapshots"]["Used"] == 0
    assert quotas["ManualClusterSnapshots"]["Max"] == 100


# ------------------------------------------------------ 11. robustness


def test_invalid_percent_escape_does_not_break_stats(sim):
    status, _ = _http("POST", sim.endpoint + "/", "Action=%AD&Version=2014-10-31")
    assert status == 403
    stats = sim.admin("GET", "stats")
    assert stats["total"]["failed"] == 1
    # Still serving real clients.
    assert sim.rds().describe_db_snapshots()["DBSnapshots"]
    assert sim.cli("rds", "describe-db-snapshots")["DBSnapshots"]


def test_request_body_limit(sim_factory):
    sim = sim_factory(base_world(), args=["--max-body-bytes", "100000"])
    status, _ = _http("POST", sim.endpoint + "/", "Action=DescribeDBSnapshots&X=" + "x" * 200000)
    assert status == 413
    assert sim.rds().describe_db_snapshots()["DBSnapshots"]
    assert sim.cli("rds", "describe-db-snapshots")["DBSnapshots"]


def test_stalled_body_is_cut_off(sim_factory):
    sim = sim_factory(base_world(), args=["--read-timeout-ms", "500"])
    port = int(sim.endpoint.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nAction=Desc")
        start = time.monotonic()
        while s.recv(4096):
            pass
        assert time.monotonic() - start < 5
    assert sim.rds().describe_db_snapshots()["DBSnapshots"]


def test_state_file_is_private(sim_factory, tmp_path):
    state = tmp_path / "state.json"
    sim = sim_factory(base_world(), args=["--state", str(state)])
    sim.cli("rds", "describe-db-snapshots")
    assert sim.stop() == 0
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o600
    assert json.loads(state.read_text())["version"] >= 1
    # A state file left readable by others is made private when saved again.
    os.chmod(state, 0o644)
    again = sim_factory({"accounts": []}, args=["--state", str(state)])
    assert again.rds().describe_db_snapshots()["DBSnapshots"]
    assert again.stop() == 0
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o600


# ------------------------------------------------------ who created each snapshot


def test_admin_records_who_created_each_snapshot(sim):
    rds = sim.rds()
    rds.meta.events.register("before-sign.rds.*",
                             lambda request, **_: request.headers.__setitem__(
                                 "User-Agent", "drsnap-conformance/1.0"))
    rds.create_db_snapshot(DBInstanceIdentifier="plain", DBSnapshotIdentifier="by-boto3")
    sim.cli("rds", "create-db-snapshot", "--db-instance-identifier", "plain",
            "--db-snapshot-identifier", "by-cli", account="prod")
    c = sim.client("sts").assume_role(RoleArn=f"arn:aws:iam::{VAULT}:role/drsnap-vault",
                                      RoleSessionName="dr", ExternalId="vault-ext-id")
    creds = c["Credentials"]
    sim.rds().modify_db_snapshot_attribute(DBSnapshotIdentifier="plain-seed",
                                           AttributeName="restore", ValuesToAdd=[VAULT])
    sim.client("rds", creds=(creds["AccessKeyId"], creds["SecretAccessKey"],
                             creds["SessionToken"])).copy_db_snapshot(
        SourceDBSnapshotIdentifier=SEED_ARN, TargetDBSnapshotIdentifier="by-role")
    by = {s["id"]: s for s in sim.admin("GET", "snapshots")}
    assert by["by-boto3"]["created_by"] == {
        "source": "api", "account": PROD, "principal_arn": f"arn:aws:iam::{PROD}:user/drsnap",
        "user_agent": "drsnap-conformance/1.0", "action": "CreateDBSnapshot"}
    assert by["by-cli"]["created_by"]["user_agent"].startswith("aws-cli/2")
    assert by["by-role"]["account"] == VAULT
    assert by["by-role"]["created_by"]["principal_arn"] == \
        f"arn:aws:sts::{VAULT}:assumed-role/drsnap-vault/dr"
    assert by["plain-seed"]["created_by"]["source"] == "world"
    only_vault = sim.admin("GET", f"snapshots?account={VAULT}")
    assert [s["id"] for s in only_vault] == ["by-role"]
