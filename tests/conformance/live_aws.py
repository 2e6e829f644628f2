"""The live-AWS mode of the conformance suite: an environment (two accounts, two regions,
KMS keys, one tiny database) that is either a real AWS account pair or drsnap-sim, a
recorder of raw responses (redacted) and a sweeper for what a killed run left behind.

Live mode runs only when asked: DRSNAP_LIVE_AWS=1 and two profiles on the command line
(see docs/sim.md, "Live-AWS mode of the conformance suite"). CI runs the very same
environment and cases against drsnap-sim (`test_live.py[sim]`), which keeps this code
tested without an AWS account.

Everything it creates is tiny (a db.t4g.micro PostgreSQL instance without backups, or
with --live-aurora also an Aurora Serverless v2 cluster without instances), named
`drsnap-conf-<run>-...`, tagged `drsnap-conformance=live` + `drsnap-conformance-run=<run>`
+ `drsnap-conformance-expires=<ISO time>`, and removed on every exit path (the
session fixture's finalizer, SIGINT/SIGTERM, atexit). KMS keys are scheduled for deletion
(7 days, the minimum). `python3 tests/conformance/live_aws.py sweep ...` removes what a
killed run left.

Runs under Debian's /usr/bin/python3 (boto3/botocore 1.29).
"""

import argparse
import atexit
import datetime
import json
import os
import pathlib
import re
import secrets
import signal
import sys
import time
import uuid

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

TAG = "drsnap-conformance"
RUN_TAG = "drsnap-conformance-run"
EXPIRES_TAG = "drsnap-conformance-expires"
FAKE_SOURCE, FAKE_VAULT = "111111111111", "222222222222"

# ---------------------------------------------------------------------- redaction


class Redactor:
    """Replaces what identifies the accounts or grants access in recorded text: account
    ids (source -> 111111111111, vault -> 222222222222), access key ids, secret keys,
    session tokens, passwords, KMS key ids (stable fake UUIDs), request ids, resource ids
    (db-/cluster-), RDS endpoint host ids, VPC/subnet/security group ids, IAM user names."""

    _UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")

    def __init__(self, source_account, vault_account):
        self.accounts = {source_account: FAKE_SOURCE, vault_account: FAKE_VAULT}
        self.uuids = {}

    def _fake_uuid(self, m):
        real = m.group(0)
        if real not in self.uuids:
            n = len(self.uuids) + 1
            self.uuids[real] = f"00000000-0000-4000-8000-{n:012d}"
        return self.uuids[real]

    def __call__(self, text):
        if not isinstance(text, str):
            text = json.dumps(text, default=str)
        for real, fake in self.accounts.items():
            text = text.replace(real, fake)
        text = re.sub(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b", r"\1EXAMPLEEXAMPLEEX", text)
        for field in ("SecretAccessKey", "SessionToken", "GrantToken", "MasterUserPassword",
                      "PreSignedUrl"):
            text = re.sub(rf"(<{field}>)[^<]*(</{field}>)", r"\1REDACTED\2", text)
            text = re.sub(rf'("{field}"\s*:\s*")[^"]*(")', r"\1REDACTED\2", text)
        text = self._UUID.sub(self._fake_uuid, text)
        text = re.sub(r"\b(db|cluster)-[A-Z0-9]{26}\b", r"\1-REDACTEDREDACTEDREDACTEDRE", text)
        text = re.sub(r"\.c[a-z0-9]{11}\.([a-z0-9-]+)\.rds\.amazonaws\.com",
                      r".cexampleexam.\1.rds.amazonaws.com", text)
        text = re.sub(r"\b(vpc|subnet|sg|igw|eni)-[0-9a-f]{8,17}\b", r"\1-0example", text)
        text = re.sub(r"(arn:aws:iam::\d{12}:user/)[\w+=,.@/-]+", r"\1redacted", text)
        return text


# ---------------------------------------------------------------------- recording


class Recorder:
    """Writes every raw response (success or error) of the clients it is attached to,
    redacted, under out_dir/<case>/NN-<service>-<Operation>.<xml|json>, with an index
    (index.json: operation, account role, region, HTTP status, error code and message)
    and the observations a case notes (observations.json)."""

    def __init__(self, out_dir, redactor):
        self.out = pathlib.Path(out_dir)
        self.redact = redactor
        self.case = "setup"
        self.entries = {}
        self.observations = {}
        self.counter = {}

    def attach(self, client, role):
        service = client.meta.service_model.service_name
        region = client.meta.region_name

        def after_call(http_response, parsed, model, **_):
            self._record(service, model.name, role, region, http_response, parsed)

        client.meta.events.register("after-call", after_call)
        return client

    def _record(self, service, operation, role, region, http, parsed):
        n = self.counter.get(self.case, 0) + 1
        self.counter[self.case] = n
        ext = "json" if service == "kms" else "xml"
        name = f"{n:02d}-{service}-{operation}.{ext}"
        body = http.content.decode("utf-8", errors="replace") if http is not None else ""
        d = self.out / self.case
        d.mkdir(parents=True, exist_ok=True)
        (d / name).write_text(self.redact(body))
        err = (parsed or {}).get("Error", {}) if isinstance(parsed, dict) else {}
        self.entries.setdefault(self.case, []).append({
            "file": name, "service": service, "operation": operation, "account": role,
            "region": region, "http_status": getattr(http, "status_code", None),
            "error_code": err.get("Code"), "error_message": self.redact(err.get("Message", ""))
            if err.get("Message") else None})

    def note(self, key, value):
        self.observations.setdefault(self.case, {})[key] = json.loads(self.redact(
            json.dumps(value, default=str)))

    def flush(self):
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "index.json").write_text(json.dumps(self.entries, indent=1, sort_keys=True))
        (self.out / "observations.json").write_text(json.dumps(self.observations, indent=1,
                                                               sort_keys=True))


