"""Cases that run against drsnap-sim always and against a real AWS account pair when asked
(the live-AWS mode, live_aws.py; docs/sim.md). They create what they need through the
APIs (KMS keys, a db.t4g.micro PostgreSQL instance, snapshots, copies, an option group),
record every raw answer (redacted), note what they observe (copy statuses, source fields,
error codes and texts) and remove everything at the end.

Against drsnap-sim they also check its answers exactly; against AWS they check only what
AWS documents, so that a run records AWS's behaviour even where drsnap-sim guesses.

    DRSNAP_LIVE_AWS=1 /usr/bin/python3 -m pytest -q -p no:cacheprovider \\
        tests/conformance/test_live.py \\
        --live-source-profile SRC --live-vault-profile DR [--live-aurora]
"""

import copy
import json
import os
import pathlib
import shutil
import subprocess

import boto3
import pytest
from botocore.exceptions import ClientError

import live_aws
from conftest import ACCOUNTS, AWS_CLI, E1, ORIGINAL_AWS_ENV, W2, SimBackend

COPY_STATUSES = {"pending", "creating", "copying"}


def _live_enabled(config):
    return os.environ.get("DRSNAP_LIVE_AWS") == "1"


def pytest_generate_tests(metafunc):
    if "env" in metafunc.fixturenames:
        kinds = ["sim"] + (["live"] if _live_enabled(metafunc.config) else [])
        metafunc.parametrize("env", kinds, indirect=True, scope="module")


def _sim_env(tmp):
    world = {"start_time": "2026-11-23T00:00:00Z", "regions": [E1, W2], "accounts": [
        {"id": ACCOUNTS[r]["id"], "name": r,
         "access_keys": [{"id": ACCOUNTS[r]["key"], "secret": ACCOUNTS[r]["secret"],
                          "user": "conformance"}]} for r in ("prod", "vault")]}
    d = tmp / "sim"
    d.mkdir()
    sim = SimBackend(d, copy.deepcopy(world))

    def session(role):
        a = ACCOUNTS[role]
        return boto3.session.Session(aws_access_key_id=a["key"],
                                     aws_secret_access_key=a["secret"])

    source = live_aws.Account("source", ACCOUNTS["prod"]["id"], session("prod"))
    vault = live_aws.Account("vault", ACCOUNTS["vault"]["id"], session("vault"))
    rec = live_aws.Recorder(tmp / "recordings", live_aws.Redactor(source.id, vault.id))
    env = live_aws.Env("sim", source, vault, E1, W2, rec, "sim0001", sim=sim,
                       endpoint=sim.endpoint, poll_seconds=60, aurora=True)
    env.cli_env = lambda role, region: {
        "PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp"),
        "AWS_ACCESS_KEY_ID": ACCOUNTS["prod" if role == "source" else "vault"]["key"],
        "AWS_SECRET_ACCESS_KEY": ACCOUNTS["prod" if role == "source" else "vault"]["secret"],
        "AWS_DEFAULT_REGION": region, "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "", "NO_PROXY": "127.0.0.1"}
    return env


def _live_env(config):
    src_profile = config.getoption("--live-source-profile")
    vault_profile = config.getoption("--live-vault-profile")
    if not src_profile or not vault_profile:
        pytest.fail("DRSNAP_LIVE_AWS=1 needs --live-source-profile and --live-vault-profile")
    for k, v in ORIGINAL_AWS_ENV.items():  # proxies, if any, for the real endpoints
        if k.lower().endswith("_proxy"):
            os.environ[k] = v
    config_file = ORIGINAL_AWS_ENV.get("AWS_CONFIG_FILE")
    creds_file = ORIGINAL_AWS_ENV.get("AWS_SHARED_CREDENTIALS_FILE")
    src = live_aws.live_session(src_profile, config_file, creds_file)
    vlt = live_aws.live_session(vault_profile, config_file, creds_file)
    ids = [s.client("sts", region_name="us-east-1").get_caller_identity()["Account"]
           for s in (src, vlt)]
    if ids[0] == ids[1]:
        pytest.fail("the two profiles must be two different accounts")
    r1, r2 = config.getoption("--live-regions").split(",")
    out = config.getoption("--live-record-dir")
    for old in pathlib.Path(out).glob("*"):  # the last run's recordings, not the README
        if old.is_dir():
            shutil.rmtree(old)
        elif old.name != "README.md":
            old.unlink()
    source = live_aws.Account("source", ids[0], src)
    vault = live_aws.Account("vault", ids[1], vlt)
    rec = live_aws.Recorder(out, live_aws.Redactor(*ids))
    env = live_aws.Env("live", source, vault, r1, r2, rec, live_aws.new_run_id(),
                       poll_seconds=20, aurora=config.getoption("--live-aurora"))

    def cli_env(role, region):
        e = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp"),
             "AWS_PROFILE": src_profile if role == "source" else vault_profile,
             "AWS_DEFAULT_REGION": region, "AWS_PAGER": ""}
        for k in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            if k in ORIGINAL_AWS_ENV:
                e[k] = ORIGINAL_AWS_ENV[k]
        e.update({k: v for k, v in ORIGINAL_AWS_ENV.items() if k.lower().endswith("_proxy")})
        return e

    env.cli_env = cli_env
    live_aws.install_exit_cleanup(env)
    return env


