"""STS identity and request signing, through boto3 and awscli v2."""

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNTS, PROD, VAULT, base_world, error_code


@pytest.mark.parametrize("account", ["prod", "vault"])
def test_get_caller_identity_per_account(sim, account):
    ident = sim.client("sts", account).get_caller_identity()
    assert ident["Account"] == ACCOUNTS[account]["id"]
    assert ident["Arn"] == f"arn:aws:iam::{ACCOUNTS[account]['id']}:user/drsnap"
    assert ident["UserId"].startswith("AIDA")


def test_get_caller_identity_region_independent(sim):
    for region in ("us-east-1", "us-west-2"):
        assert sim.client("sts", "prod", region).get_caller_identity()["Account"] == PROD


def test_assume_role_then_use_session_credentials(sim):
    sts = sim.client("sts", "prod")
    out = sts.assume_role(RoleArn=f"arn:aws:iam::{VAULT}:role/drsnap-vault",
                          RoleSessionName="drsnap-test", ExternalId="vault-ext-id")
    c = out["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA")
    assert out["AssumedRoleUser"]["Arn"] == \
        f"arn:aws:sts::{VAULT}:assumed-role/drsnap-vault/drsnap-test"
    creds = (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    ident = sim.client("sts", creds=creds).get_caller_identity()
    assert ident["Account"] == VAULT
    assert ident["Arn"] == f"arn:aws:sts::{VAULT}:assumed-role/drsnap-vault/drsnap-test"
    # The session acts in the vault account: it sees the vault's (empty) RDS.
    rds = sim.client("rds", creds=creds)
    assert rds.describe_db_instances()["DBInstances"] == []
    # ... and the vault's keys.
    kms = sim.client("kms", creds=creds)
    arn = kms.describe_key(KeyId="alias/vault")["KeyMetadata"]["Arn"]
    assert f":{VAULT}:key/" in arn


def test_assume_role_session_token_required(sim):
    c = sim.client("sts", "prod").assume_role(
        RoleArn=f"arn:aws:iam::{VAULT}:role/drsnap-vault", RoleSessionName="s1",
        ExternalId="vault-ext-id")["Credentials"]
    # Session keys without their token are not valid credentials.
    with pytest.raises(ClientError) as e:
        sim.client("sts", creds=(c["AccessKeyId"], c["SecretAccessKey"], None),
                   retries=False).get_caller_identity()
    assert error_code(e) in ("InvalidClientTokenId", "SignatureDoesNotMatch")


def test_assume_role_wrong_external_id_denied(sim):
    sts = sim.client("sts", "prod", retries=False)
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=f"arn:aws:iam::{VAULT}:role/drsnap-vault",
                        RoleSessionName="s1", ExternalId="wrong")
    assert error_code(e) == "AccessDenied"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=f"arn:aws:iam::{VAULT}:role/no-such-role",
                        RoleSessionName="s1", ExternalId="vault-ext-id")
    assert error_code(e) == "AccessDenied"


def test_wrong_secret_is_signature_does_not_match(sim):
    key = ACCOUNTS["prod"]["key"]
    for service, call in (("sts", "get_caller_identity"), ("rds", "describe_db_instances")):
        client = sim.client(service, creds=(key, "not-the-secret", None), retries=False)
        with pytest.raises(ClientError) as e:
            getattr(client, call)()
        assert error_code(e) == "SignatureDoesNotMatch"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_wrong_secret_kms_is_invalid_signature_exception(sim):
    kms = sim.client("kms", creds=(ACCOUNTS["prod"]["key"], "nope", None), retries=False)
    with pytest.raises(ClientError) as e:
        kms.list_aliases()
    assert error_code(e) == "InvalidSignatureException"


def test_unknown_key_is_invalid_client_token_id(sim):
    for service, call in (("sts", "get_caller_identity"), ("rds", "describe_db_snapshots")):
        client = sim.client(service, creds=("AKIAUNKNOWN000000000", "whatever", None),
                            retries=False)
        with pytest.raises(ClientError) as e:
            getattr(client, call)()
        assert error_code(e) == "InvalidClientTokenId"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_cli_get_caller_identity(sim):
    out = sim.cli("sts", "get-caller-identity", account="vault")
    assert out["Account"] == VAULT


def test_cli_wrong_secret_fails(sim):
    rc, text = sim.cli("sts", "get-caller-identity",
                       creds=(ACCOUNTS["prod"]["key"], "bad", None), check=False)
    assert rc != 0
    assert "SignatureDoesNotMatch" in text


def test_session_credentials_expire_on_virtual_clock(sim):
    c = sim.client("sts", "prod").assume_role(
        RoleArn=f"arn:aws:iam::{VAULT}:role/drsnap-vault", RoleSessionName="s1",
        ExternalId="vault-ext-id", DurationSeconds=900)["Credentials"]
    creds = (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    sts = sim.client("sts", creds=creds, retries=False)
    assert sts.get_caller_identity()["Account"] == VAULT
    sim.advance(901)
    with pytest.raises(ClientError) as e:
        sts.get_caller_identity()
    assert error_code(e) == "ExpiredToken"


@pytest.fixture
def wall_clock_world():
    """The default world, its clock starting at the wall clock's time."""
    import datetime
    w = base_world()
    w["start_time"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return w


def test_botocore_refreshing_assume_role_credentials(sim_factory, wall_clock_world):
    """botocore's own AssumeRole provider (what a profile with role_arn uses) accepts the
    Expiration the sim returns: it compares it with the real clock, and Expiration is
    virtual time (where the session expires), so the world runs in step with the wall
    clock here (test_fidelity.py checks a world that does not)."""
    sim = sim_factory(wall_clock_world)
    from botocore.credentials import (AssumeRoleCredentialFetcher,
                                      DeferredRefreshableCredentials)
    base = sim.session("prod")

    def client_creator(service, **kw):
        kw.pop("endpoint_url", None)
        return base.client(service, endpoint_url=sim.endpoint, **kw)

    fetcher = AssumeRoleCredentialFetcher(
        client_creator, base.get_credentials(), f"arn:aws:iam::{VAULT}:role/drsnap-vault",
        extra_args={"ExternalId": "vault-ext-id", "RoleSessionName": "drsnap"})
    creds = DeferredRefreshableCredentials(fetcher.fetch_credentials, "assume-role")
    frozen = creds.get_frozen_credentials()
    ident = sim.client("sts", creds=(frozen.access_key, frozen.secret_key,
                                     frozen.token)).get_caller_identity()
    assert ident["Account"] == VAULT


def test_presigned_url_query_auth(sim):
    """Query-string SigV4 (what PreSignedUrl and `aws ... presign` use) is verified too."""
    import urllib.error
    import urllib.request
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    for service, op in (("sts", "get_caller_identity"), ("rds", "describe_db_instances")):
        url = sim.client(service).generate_presigned_url(op, ExpiresIn=300, HttpMethod="GET")
        with opener.open(url, timeout=10) as r:
            assert r.status == 200
            body = r.read().decode()
        assert ("<Account>%s</Account>" % PROD in body) if service == "sts" else \
            "<DBInstanceIdentifier>orders</DBInstanceIdentifier>" in body
        tampered = url.replace("X-Amz-Expires=300", "X-Amz-Expires=301")
        with pytest.raises(urllib.error.HTTPError) as e:
            opener.open(tampered, timeout=10)
        assert e.value.code == 403
        assert b"SignatureDoesNotMatch" in e.value.read()
