"""Fixtures for the drsnap-sim conformance suite.

Runs under Debian's /usr/bin/python3 (python3-boto3, python3-botocore,
python3-pytest). moto, when a test asks for it, runs in the OTHER python (the
pyenv `python3` on PATH, which has moto 5.2) as a separate HTTP server.

Every server is started on 127.0.0.1 on a free port and stopped by its fixture.
Credentials are explicit per client (from the world file), AWS_CONFIG_FILE and
the shared credentials file point at /dev/null, and proxies are cleared, so no
test can read a developer's AWS setup or reach anything but 127.0.0.1.

Backends: a test that takes the `backend` fixture runs against drsnap-sim
only, unless it is marked `@pytest.mark.backends("sim", "moto")`. A case on
which moto and drsnap-sim disagree is documented in DISAGREEMENTS.md and
marked `@pytest.mark.only("sim", reason=...)` (the reason must name the
disagreement), so it runs only against the backend that matches AWS.
"""

import copy
import json
import os
import pathlib
import select
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.config import Config

# ----------------------------------------------------------------- hermetic env

# The caller's AWS settings, before they are dropped: only the live-AWS mode
# (DRSNAP_LIVE_AWS=1, test_live.py) reads them, to find the named profiles.
ORIGINAL_AWS_ENV = {k: v for k, v in os.environ.items()
                    if k.startswith("AWS_") or k.lower().endswith("_proxy")}

for _k in list(os.environ):
    if _k.startswith("AWS_") or _k.lower() in ("http_proxy", "https_proxy", "all_proxy",
                                                "no_proxy"):
        del os.environ[_k]
os.environ["AWS_CONFIG_FILE"] = "/dev/null"
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["NO_PROXY"] = "127.0.0.1,localhost"
os.environ["no_proxy"] = "127.0.0.1,localhost"

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
AWS_CLI = "/usr/bin/aws"  # Debian's awscli v2 (the `aws` on PATH is v1)

# ------------------------------------------------------------------- the worlds

PROD = "123456789012"  # also moto's default account, so ARNs agree across backends
VAULT = "210987654321"
E1, W2 = "us-east-1", "us-west-2"

ACCOUNTS = {
    "prod": {"id": PROD, "key": "AKIAPROD000000000001",
             "secret": "prod-secret-key-0000000000000000000001"},
    "vault": {"id": VAULT, "key": "AKIAVAULT00000000001",
              "secret": "vault-secret-key-000000000000000000001"},
}


def base_world(**settings):
    """The default world: prod and vault, two regions, keys in both.

    prod/us-east-1: orders (postgres, 100 GB, encrypted with alias/prod-share,
    tags), legacy (mysql, encrypted with the default aws/rds key), plain
    (postgres, unencrypted, one seeded manual snapshot `plain-seed`), cluster
    ledger (aurora-postgresql, encrypted with alias/prod-share).
    Backups: the world starts at 00:00, the first window opens at 03:00.
    """
    world = {
        "start_time": "2026-11-23T00:00:00Z",
        "regions": [E1, W2],
        "settings": dict(settings),
        "accounts": [
            {
                "id": PROD, "name": "prod",
                "access_keys": [{"id": ACCOUNTS["prod"]["key"],
                                 "secret": ACCOUNTS["prod"]["secret"], "user": "drsnap"}],
                "kms_keys": [
                    {"region": E1, "alias": "alias/prod-share",
                     "description": "shareable key", "allow_accounts": [VAULT]},
                    {"region": E1, "alias": "alias/prod-private"},
                    {"region": W2, "alias": "alias/prod-west"},
                ],
                "db_instances": [
                    {"id": "orders", "region": E1, "engine": "postgres",
                     "engine_version": "16.3", "instance_class": "db.m6g.large",
                     "size_gb": 100, "encrypted": True, "kms_key": "alias/prod-share",
                     "backup_retention_days": 7, "backup_window": "04:00-04:30",
                     "tags": {"team": "payments", "drsnap": "protect"}},
                    {"id": "legacy", "region": E1, "engine": "mysql", "size_gb": 50,
                     "encrypted": True, "backup_retention_days": 3,
                     "backup_window": "05:00-05:30"},
                    {"id": "plain", "region": E1, "engine": "postgres", "size_gb": 20,
                     "backup_retention_days": 1, "backup_window": "06:00-06:30",
                     "snapshots": [{"id": "plain-seed", "created": "2026-11-22T12:00:00Z",
                                    "tags": {"origin": "seed"}}]},
                ],
                "db_clusters": [
                    {"id": "ledger", "region": E1, "engine": "aurora-postgresql",
                     "size_gb": 200, "encrypted": True, "kms_key": "alias/prod-share",
                     "backup_retention_days": 7, "backup_window": "03:00-03:30",
                     "instances": ["ledger-1", "ledger-2"]},
                ],
            },
            {
                "id": VAULT, "name": "vault",
                "access_keys": [{"id": ACCOUNTS["vault"]["key"],
                                 "secret": ACCOUNTS["vault"]["secret"], "user": "drsnap"}],
                "roles": [{"name": "drsnap-vault", "external_id": "vault-ext-id"}],
                "kms_keys": [{"region": E1, "alias": "alias/vault"},
                             {"region": W2, "alias": "alias/vault"}],
            },
        ],
    }
    if not settings:
        del world["settings"]
    return world