@pytest.fixture(scope="module")
def env(request, tmp_path_factory):
    e = _live_env(request.config) if request.param == "live" else \
        _sim_env(tmp_path_factory.mktemp("live-as-sim"))
    try:
        e.setup()
        yield e
    finally:
        left = e.teardown()
        if e.kind == "sim":
            e.sim.stop()
        assert left == [], f"left behind: {left}"


def cli(env, role, region, *args):
    p = subprocess.run([AWS_CLI, *args, "--output", "json", "--no-cli-pager",
                        *(["--endpoint-url", env.endpoint] if env.endpoint else [])],
                       env=env.cli_env(role, region), capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout) if p.stdout.strip() else {}


def fields(snap, *names):
    return {n: snap.get(n) for n in names}


SOURCE_FIELDS = ("Status", "PercentProgress", "SourceRegion", "SourceDBSnapshotIdentifier",
                 "SnapshotCreateTime", "OriginalSnapshotCreateTime", "OptionGroupName",
                 "SnapshotType", "Encrypted")


def test_snapshot_and_same_region_copies(env):
    env.rec.case = "same_region_copies"
    rds = env.rds(env.source, env.r1)
    s1 = env.prefix + "-s1"
    out = rds.create_db_snapshot(DBInstanceIdentifier=env.db_id, DBSnapshotIdentifier=s1,
                                 Tags=env.tags + [{"Key": "origin", "Value": "conformance"}])
    env.track("snapshot", env.source, env.r1, s1)
    seen = env.wait_snapshot(env.source, env.r1, s1)
    env.rec.note("create_statuses", [out["DBSnapshot"]["Status"]] + seen)
    assert seen[-1] == "available"
    # Two copies of the same database: the second waits for the first (user guide:
    # "The copies requested later won't start until the previous snapshot copies are
    # completed").
    answers = {}
    for n in ("c1", "c2"):
        sid = f"{env.prefix}-{n}"
        answers[n] = rds.copy_db_snapshot(SourceDBSnapshotIdentifier=s1,
                                          TargetDBSnapshotIdentifier=sid,
                                          Tags=env.tags)["DBSnapshot"]
        env.track("snapshot", env.source, env.r1, sid)
    env.rec.note("copy_answers", {n: fields(a, *SOURCE_FIELDS) for n, a in answers.items()})
    view = cli(env, "source", env.r1, "rds", "describe-db-snapshots",
               "--db-snapshot-identifier", f"{env.prefix}-c2")["DBSnapshots"][0]
    env.rec.note("cli_view_of_second_copy", fields(view, "Status", "PercentProgress"))
    seen = env.poll(lambda: tuple(env.snapshot_status(env.source, env.r1, f"{env.prefix}-{n}")
                                  for n in ("c1", "c2")),
                    lambda st: all(x in ("available", "failed") for x in st), 3600)
    env.rec.note("copy_statuses", seen)
    assert seen[-1] == ("available", "available")
    assert {s for pair in seen[:-1] for s in pair} <= COPY_STATUSES | {"available"}
    # Explicit Tags with CopyTags: only the explicit ones (moto: verified in 2025).
    c3 = env.prefix + "-c3"
    rds.copy_db_snapshot(SourceDBSnapshotIdentifier=s1, TargetDBSnapshotIdentifier=c3,
                         CopyTags=True, Tags=env.tags)
    env.track("snapshot", env.source, env.r1, c3)
    arn = rds.describe_db_snapshots(DBSnapshotIdentifier=c3)["DBSnapshots"][0]["DBSnapshotArn"]
    tags = {t["Key"] for t in rds.list_tags_for_resource(ResourceName=arn)["TagList"]}
    env.rec.note("copy_tags_with_tags", sorted(tags))
    assert "origin" not in tags
    if env.kind == "sim":
        assert answers["c1"]["Status"] == "creating" and answers["c2"]["Status"] == "pending"
        assert view["Status"] == "pending"
        assert answers["c1"]["SourceRegion"] == env.r1
    env.wait_snapshot(env.source, env.r1, c3)
    env.rec.flush()


