"""Restores, databases, tags, events, request stats, state save/reload, web identity,
clock skew."""

import datetime
import http.server
import json
import threading

import pytest
from botocore.exceptions import ClientError

from conftest import E1, PROD, VAULT, W2, all_snapshots, base_world, error_code


@pytest.mark.backends("sim", "moto")
def test_tags_on_snapshot(backend):
    rds = backend.rds(retries=False)
    arn = f"arn:aws:rds:{E1}:{PROD}:snapshot:plain-seed"
    rds.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "a", "Value": "1"}])
    tags = {t["Key"]: t["Value"] for t in rds.list_tags_for_resource(ResourceName=arn)["TagList"]}
    assert tags == {"origin": "seed", "a": "1"}
    rds.remove_tags_from_resource(ResourceName=arn, TagKeys=["origin"])
    tags = {t["Key"]: t["Value"] for t in rds.list_tags_for_resource(ResourceName=arn)["TagList"]}
    assert tags == {"a": "1"}


def test_add_aws_tag_refused(sim):
    arn = f"arn:aws:rds:{E1}:{PROD}:snapshot:plain-seed"
    with pytest.raises(ClientError) as e:
        sim.rds(retries=False).add_tags_to_resource(ResourceName=arn,
                                                    Tags=[{"Key": "aws:x", "Value": "1"}])
    assert error_code(e) == "InvalidParameterValue"


@pytest.mark.backends("sim", "moto")
def test_create_and_delete_db_instance(backend):
    rds = backend.rds(retries=False)
    out = rds.create_db_instance(DBInstanceIdentifier="newdb", Engine="postgres",
                                 DBInstanceClass="db.t3.micro", AllocatedStorage=20,
                                 MasterUsername="postgres", MasterUserPassword="password123")
    assert out["DBInstance"]["DBInstanceIdentifier"] == "newdb"
    backend.settle()
    got = rds.describe_db_instances(DBInstanceIdentifier="newdb")["DBInstances"][0]
    assert got["DBInstanceStatus"] == "available"
    rds.delete_db_instance(DBInstanceIdentifier="newdb", SkipFinalSnapshot=True)
    backend.settle()
    with pytest.raises(ClientError) as e:
        rds.describe_db_instances(DBInstanceIdentifier="newdb")
    assert error_code(e) == "DBInstanceNotFound"


def test_restore_from_snapshot_becomes_available(sim):
    rds = sim.rds(retries=False)
    out = rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="restored",
                                                   DBSnapshotIdentifier="plain-seed")
    assert out["DBInstance"]["DBInstanceStatus"] == "creating"
    sim.advance(60)
    assert rds.describe_db_instances(DBInstanceIdentifier="restored")["DBInstances"][0][
        "DBInstanceStatus"] == "creating"
    sim.advance(3600)
    db = rds.describe_db_instances(DBInstanceIdentifier="restored")["DBInstances"][0]
    assert db["DBInstanceStatus"] == "available"
    assert db["Engine"] == "postgres"
    with pytest.raises(ClientError) as e:
        rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="restored",
                                                 DBSnapshotIdentifier="plain-seed")
    assert error_code(e) == "DBInstanceAlreadyExists"


def test_restore_cluster_from_snapshot(sim):
    rds = sim.rds(retries=False)
    rds.create_db_cluster_snapshot(DBClusterIdentifier="ledger",
                                   DBClusterSnapshotIdentifier="l1")
    sim.advance(900)
    rds.restore_db_cluster_from_snapshot(DBClusterIdentifier="ledger2", SnapshotIdentifier="l1",
                                         Engine="aurora-postgresql")
    sim.advance(3600)
    got = rds.describe_db_clusters(DBClusterIdentifier="ledger2")["DBClusters"][0]
    assert got["Status"] == "available"


def test_describe_events(sim):
    rds = sim.rds()
    rds.create_db_snapshot(DBInstanceIdentifier="plain", DBSnapshotIdentifier="e1")
    sim.advance(600)
    ev = rds.describe_events(SourceType="db-snapshot", SourceIdentifier="e1")["Events"]
    assert [e["Message"] for e in ev] == ["Creating manual snapshot", "Manual snapshot created"]
    assert ev[0]["SourceArn"] == f"arn:aws:rds:{E1}:{PROD}:snapshot:e1"
    with pytest.raises(ClientError) as e:
        sim.rds(retries=False).describe_events(SourceIdentifier="e1")
    assert error_code(e) == "InvalidParameterCombination"
    # Other accounts don't see them.
    assert sim.rds("vault").describe_events(SourceType="db-snapshot")["Events"] == []


def test_admin_events_eventbridge_shape(sim):
    sim.advance(5 * 3600)
    ev = [e for e in sim.events() if e["detail"]["EventID"] == "RDS-EVENT-0091"]
    assert ev, sim.events()
    e = ev[0]
    assert e["source"] == "aws.rds"
    assert e["detail-type"] == "RDS DB Snapshot Event"
    assert e["account"] == PROD and e["region"] == E1
    d = e["detail"]
    assert d["SourceType"] == "SNAPSHOT"
    assert d["SourceIdentifier"].startswith("rds:orders-2026-11-23-04-")
    assert d["SourceArn"].endswith(":snapshot:" + d["SourceIdentifier"])
    assert d["Message"] == "Automated snapshot created"