# ------------------------------------------------------------------ processes


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _http(method, url, body=None, timeout=10):
    data = None
    if body is not None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def sim_binary():
    b = os.environ.get("DRSNAP_SIM_BINARY")
    if b:
        return b
    for d in ("build-conf", "build", "build-lead"):
        p = REPO / d / "sim" / "drsnap-sim"
        if p.exists():
            return str(p)
    pytest.fail("drsnap-sim not found: set DRSNAP_SIM_BINARY to the built binary")


_SESSION = []


def _shared_session():
    """One boto3 session for every client: botocore loads each service model once."""
    if not _SESSION:
        _SESSION.append(boto3.session.Session())
    return _SESSION[0]


class Backend:
    """One AWS-compatible endpoint: drsnap-sim or moto."""

    name = "?"
    endpoint = ""

    def creds(self, account):
        raise NotImplementedError

    def session(self, account="prod", region=E1, creds=None):
        key, secret, token = creds or self.creds(account)
        return boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret,
                                     aws_session_token=token, region_name=region)

    def client(self, service, account="prod", region=E1, creds=None, retries=True, **kw):
        """A boto3 client with explicit credentials; cached per backend (one test)."""
        key, secret, token = creds or self.creds(account)
        cache_key = (service, key, secret, token, region, retries, tuple(sorted(kw.items())))
        cache = self.__dict__.setdefault("_clients", {})
        if cache_key not in cache:
            cfg = Config(retries={"total_max_attempts": 1} if not retries else
                         {"mode": "standard"}, connect_timeout=5, read_timeout=30)
            cache[cache_key] = _shared_session().client(
                service, region_name=region, endpoint_url=self.endpoint,
                aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token,
                config=cfg, **kw)
        return cache[cache_key]

    def rds(self, account="prod", region=E1, **kw):
        return self.client("rds", account, region, **kw)

    def settle(self, seconds=3600):
        """Lets snapshots being created/copied finish (moto: already done)."""

    def ensure_cluster(self):
        """The world's cluster `ledger` (moto creates it on demand)."""

    def cli_env(self, account="prod", region=E1, creds=None):
        key, secret, token = creds or self.creds(account)
        env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp"),
               "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret,
               "AWS_DEFAULT_REGION": region, "AWS_CONFIG_FILE": "/dev/null",
               "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true",
               "AWS_PAGER": "", "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1",
               "AWS_MAX_ATTEMPTS": "1"}
        if token:
            env["AWS_SESSION_TOKEN"] = token
        return env

    def cli(self, *args, account="prod", region=E1, creds=None, check=True):
        """Runs Debian's awscli v2 against this backend; returns (rc, parsed json|stderr)."""
        cmd = [AWS_CLI, *args, "--endpoint-url", self.endpoint, "--output", "json",
               "--no-cli-pager"]
        p = subprocess.run(cmd, env=self.cli_env(account, region, creds), capture_output=True,
                           text=True, timeout=120)
        if check:
            assert p.returncode == 0, f"{' '.join(args)} failed: {p.stderr}"
            return json.loads(p.stdout) if p.stdout.strip() else {}
        return p.returncode, p.stdout + p.stderr