def test_cross_account_copies(env):
    env.rec.case = "cross_account_copies"
    src = env.rds(env.source, env.r1)
    s1 = env.prefix + "-s1"
    s1_arn = src.describe_db_snapshots(DBSnapshotIdentifier=s1)["DBSnapshots"][0][
        "DBSnapshotArn"]
    src.modify_db_snapshot_attribute(DBSnapshotIdentifier=s1, AttributeName="restore",
                                     ValuesToAdd=[env.vault.id])
    v1_rds, v2_rds = env.rds(env.vault, env.r1), env.rds(env.vault, env.r2)
    v1, v2 = env.prefix + "-v1", env.prefix + "-v2"
    out = v1_rds.copy_db_snapshot(SourceDBSnapshotIdentifier=s1_arn, TargetDBSnapshotIdentifier=v1,
                                  KmsKeyId=env.keys[("vault", env.r1)], Tags=env.tags)
    env.track("snapshot", env.vault, env.r1, v1)
    env.rec.note("cross_account_same_region_answer", fields(out["DBSnapshot"], *SOURCE_FIELDS))
    # An option group in the DR region for the cross-region copy.
    major = live_aws_major(env.engine_version)
    og = env.prefix + "-og"
    v2_rds.create_option_group(OptionGroupName=og, EngineName="postgres",
                               MajorEngineVersion=major,
                               OptionGroupDescription="drsnap conformance", Tags=env.tags)
    env.track("option-group", env.vault, env.r2, og)
    errors = {}

    def try_copy(label, source_arn, **kw):
        try:
            v2_rds.copy_db_snapshot(SourceDBSnapshotIdentifier=source_arn,
                                    TargetDBSnapshotIdentifier=env.prefix + "-x",
                                    SourceRegion=env.r1, Tags=env.tags, **kw)
            env.track("snapshot", env.vault, env.r2, env.prefix + "-x")
            errors[label] = None
        except ClientError as e:
            errors[label] = e.response["Error"]["Code"]

    try_copy("no_kms_key", s1_arn)
    assert errors["no_kms_key"] == "InvalidParameterValue"  # documented (KmsKeyId)
    # One step across account and region (AWS's rule since September 2025), or two.
    try:
        out = v2_rds.copy_db_snapshot(SourceDBSnapshotIdentifier=s1_arn,
                                      TargetDBSnapshotIdentifier=v2, SourceRegion=env.r1,
                                      KmsKeyId=env.keys[("vault", env.r2)],
                                      OptionGroupName=og, Tags=env.tags)
        env.rec.note("one_step", "accepted")
    except ClientError as e:
        env.rec.note("one_step", {"refused": e.response["Error"]["Code"]})
        assert e.response["Error"]["Code"] == "InvalidParameterCombination"
        env.wait_snapshot(env.vault, env.r1, v1)
        v1_arn = v1_rds.describe_db_snapshots(DBSnapshotIdentifier=v1)["DBSnapshots"][0][
            "DBSnapshotArn"]
        out = v2_rds.copy_db_snapshot(SourceDBSnapshotIdentifier=v1_arn,
                                      TargetDBSnapshotIdentifier=v2, SourceRegion=env.r1,
                                      KmsKeyId=env.keys[("vault", env.r2)],
                                      OptionGroupName=og, Tags=env.tags)
    env.track("snapshot", env.vault, env.r2, v2)
    env.rec.note("cross_region_answer", fields(out["DBSnapshot"], *SOURCE_FIELDS))
    seen = env.poll(lambda: (env.snapshot_status(env.vault, env.r1, v1),
                             env.snapshot_status(env.vault, env.r2, v2)),
                    lambda st: all(x in ("available", "failed") for x in st), 7200)
    env.rec.note("statuses", seen)
    assert seen[-1] == ("available", "available")
    done = v2_rds.describe_db_snapshots(DBSnapshotIdentifier=v2)["DBSnapshots"][0]
    env.rec.note("cross_region_done", fields(done, *SOURCE_FIELDS))
    assert done["OptionGroupName"] == og
    # An option group that does not exist in the DR region (the vault's own copy as the
    # source: no cross-account rule in the way).
    v1_arn = v1_rds.describe_db_snapshots(DBSnapshotIdentifier=v1)["DBSnapshots"][0][
        "DBSnapshotArn"]
    try_copy("unknown_option_group", v1_arn, KmsKeyId=env.keys[("vault", env.r2)],
             OptionGroupName=env.prefix + "-nope")
    env.rec.note("cross_region_errors", errors)
    if env.kind == "sim":
        assert errors["unknown_option_group"] == "OptionGroupNotFoundFault"
        assert out["DBSnapshot"]["Status"] == "copying"
    env.rec.flush()