# ---------------------------------------------------------------------- environment


class Account:
    def __init__(self, role, account_id, session):
        self.role = role          # "source" | "vault"
        self.id = account_id
        self.session = session    # boto3.Session


class Env:
    """Two accounts (source, vault) and two regions (r1: the database's, r2: the DR
    region). kind "live" talks to AWS through two profiles; kind "sim" to a drsnap-sim
    (sim: its SimBackend) with explicit keys, where waiting advances the virtual clock."""

    def __init__(self, kind, source, vault, r1, r2, recorder, run_id, sim=None,
                 endpoint=None, poll_seconds=20, aurora=False):
        self.kind = kind
        self.source, self.vault = source, vault
        self.r1, self.r2 = r1, r2
        self.rec = recorder
        self.run_id = run_id
        self.sim = sim
        self.endpoint = endpoint
        self.poll_seconds = poll_seconds
        self.aurora = aurora
        self.prefix = f"drsnap-conf-{run_id}"
        expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=6)
        self.tags = [{"Key": TAG, "Value": "live"}, {"Key": RUN_TAG, "Value": run_id},
                     {"Key": EXPIRES_TAG, "Value": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}]
        self._clients = {}
        # What setup created (torn down in reverse): ("snapshot"|"cluster-snapshot"|"db"|
        # "cluster"|"option-group"|"key"|"alias", account role, region, id).
        self.created = []
        self.db_id = self.prefix + "-db"
        self.cluster_id = self.prefix + "-aurora"
        self.keys = {}  # (role, region) -> key ARN
        self.torn_down = False

    # --- clients
    def client(self, service, account, region):
        key = (service, account.role, region)
        if key not in self._clients:
            cfg = Config(retries={"mode": "standard", "max_attempts": 8}, connect_timeout=10,
                         read_timeout=60)
            kw = {"endpoint_url": self.endpoint} if self.endpoint else {}
            c = account.session.client(service, region_name=region, config=cfg, **kw)
            self._clients[key] = self.rec.attach(c, account.role)
        return self._clients[key]

    def rds(self, account, region):
        return self.client("rds", account, region)

    def kms(self, account, region):
        return self.client("kms", account, region)

    # --- time
    def wait(self, seconds):
        if self.kind == "sim":
            self.sim.advance(seconds)
        else:
            time.sleep(seconds)

    def poll(self, describe, done, timeout, interval=None):
        """Calls describe() until done(result); returns every distinct result seen."""
        interval = interval or self.poll_seconds
        seen, deadline = [], time.monotonic() + timeout
        waited = 0
        while True:
            r = describe()
            if not seen or seen[-1] != r:
                seen.append(r)
            if done(r):
                return seen
            if self.kind == "live" and time.monotonic() > deadline:
                raise TimeoutError(f"still {r} after {timeout} s")
            if self.kind == "sim" and waited > timeout:
                raise TimeoutError(f"still {r} after {timeout} virtual s")
            self.wait(interval)
            waited += interval

    # --- snapshots
    def snapshot_status(self, account, region, sid, cluster=False):
        rds = self.rds(account, region)
        if cluster:
            s = rds.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier=sid)
            return s["DBClusterSnapshots"][0]["Status"]
        return rds.describe_db_snapshots(DBSnapshotIdentifier=sid)["DBSnapshots"][0]["Status"]

    def wait_snapshot(self, account, region, sid, cluster=False, timeout=3600):
        return self.poll(lambda: self.snapshot_status(account, region, sid, cluster),
                         lambda st: st in ("available", "failed"), timeout)

    def track(self, kind, account, region, ident):
        self.created.append((kind, account.role, region, ident))

    def account(self, role):
        return self.source if role == "source" else self.vault

    # --- setup
    def key_policy(self):
        return json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "owner", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{self.source.id}:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "vault-copies", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{self.vault.id}:root"},
             "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant", "kms:ReEncrypt*",
                        "kms:GenerateDataKey*"], "Resource": "*"}]})

    def make_key(self, account, region, policy=None):
        kms = self.kms(account, region)
        kw = {"Policy": policy} if policy else {}
        meta = kms.create_key(Description=f"{self.prefix} conformance key",
                              Tags=[{"TagKey": t["Key"], "TagValue": t["Value"]}
                                    for t in self.tags], **kw)["KeyMetadata"]
        self.track("key", account, region, meta["Arn"])
        alias = f"alias/{self.prefix}-{account.role}"
        kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])
        self.track("alias", account, region, alias)
        self.keys[(account.role, region)] = meta["Arn"]
        return meta["Arn"]

    def setup(self):
        self.rec.case = "setup"
        self.make_key(self.source, self.r1, self.key_policy())
        self.make_key(self.vault, self.r1)
        self.make_key(self.vault, self.r2)
        rds = self.rds(self.source, self.r1)
        rds.create_db_instance(
            DBInstanceIdentifier=self.db_id, Engine="postgres", DBInstanceClass="db.t4g.micro",
            AllocatedStorage=20, StorageType="gp3", MasterUsername="drsnapconf",
            MasterUserPassword=secrets.token_urlsafe(18).replace("-", "a").replace("_", "b"),
            StorageEncrypted=True, KmsKeyId=self.keys[("source", self.r1)],
            BackupRetentionPeriod=0, MultiAZ=False, PubliclyAccessible=False,
            DeletionProtection=False, AutoMinorVersionUpgrade=False, Tags=self.tags)
        self.track("db", self.source, self.r1, self.db_id)
        if self.aurora:
            rds.create_db_cluster(
                DBClusterIdentifier=self.cluster_id, Engine="aurora-postgresql",
                MasterUsername="drsnapconf",
                MasterUserPassword=secrets.token_urlsafe(18).replace("-", "a").replace("_", "b"),
                StorageEncrypted=True, KmsKeyId=self.keys[("source", self.r1)],
                ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 1.0},
                BackupRetentionPeriod=1, DeletionProtection=False, Tags=self.tags)
            self.track("cluster", self.source, self.r1, self.cluster_id)
        seen = self.poll(lambda: rds.describe_db_instances(DBInstanceIdentifier=self.db_id)[
            "DBInstances"][0]["DBInstanceStatus"], lambda s: s == "available", 3600, interval=30)
        self.rec.note("db_statuses", seen)
        if self.aurora:
            self.poll(lambda: rds.describe_db_clusters(DBClusterIdentifier=self.cluster_id)[
                "DBClusters"][0]["Status"], lambda s: s == "available", 3600, interval=30)
        db = rds.describe_db_instances(DBInstanceIdentifier=self.db_id)["DBInstances"][0]
        self.engine_version = db["EngineVersion"]
        self.rec.flush()

    # --- teardown
    def teardown(self):
        """Deletes what setup and the cases created; never raises; returns what it could
        not delete (for the report)."""
        if self.torn_down:
            return []
        self.torn_down = True
        self.rec.case = "teardown"
        left = []

        def attempt(what, fn, tries=1, pause=30):
            for i in range(tries):
                try:
                    fn()
                    return
                except ClientError as e:
                    code = e.response["Error"]["Code"]
                    if code.endswith("NotFound") or code.endswith("NotFoundFault") or \
                            code == "NotFoundException":
                        return
                    if i + 1 == tries:
                        left.append(f"{what}: {code}")
                    else:
                        self.wait(pause)
                except Exception as e:  # keep tearing down whatever happens
                    left.append(f"{what}: {e!r}")
                    return

        order = {"snapshot": 0, "cluster-snapshot": 0, "option-group": 1, "db": 2, "cluster": 2,
                 "alias": 3, "key": 4}
        items = sorted(reversed(self.created), key=lambda c: order[c[0]])
        dbs_deleted = []
        for kind, role, region, ident in items:
            acct = self.account(role)
            rds = self.rds(acct, region) if kind not in ("alias", "key") else None
            if kind == "snapshot":
                attempt(ident, lambda: rds.delete_db_snapshot(DBSnapshotIdentifier=ident), 3, 20)
            elif kind == "cluster-snapshot":
                attempt(ident, lambda: rds.delete_db_cluster_snapshot(
                    DBClusterSnapshotIdentifier=ident), 3, 20)
            elif kind == "option-group":
                # Snapshots being deleted may still hold it for a while.
                attempt(ident, lambda: rds.delete_option_group(OptionGroupName=ident), 10, 30)
            elif kind == "db":
                attempt(ident, lambda: rds.delete_db_instance(
                    DBInstanceIdentifier=ident, SkipFinalSnapshot=True,
                    DeleteAutomatedBackups=True), 3, 30)
                dbs_deleted.append((rds, ident, False))
            elif kind == "cluster":
                attempt(ident, lambda: rds.delete_db_cluster(DBClusterIdentifier=ident,
                                                             SkipFinalSnapshot=True), 3, 30)
                dbs_deleted.append((rds, ident, True))
            elif kind == "alias":
                if dbs_deleted:
                    self._wait_gone(dbs_deleted, left)
                    dbs_deleted = []
                attempt(ident, lambda: self.kms(acct, region).delete_alias(AliasName=ident))
            elif kind == "key":
                if dbs_deleted:  # the database's key goes after the database
                    self._wait_gone(dbs_deleted, left)
                    dbs_deleted = []
                attempt(ident, lambda: self.kms(acct, region).schedule_key_deletion(
                    KeyId=ident, PendingWindowInDays=7))
        self.rec.note("left_behind", left)
        self.rec.flush()
        return left

    def _wait_gone(self, dbs, left):
        for rds, ident, cluster in dbs:
            def exists():
                try:
                    if cluster:
                        rds.describe_db_clusters(DBClusterIdentifier=ident)
                    else:
                        rds.describe_db_instances(DBInstanceIdentifier=ident)
                    return True
                except ClientError:
                    return False
            try:
                self.poll(exists, lambda e: not e, 2400, interval=30)
            except TimeoutError:
                left.append(f"{ident}: still deleting")