class SimBackend(Backend):
    name = "sim"

    def __init__(self, tmp_path, world, args=()):
        self.tmp = tmp_path
        self.world = world
        self.args = list(args)
        self.proc = None
        self.start()

    def start(self):
        wf = self.tmp / "world.json"
        wf.write_text(json.dumps(self.world, indent=1))
        self.stderr = open(self.tmp / "drsnap-sim.stderr", "wb")
        self.proc = subprocess.Popen([sim_binary(), "--port", "0", "--world", str(wf),
                                      *self.args],
                                     stdout=subprocess.PIPE, stderr=self.stderr)
        line = b""
        deadline = time.monotonic() + 30
        while not line.endswith(b"\n") and time.monotonic() < deadline:
            r, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if r:
                ch = self.proc.stdout.read1(256) if hasattr(self.proc.stdout, "read1") \
                    else self.proc.stdout.read(1)
                if not ch:
                    break
                line += ch
        first = line.decode().splitlines()[0] if line else ""
        if not first.startswith("drsnap-sim listening on "):
            self.stop()
            err = (self.tmp / "drsnap-sim.stderr").read_text()
            pytest.fail(f"drsnap-sim did not start: {first!r} {err}")
        self.endpoint = first.split()[-1]

    def stop(self):
        """SIGTERM (the sim saves --state then), then waits; returns the exit code."""
        rc = None
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                rc = self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        elif self.proc:
            rc = self.proc.returncode
        if self.proc and not self.proc.stdout.closed:
            self.proc.stdout.close()
        if not self.stderr.closed:
            self.stderr.close()
        return rc

    def creds(self, account):
        a = ACCOUNTS[account]
        return a["key"], a["secret"], None

    # --- admin API (docs/sim.md)
    def admin(self, method, path, body=None, expect=200):
        status, text = _http(method, self.endpoint + "/_sim/" + path, body)
        assert status == expect, f"{method} /_sim/{path}: HTTP {status}: {text}"
        return json.loads(text) if text else None

    def advance(self, seconds):
        return self.admin("POST", "time/advance", {"seconds": seconds})

    def now(self):
        return self.admin("GET", "time")["now"]

    def set_settings(self, **kw):
        return self.admin("PUT", "settings", kw)

    def faults(self, **kw):
        return self.admin("POST", "faults", kw)

    def events(self):
        return self.admin("GET", "events")

    def settle(self, seconds=3600):
        self.advance(seconds)