def live_aws_major(version):
    return version.split(".")[0]


# The error each call gets from drsnap-sim; a live run records AWS's (codes and texts)
# and fails when a code differs, after writing the recordings.
EXPECTED_ERRORS = {
    "copy_missing_source": "DBSnapshotNotFound",
    "copy_invalid_target": "InvalidParameterValue",
    "copy_existing_target": "DBSnapshotAlreadyExists",
    "copy_aws_tag": "InvalidParameterValue",
    "describe_max_records_19": "InvalidParameterValue",
    "share_encrypted_publicly": "InvalidParameterValue",
    "assume_undefined_role": "AccessDenied",
    "kms_missing_alias": "NotFoundException",
}


def test_error_codes_and_texts(env):
    env.rec.case = "errors"
    rds = env.rds(env.source, env.r1)
    s1 = env.prefix + "-s1"
    calls = {
        "copy_missing_source": lambda: rds.copy_db_snapshot(
            SourceDBSnapshotIdentifier=env.prefix + "-missing",
            TargetDBSnapshotIdentifier=env.prefix + "-e1", Tags=env.tags),
        "copy_invalid_target": lambda: rds.copy_db_snapshot(
            SourceDBSnapshotIdentifier=s1, TargetDBSnapshotIdentifier="x--y", Tags=env.tags),
        "copy_existing_target": lambda: rds.copy_db_snapshot(
            SourceDBSnapshotIdentifier=s1, TargetDBSnapshotIdentifier=env.prefix + "-c1",
            Tags=env.tags),
        "copy_aws_tag": lambda: rds.copy_db_snapshot(
            SourceDBSnapshotIdentifier=s1, TargetDBSnapshotIdentifier=env.prefix + "-e2",
            Tags=[{"Key": "aws:conformance", "Value": "x"}]),
        "describe_max_records_19": lambda: rds.describe_db_snapshots(MaxRecords=19),
        "share_encrypted_publicly": lambda: rds.modify_db_snapshot_attribute(
            DBSnapshotIdentifier=s1, AttributeName="restore", ValuesToAdd=["all"]),
        "assume_undefined_role": lambda: env.vault.session.client(
            "sts", region_name=env.r1,
            **({"endpoint_url": env.endpoint} if env.endpoint else {})).assume_role(
            RoleArn=f"arn:aws:iam::{env.source.id}:role/{env.prefix}-no-such-role",
            RoleSessionName="conformance"),
        "kms_missing_alias": lambda: env.kms(env.source, env.r1).describe_key(
            KeyId=f"alias/{env.prefix}-missing"),
    }
    got = {}
    for label, call in calls.items():
        try:
            call()
            got[label] = {"code": None}
        except ClientError as e:
            got[label] = {"code": e.response["Error"]["Code"],
                          "message": e.response["Error"].get("Message"),
                          "http_status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
    env.rec.note("errors", got)
    # Shapes of successful calls drsnap-sim added in issue 19.
    quotas = rds.describe_account_attributes()["AccountQuotas"]
    env.rec.note("account_quotas", {q["AccountQuotaName"]: [q["Used"], q["Max"]] for q in quotas})
    kms = env.kms(env.source, env.r1)
    key = env.keys[("source", env.r1)]
    grant = kms.create_grant(KeyId=key, GranteePrincipal=f"arn:aws:iam::{env.vault.id}:root",
                             Operations=["Decrypt", "DescribeKey"], Name=env.prefix)
    listed = kms.list_grants(KeyId=key)["Grants"]
    kms.revoke_grant(KeyId=key, GrantId=grant["GrantId"])
    env.rec.note("grants_listed", len(listed))
    env.rec.flush()
    differ = {k: (v, got[k]["code"]) for k, v in EXPECTED_ERRORS.items() if got[k]["code"] != v}
    assert differ == {}, f"AWS and drsnap-sim differ (recorded in {env.rec.out}): {differ}"
    assert "ManualSnapshots" in {q["AccountQuotaName"] for q in quotas}


def test_aurora_cluster_snapshot_copy(env):
    if not env.aurora:
        pytest.skip("without --live-aurora")
    env.rec.case = "aurora"
    rds = env.rds(env.source, env.r1)
    l1, l2 = env.prefix + "-l1", env.prefix + "-l2"
    rds.create_db_cluster_snapshot(DBClusterIdentifier=env.cluster_id,
                                   DBClusterSnapshotIdentifier=l1, Tags=env.tags)
    env.track("cluster-snapshot", env.source, env.r1, l1)
    env.rec.note("create_statuses", env.wait_snapshot(env.source, env.r1, l1, cluster=True))
    src = rds.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier=l1)[
        "DBClusterSnapshots"][0]
    env.wait(120)
    out = rds.copy_db_cluster_snapshot(SourceDBClusterSnapshotIdentifier=l1,
                                       TargetDBClusterSnapshotIdentifier=l2,
                                       Tags=env.tags)["DBClusterSnapshot"]
    env.track("cluster-snapshot", env.source, env.r1, l2)
    names = ("Status", "PercentProgress", "SnapshotCreateTime", "AllocatedStorage", "Port",
             "LicenseModel", "SourceDBClusterSnapshotArn")
    env.rec.note("copy_answer", fields(out, *names))
    env.rec.note("source", fields(src, *names))
    env.rec.note("copy_statuses", env.wait_snapshot(env.source, env.r1, l2, cluster=True))
    deleted = rds.delete_db_cluster_snapshot(DBClusterSnapshotIdentifier=l2)["DBClusterSnapshot"]
    env.rec.note("delete_answer", fields(deleted, *names))
    assert out["SourceDBClusterSnapshotArn"] == src["DBClusterSnapshotArn"]
    if env.kind == "sim":
        assert out["SnapshotCreateTime"] == src["SnapshotCreateTime"]
        assert (out["AllocatedStorage"], out["Port"]) == (0, 0)
        assert deleted["Status"] == "available"
    # Shared with the vault account: one step across account and region (AWS's rule
    # since September 2025, for cluster snapshots too), or a refusal drsnap must
    # recognise by its class (then it copies within the source region first).
    rds.modify_db_cluster_snapshot_attribute(DBClusterSnapshotIdentifier=l1,
                                             AttributeName="restore", ValuesToAdd=[env.vault.id])
    v2_rds = env.rds(env.vault, env.r2)
    lv = env.prefix + "-lv"
    try:
        v2_rds.copy_db_cluster_snapshot(SourceDBClusterSnapshotIdentifier=src[
            "DBClusterSnapshotArn"], TargetDBClusterSnapshotIdentifier=lv, SourceRegion=env.r1,
            KmsKeyId=env.keys[("vault", env.r2)], Tags=env.tags)
        env.track("cluster-snapshot", env.vault, env.r2, lv)
        env.rec.note("cluster_one_step", "accepted")
        env.rec.note("cluster_one_step_statuses",
                     env.wait_snapshot(env.vault, env.r2, lv, cluster=True, timeout=7200))
    except ClientError as e:
        env.rec.note("cluster_one_step", {"refused": e.response["Error"]["Code"],
                                          "message": e.response["Error"]["Message"]})
        assert e.response["Error"]["Code"] == "InvalidParameterCombination"
    env.rec.flush()