# ---------------------------------------------------------------------- live sessions


def live_session(profile, config_file=None, credentials_file=None):
    """A boto3 session for a named profile, reading the user's AWS config files (the
    suite points AWS_CONFIG_FILE at /dev/null for every other case)."""
    bs = botocore.session.Session()
    home = pathlib.Path.home()
    bs.set_config_variable("config_file", config_file or str(home / ".aws" / "config"))
    bs.set_config_variable("credentials_file",
                           credentials_file or str(home / ".aws" / "credentials"))
    bs.set_config_variable("profile", profile)
    return boto3.session.Session(botocore_session=bs)


def new_run_id():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%m%d%H%M") + \
        uuid.uuid4().hex[:4]


def install_exit_cleanup(env):
    """Tears env down on SIGINT/SIGTERM and at interpreter exit, whatever happens."""
    def on_signal(signum, _frame):
        env.teardown()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    atexit.register(env.teardown)


# ---------------------------------------------------------------------- sweep


def sweep(source, vault, regions, now=None, dry_run=False, out=print, endpoint=None):
    """Removes resources tagged drsnap-conformance=live whose expiry passed (or all of
    them with now=far future): manual snapshots, option groups, databases, KMS keys
    (scheduled for deletion). Returns the list of what it removed."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    removed = []

    def expired(tags):
        t = {x.get("Key", x.get("TagKey")): x.get("Value", x.get("TagValue")) for x in tags}
        if t.get(TAG) != "live":
            return False
        try:
            exp = datetime.datetime.strptime(t.get(EXPIRES_TAG, ""), "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            return True
        return exp.replace(tzinfo=datetime.timezone.utc) <= now

    def act(what, fn):
        out(("would remove " if dry_run else "removing ") + what)
        removed.append(what)
        if not dry_run:
            try:
                fn()
            except ClientError as e:
                out(f"  failed: {e.response['Error']['Code']}")

    for acct in (source, vault):
        for region in regions:
            ep = {"endpoint_url": endpoint} if endpoint else {}
            rds = acct.session.client("rds", region_name=region, **ep)
            for page in rds.get_paginator("describe_db_snapshots").paginate(SnapshotType="manual"):
                for s in page["DBSnapshots"]:
                    if s["DBSnapshotIdentifier"].startswith("drsnap-conf-") and \
                            expired(s.get("TagList", [])):
                        act(s["DBSnapshotArn"], lambda s=s: rds.delete_db_snapshot(
                            DBSnapshotIdentifier=s["DBSnapshotIdentifier"]))
            for page in rds.get_paginator("describe_db_cluster_snapshots").paginate(
                    SnapshotType="manual"):
                for s in page["DBClusterSnapshots"]:
                    if s["DBClusterSnapshotIdentifier"].startswith("drsnap-conf-") and \
                            expired(s.get("TagList", [])):
                        act(s["DBClusterSnapshotArn"], lambda s=s: rds.delete_db_cluster_snapshot(
                            DBClusterSnapshotIdentifier=s["DBClusterSnapshotIdentifier"]))
            for page in rds.get_paginator("describe_db_instances").paginate():
                for d in page["DBInstances"]:
                    if d["DBInstanceIdentifier"].startswith("drsnap-conf-") and \
                            expired(d.get("TagList", [])):
                        act(d["DBInstanceArn"], lambda d=d: rds.delete_db_instance(
                            DBInstanceIdentifier=d["DBInstanceIdentifier"],
                            SkipFinalSnapshot=True, DeleteAutomatedBackups=True))
            for page in rds.get_paginator("describe_db_clusters").paginate():
                for d in page["DBClusters"]:
                    if d["DBClusterIdentifier"].startswith("drsnap-conf-") and \
                            expired(d.get("TagList", [])):
                        act(d["DBClusterArn"], lambda d=d: rds.delete_db_cluster(
                            DBClusterIdentifier=d["DBClusterIdentifier"], SkipFinalSnapshot=True))
            for page in rds.get_paginator("describe_option_groups").paginate():
                for g in page["OptionGroupsList"]:
                    if g["OptionGroupName"].startswith("drsnap-conf-"):
                        act(g["OptionGroupArn"], lambda g=g: rds.delete_option_group(
                            OptionGroupName=g["OptionGroupName"]))
            kms = acct.session.client("kms", region_name=region, **ep)
            for page in kms.get_paginator("list_aliases").paginate():
                for a in page["Aliases"]:
                    if not a["AliasName"].startswith("alias/drsnap-conf-") or \
                            "TargetKeyId" not in a:
                        continue
                    tags = kms.list_resource_tags(KeyId=a["TargetKeyId"]).get("Tags", [])
                    if expired(tags):
                        act(a["AliasName"], lambda a=a: (
                            kms.delete_alias(AliasName=a["AliasName"]),
                            kms.schedule_key_deletion(KeyId=a["TargetKeyId"],
                                                      PendingWindowInDays=7)))
    return removed


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sw = sub.add_parser("sweep", help="remove expired drsnap-conformance resources")
    sw.add_argument("--source-profile", required=True)
    sw.add_argument("--vault-profile", required=True)
    sw.add_argument("--regions", default="us-east-1,us-west-2")
    sw.add_argument("--all", action="store_true", help="not only expired ones")
    sw.add_argument("--dry-run", action="store_true")
    a = ap.parse_args(argv)
    src = live_session(a.source_profile)
    vlt = live_session(a.vault_profile)
    ids = [s.client("sts").get_caller_identity()["Account"] for s in (src, vlt)]
    now = datetime.datetime(9999, 1, 1, tzinfo=datetime.timezone.utc) if a.all else None
    sweep(Account("source", ids[0], src), Account("vault", ids[1], vlt), a.regions.split(","),
          now=now, dry_run=a.dry_run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