class MotoServer:
    def __init__(self, tmp):
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null",
                   AWS_EC2_METADATA_DISABLED="true")
        python = shutil.which("python3", path=env.get("PATH"))
        self.log = open(tmp / "moto.log", "wb")
        # The pyenv python3 on PATH (moto 5.2), not Debian's.
        self.proc = subprocess.Popen([python, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                                      str(self.port)], env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, cwd=str(tmp))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                status, _ = _http("GET", self.endpoint + "/moto-api/", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.25)
        self.stop()
        pytest.fail("moto.server did not start: " + (tmp / "moto.log").read_text()[-2000:])

    def reset(self):
        status, text = _http("POST", self.endpoint + "/moto-api/reset")
        assert status == 200, text

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class MotoBackend(Backend):
    """moto with the same starting resources as the default world (prod only)."""

    name = "moto"

    def __init__(self, server):
        self.server = server
        self.endpoint = server.endpoint
        server.reset()
        self._seed()

    def creds(self, account):
        assert account == "prod", "moto cases run in one account"
        return "AKIAMOTO000000000001", "moto-secret", None

    def _seed(self):
        kms = self.client("kms")
        kid = kms.create_key(Description="shareable key")["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName="alias/prod-share", TargetKeyId=kid)
        rds = self.rds()
        rds.create_db_instance(DBInstanceIdentifier="orders", Engine="postgres",
                               EngineVersion="16.3", DBInstanceClass="db.m6g.large",
                               AllocatedStorage=100, MasterUsername="postgres",
                               MasterUserPassword="password123", StorageEncrypted=True,
                               KmsKeyId="alias/prod-share",
                               Tags=[{"Key": "team", "Value": "payments"},
                                     {"Key": "drsnap", "Value": "protect"}])
        rds.create_db_instance(DBInstanceIdentifier="plain", Engine="postgres",
                               DBInstanceClass="db.t3.micro", AllocatedStorage=20,
                               MasterUsername="postgres", MasterUserPassword="password123")
        rds.create_db_snapshot(DBInstanceIdentifier="plain", DBSnapshotIdentifier="plain-seed",
                               Tags=[{"Key": "origin", "Value": "seed"}])

    def ensure_cluster(self):
        self.rds().create_db_cluster(DBClusterIdentifier="ledger", Engine="aurora-postgresql",
                                     MasterUsername="postgres",
                                     MasterUserPassword="password123", StorageEncrypted=True,
                                     KmsKeyId="alias/prod-share")


# -------------------------------------------------------------------- fixtures


def pytest_addoption(parser):
    g = parser.getgroup("live-aws", "the live-AWS mode (test_live.py; needs DRSNAP_LIVE_AWS=1)")
    g.addoption("--live-source-profile", help="AWS profile of the source account")
    g.addoption("--live-vault-profile", help="AWS profile of the vault (DR) account")
    g.addoption("--live-regions", default="us-east-1,us-west-2",
                help="the database's region and the DR region (default us-east-1,us-west-2)")
    g.addoption("--live-aurora", action="store_true",
                help="also create an Aurora Serverless v2 cluster (no instances)")
    g.addoption("--live-record-dir", default=str(REPO / "testdata" / "aws_responses" / "live"),
                help="where recordings go (default testdata/aws_responses/live)")


def pytest_configure(config):
    config.addinivalue_line("markers", "backends(*names): run against these backends "
                            "(default: sim only)")
    config.addinivalue_line("markers", "only(name, reason): a moto-vs-sim disagreement "
                            "(DISAGREEMENTS.md): run only against `name`")


def pytest_generate_tests(metafunc):
    if "backend" not in metafunc.fixturenames:
        return
    m = metafunc.definition.get_closest_marker("backends")
    names = list(m.args) if m else ["sim"]
    only = metafunc.definition.get_closest_marker("only")
    if only:
        assert only.kwargs.get("reason"), "@only needs a reason (see DISAGREEMENTS.md)"
        names = [n for n in names if n == only.args[0]]
    metafunc.parametrize("backend", names, indirect=True)


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory):
    server = MotoServer(tmp_path_factory.mktemp("moto"))
    yield server
    server.stop()


@pytest.fixture
def world():
    """The world the `sim`/`backend` fixtures load; override with sim_factory."""
    return base_world()


@pytest.fixture
def sim_factory(tmp_path):
    started = []

    def start(world, args=()):
        d = tmp_path / f"sim{len(started)}"
        d.mkdir()
        b = SimBackend(d, copy.deepcopy(world), args)
        started.append(b)
        return b

    yield start
    for b in started:
        b.stop()
    # A sanitizer build (DRSNAP_SIM_BINARY from build-asan-*) reports here.
    for b in started:
        err = (b.tmp / "drsnap-sim.stderr").read_text(errors="replace")
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            assert marker not in err, f"drsnap-sim reported {marker}:\n{err[-4000:]}"


@pytest.fixture
def sim(sim_factory, world):
    return sim_factory(world)


@pytest.fixture
def backend(request, sim_factory, world):
    if request.param == "sim":
        return sim_factory(world)
    return MotoBackend(request.getfixturevalue("moto_server"))


# ---------------------------------------------------------------------- helpers


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def all_snapshots(rds, cluster=False, **kw):
    op = "describe_db_cluster_snapshots" if cluster else "describe_db_snapshots"
    key = "DBClusterSnapshots" if cluster else "DBSnapshots"
    out = []
    for page in rds.get_paginator(op).paginate(**kw):
        out.extend(page[key])
    return out