def test_recordings_are_redacted(env):
    """Whatever the mode, the recordings name no real account and hold no secret."""
    env.rec.flush()
    files = [p for p in env.rec.out.rglob("*") if p.is_file()]
    assert any(p.name.endswith("CopyDBSnapshot.xml") for p in files)
    for p in files:
        text = p.read_text()
        assert env.source.id not in text and env.vault.id not in text, p
        assert "<SessionToken>" not in text or "<SessionToken>REDACTED<" in text, p
    index = json.loads((env.rec.out / "index.json").read_text())
    assert {"setup", "same_region_copies", "cross_account_copies", "errors"} <= set(index)
    obs = json.loads((env.rec.out / "observations.json").read_text())
    assert obs["errors"]["errors"]["assume_undefined_role"]["code"] == "AccessDenied"


def test_sweep_removes_what_a_killed_run_left(tmp_path):
    """A run killed before its teardown (SIGKILL) leaves tagged resources; the sweep finds
    them by tag and removes them (here against drsnap-sim, with every tag expired)."""
    import datetime
    env = _sim_env(tmp_path)
    try:
        env.setup()
        rds = env.rds(env.source, env.r1)
        rds.create_db_snapshot(DBInstanceIdentifier=env.db_id,
                               DBSnapshotIdentifier=env.prefix + "-k1", Tags=env.tags)
        env.wait(600)
        # Not ours: no tag, or a name that is not drsnap-conf-*.
        rds.create_db_snapshot(DBInstanceIdentifier=env.db_id, DBSnapshotIdentifier="keep-me")
        env.wait(600)
        later = datetime.datetime(2100, 1, 1, tzinfo=datetime.timezone.utc)
        dry = live_aws.sweep(env.source, env.vault, [env.r1, env.r2], now=later, dry_run=True,
                             out=lambda _: None, endpoint=env.endpoint)
        assert any(r.endswith(":snapshot:" + env.prefix + "-k1") for r in dry)
        removed = live_aws.sweep(env.source, env.vault, [env.r1, env.r2], now=later,
                                 out=lambda _: None, endpoint=env.endpoint)
        assert removed == dry
        left = [s["DBSnapshotIdentifier"] for s in rds.describe_db_snapshots()["DBSnapshots"]]
        assert left == ["keep-me"]
        assert rds.describe_db_instances()["DBInstances"] == [] or \
            all(d["DBInstanceStatus"] == "deleting"
                for d in rds.describe_db_instances()["DBInstances"])
        for role, region in (("source", env.r1), ("vault", env.r1), ("vault", env.r2)):
            kms = env.kms(env.account(role), region)
            meta = kms.describe_key(KeyId=env.keys[(role, region)])["KeyMetadata"]
            assert meta["KeyState"] == "PendingDeletion"
        # Nothing expires before its time.
        assert live_aws.sweep(env.source, env.vault, [env.r1], out=lambda _: None,
                              endpoint=env.endpoint) == []
    finally:
        env.teardown()
        env.sim.stop()