def test_events_posted_to_target(sim):
    got = []
    done = threading.Event()

    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", 0))
            got.append(json.loads(self.rfile.read(n)))
            self.send_response(200)
            self.end_headers()
            if any(e["detail"]["EventID"] == "RDS-EVENT-0042" for e in got):
                done.set()

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        sim.admin("POST", "events/target",
                  {"url": f"http://127.0.0.1:{srv.server_address[1]}/events"})
        sim.admin("POST", "events/target", {"url": "http://example.com/x"}, expect=400)
        sim.rds().create_db_snapshot(DBInstanceIdentifier="plain", DBSnapshotIdentifier="p1")
        sim.advance(600)
        assert done.wait(20), got
        ids = [e["detail"]["EventID"] for e in got]
        assert ids[:2] == ["RDS-EVENT-0040", "RDS-EVENT-0042"]
    finally:
        srv.shutdown()
        srv.server_close()


def test_request_stats(sim):
    sim.admin("DELETE", "stats")
    sim.rds().describe_db_snapshots()
    sim.rds().describe_db_snapshots()
    sim.rds("vault", W2).describe_db_instances()
    rows = sim.admin("GET", "stats")["requests"]
    by = {(r["service"], r["operation"], r["account"], r["region"]): r for r in rows}
    assert by[("rds", "DescribeDBSnapshots", PROD, E1)]["ok"] == 2
    assert by[("rds", "DescribeDBInstances", VAULT, W2)]["total"] == 1


def test_state_saved_and_reloaded(sim_factory, tmp_path):
    state = tmp_path / "state.json"
    a = sim_factory(base_world(), args=["--state", str(state)])
    a.rds().create_db_snapshot(DBInstanceIdentifier="plain", DBSnapshotIdentifier="keep-me")
    a.advance(7 * 3600)
    before = sorted(s["DBSnapshotIdentifier"] for s in a.rds().describe_db_snapshots()[
        "DBSnapshots"])
    now = a.now()
    assert a.stop() == 0
    assert state.exists()
    b = sim_factory({"accounts": []}, args=["--state", str(state)])
    after = sorted(s["DBSnapshotIdentifier"] for s in b.rds().describe_db_snapshots()[
        "DBSnapshots"])
    assert after == before and "keep-me" in after
    assert b.now() == now


def test_assume_role_with_web_identity(sim):
    sts = sim.client("sts", "prod")
    out = sts.assume_role_with_web_identity(
        RoleArn=f"arn:aws:iam::{VAULT}:role/drsnap-vault", RoleSessionName="irsa",
        WebIdentityToken="eyJhbGciOiJSUzI1NiJ9.e30.sig")
    c = out["Credentials"]
    ident = sim.client("sts", creds=(c["AccessKeyId"], c["SecretAccessKey"],
                                     c["SessionToken"])).get_caller_identity()
    assert ident["Account"] == VAULT


def test_clock_skew_refused(sim, monkeypatch):
    """A client whose clock is two hours slow: refused like AWS does (5 minutes)."""
    import botocore.auth
    real = datetime.datetime

    class Skewed(real):
        @classmethod
        def utcnow(cls):
            return real.utcnow() - datetime.timedelta(hours=2)

    shim = type("m", (), {"datetime": Skewed, "timedelta": datetime.timedelta,
                          "timezone": datetime.timezone})
    monkeypatch.setattr(botocore.auth, "datetime", shim)
    try:  # Debian's botocore signs with awscrt when it is installed
        import botocore.crt.auth
        monkeypatch.setattr(botocore.crt.auth, "datetime", shim)
    except ImportError:
        pass
    with pytest.raises(ClientError) as e:
        sim.client("sts", retries=False).get_caller_identity()
    assert error_code(e) == "SignatureDoesNotMatch"
    assert "expired" in e.value.response["Error"]["Message"].lower()


def test_delete_db_removes_automated(sim):
    rds = sim.rds()
    sim.advance(7 * 3600)
    assert all_snapshots(rds, SnapshotType="automated", DBInstanceIdentifier="plain")
    rds.delete_db_instance(DBInstanceIdentifier="plain", SkipFinalSnapshot=True)
    sim.advance(3600)
    assert all_snapshots(rds, SnapshotType="automated", DBInstanceIdentifier="plain") == []
    manual = all_snapshots(rds, SnapshotType="manual", DBInstanceIdentifier="plain")
    assert [s["DBSnapshotIdentifier"] for s in manual] == ["plain-seed"]


def test_delete_db_final_snapshot(sim):
    rds = sim.rds()
    rds.delete_db_instance(DBInstanceIdentifier="plain",
                           FinalDBSnapshotIdentifier="plain-final")
    sim.advance(3600)
    s = rds.describe_db_snapshots(DBSnapshotIdentifier="plain-final")["DBSnapshots"][0]
    assert s["SnapshotType"] == "manual" and s["Status"] == "available"


def test_delete_db_requires_final_choice(sim):
    with pytest.raises(ClientError) as e:
        sim.rds(retries=False).delete_db_instance(DBInstanceIdentifier="plain")
    assert error_code(e) == "InvalidParameterCombination"
