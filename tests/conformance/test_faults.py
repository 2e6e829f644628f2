"""Fault injection seen through boto3: throttling, 5xx, dropped connections, time."""

import time

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

from conftest import E1, PROD, W2, error_code


def test_throttling_token_bucket(sim):
    sim.faults(throttle=True, throttle_burst=5, throttle_rate=0.001)
    rds = sim.rds(retries=False)
    for _ in range(5):
        rds.describe_db_instances()
    with pytest.raises(ClientError) as e:
        rds.describe_db_snapshots()
    assert error_code(e) == "Throttling"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert e.value.response["Error"]["Message"] == "Rate exceeded"
    # One bucket per account and region: others are unaffected.
    sim.rds("vault", retries=False).describe_db_instances()
    sim.rds(region=W2, retries=False).describe_db_instances()
    rows = sim.admin("GET", "stats")["requests"]
    row = [r for r in rows if (r["operation"], r["account"], r["region"]) ==
           ("DescribeDBSnapshots", PROD, E1)]
    assert len(row) == 1 and row[0]["throttled"] == 1 and row[0]["ok"] == 0
    sim.admin("DELETE", "faults")
    rds.describe_db_instances()


def test_throttling_with_standard_retries_recovers(sim):
    # A bucket refilling at 20/s: boto3's standard retry mode backs off and succeeds.
    sim.faults(throttle=True, throttle_burst=2, throttle_rate=20)
    rds = sim.client("rds", retries=True)
    for _ in range(8):
        rds.describe_db_instances()


def test_default_throttle_burst_is_300(sim):
    sim.faults(throttle=True, throttle_rate=0.001)
    assert sim.admin("GET", "faults")["throttle_burst"] == 300


def test_503_injection(sim):
    sim.faults(error_rate=1.0, error_503_fraction=1.0)
    with pytest.raises(ClientError) as e:
        sim.rds(retries=False).describe_db_snapshots()
    assert error_code(e) == "ServiceUnavailable"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    with pytest.raises(ClientError) as e:
        sim.client("sts", retries=False).get_caller_identity()
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503


def test_500_injection(sim):
    sim.faults(error_rate=1.0, error_503_fraction=0.0)
    with pytest.raises(ClientError) as e:
        sim.rds(retries=False).describe_db_instances()
    assert error_code(e) == "InternalFailure"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_kms_fault_shape(sim):
    sim.faults(throttle=True, throttle_burst=0, throttle_rate=0.001)
    with pytest.raises(ClientError) as e:
        sim.client("kms", retries=False).list_aliases()
    assert error_code(e) == "ThrottlingException"  # KMS (JSON) spells it this way


def test_dropped_connections(sim):
    sim.faults(drop_rate=1.0)
    with pytest.raises((ConnectionClosedError, EndpointConnectionError, ClientError)) as e:
        sim.rds(retries=False).describe_db_instances()
    if isinstance(e.value, ClientError):  # a dropped answer must not look like a reply
        pytest.fail(f"dropped connection answered: {e.value.response}")
    sim.admin("DELETE", "faults")
    sim.rds(retries=False).describe_db_instances()


def test_faults_are_unsigned_admin_only(sim):
    # Admin calls don't count against the AWS bucket.
    sim.faults(throttle=True, throttle_burst=1, throttle_rate=0.001)
    for _ in range(5):
        sim.admin("GET", "faults")
    sim.rds(retries=False).describe_db_instances()


def test_time_advance_and_set(sim):
    assert sim.now().startswith("2026-11-23T00:00:00")
    sim.advance(90)
    assert sim.now().startswith("2026-11-23T00:01:30")
    out = sim.admin("POST", "time/set", {"time": "2026-12-01T00:00:00Z"})
    assert out["now"].startswith("2026-12-01T00:00:00")
    sim.admin("POST", "time/advance", {"seconds": -5}, expect=400)


def test_time_rate_runs_the_clock(sim):
    before = sim.now()
    sim.admin("POST", "time/rate", {"rate": 3600})
    try:
        deadline = time.monotonic() + 30
        while sim.now() == before and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sim.now() > before
    finally:
        sim.admin("POST", "time/rate", {"rate": 0})
    stopped = sim.now()
    time.sleep(0.2)
    assert sim.now() == stopped


def test_failed_snapshot_fault(sim):
    sim.faults(kind="fail_snapshots", account=PROD, region=E1)
    rds = sim.rds()
    rds.create_db_snapshot(DBInstanceIdentifier="plain", DBSnapshotIdentifier="f1")
    sim.advance(600)
    assert rds.describe_db_snapshots(DBSnapshotIdentifier="f1")["DBSnapshots"][0][
        "Status"] == "failed"


def test_throttling_seen_by_cli(sim):
    sim.faults(throttle=True, throttle_burst=0, throttle_rate=0.001)
    rc, text = sim.cli("rds", "describe-db-instances", check=False)
    assert rc != 0 and "Throttling" in text