def test_live_session_reads_the_named_profile(tmp_path):
    """The live half reads the caller's config files although the suite points
    AWS_CONFIG_FILE at /dev/null (no network: only the credentials are resolved)."""
    cfg = tmp_path / "config"
    cfg.write_text("[profile src]\nregion = eu-west-1\n")
    creds = tmp_path / "credentials"
    creds.write_text("[src]\naws_access_key_id = AKIASRC0000000000001\n"
                     "aws_secret_access_key = src-secret\n")
    s = live_aws.live_session("src", str(cfg), str(creds))
    c = s.get_credentials().get_frozen_credentials()
    assert (c.access_key, c.secret_key) == ("AKIASRC0000000000001", "src-secret")
    assert s.region_name == "eu-west-1"


def test_redactor():
    r = live_aws.Redactor("123412341234", "987698769876")
    text = ("<Arn>arn:aws:sts::123412341234:assumed-role/r/s</Arn>"
            "<KmsKeyId>arn:aws:kms:us-east-1:987698769876:key/1234abcd-12ab-34cd-56ef-1234567890ab"
            "</KmsKeyId><AccessKeyId>ASIAABCDEFGHIJKLMNOP</AccessKeyId>"
            "<SecretAccessKey>abc/def+ghi</SecretAccessKey><SessionToken>IQoJb3J</SessionToken>"
            "<DbiResourceId>db-ABCDEFGHIJKLMNOPQRSTUVWXYZ</DbiResourceId>"
            "<Address>x.c1a2b3c4d5e6.us-east-1.rds.amazonaws.com</Address>"
            "<VpcId>vpc-0123456789abcdef0</VpcId><Arn>arn:aws:iam::123412341234:user/alice</Arn>"
            '{"GrantToken": "AQpAsecret", "KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab"}')
    out = r(text)
    for secret in ("123412341234", "987698769876", "ASIAABCDEFGHIJKLMNOP", "abc/def+ghi",
                   "IQoJb3J", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "c1a2b3c4d5e6", "0123456789abcdef0",
                   "alice", "AQpAsecret", "1234abcd-12ab"):
        assert secret not in out, secret
    assert "arn:aws:sts::111111111111:assumed-role/r/s" in out
    assert out.count("00000000-0000-4000-8000-000000000001") == 2  # the same key, the same fake
