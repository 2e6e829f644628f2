"""KMS basics: CreateKey, CreateAlias, DescribeKey (by id, ARN, alias), ListAliases."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import E1, PROD, VAULT, W2, base_world, error_code


@pytest.mark.backends("sim", "moto")
def test_create_key_alias_describe_list(backend):
    kms = backend.client("kms")
    meta = kms.create_key(Description="drsnap test key")["KeyMetadata"]
    kid = meta["KeyId"]
    assert meta["Arn"] == f"arn:aws:kms:{E1}:{PROD}:key/{kid}"
    assert meta["Enabled"] is True
    assert meta["KeyManager"] == "CUSTOMER"
    assert meta["Description"] == "drsnap test key"
    kms.create_alias(AliasName="alias/drsnap-test", TargetKeyId=kid)
    for ref in ("alias/drsnap-test", kid, meta["Arn"],
                f"arn:aws:kms:{E1}:{PROD}:alias/drsnap-test"):
        assert kms.describe_key(KeyId=ref)["KeyMetadata"]["KeyId"] == kid, ref
    aliases = {a["AliasName"]: a for a in kms.list_aliases()["Aliases"]}
    assert aliases["alias/drsnap-test"]["TargetKeyId"] == kid
    assert aliases["alias/drsnap-test"]["AliasArn"] == \
        f"arn:aws:kms:{E1}:{PROD}:alias/drsnap-test"
    by_key = kms.list_aliases(KeyId=kid)["Aliases"]
    assert [a["AliasName"] for a in by_key] == ["alias/drsnap-test"]


@pytest.mark.backends("sim", "moto")
def test_describe_missing_alias(backend):
    with pytest.raises(ClientError) as e:
        backend.client("kms", retries=False).describe_key(KeyId="alias/does-not-exist")
    assert error_code(e) == "NotFoundException"


@pytest.mark.backends("sim", "moto")
def test_duplicate_alias(backend):
    kms = backend.client("kms", retries=False)
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/dup", TargetKeyId=kid)
    with pytest.raises(ClientError) as e:
        kms.create_alias(AliasName="alias/dup", TargetKeyId=kid)
    assert error_code(e) == "AlreadyExistsException"


@pytest.mark.backends("sim", "moto")
def test_aws_rds_alias_listed(backend):
    names = [a["AliasName"] for a in backend.client("kms").list_aliases()["Aliases"]]
    assert "alias/aws/rds" in names


def test_keys_are_regional_and_per_account(sim):
    assert sim.client("kms", region=W2).describe_key(KeyId="alias/prod-west")
    with pytest.raises(ClientError) as e:
        sim.client("kms", region=W2, retries=False).describe_key(KeyId="alias/prod-share")
    assert error_code(e) == "NotFoundException"
    vault = sim.client("kms", "vault").describe_key(KeyId="alias/vault")["KeyMetadata"]
    assert vault["AWSAccountId"] == VAULT


def test_key_policy_grants_other_account(sim):
    """A key whose policy names the vault is usable by the vault (describe by ARN)."""
    kms = sim.client("kms")
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PROD}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VAULT}:root"},
         "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant"], "Resource": "*"}]}
    shared = kms.create_key(Policy=json.dumps(policy))["KeyMetadata"]["Arn"]
    private = kms.create_key()["KeyMetadata"]["Arn"]
    vault = sim.client("kms", "vault", retries=False)
    assert vault.describe_key(KeyId=shared)["KeyMetadata"]["AWSAccountId"] == PROD
    with pytest.raises(ClientError) as e:
        vault.describe_key(KeyId=private)
    assert error_code(e) == "AccessDeniedException"


def test_list_aliases_paginates(sim):
    kms = sim.client("kms")
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    for i in range(12):
        kms.create_alias(AliasName=f"alias/p{i:02d}", TargetKeyId=kid)
    pages = list(kms.get_paginator("list_aliases").paginate(PaginationConfig={"PageSize": 5}))
    names = [a["AliasName"] for p in pages for a in p["Aliases"]]
    assert len(names) == len(set(names))
    assert {f"alias/p{i:02d}" for i in range(12)} <= set(names)
    assert len(pages) >= 3


def test_cli_kms(sim):
    meta = sim.cli("kms", "create-key", "--description", "cli key")["KeyMetadata"]
    sim.cli("kms", "create-alias", "--alias-name", "alias/cli", "--target-key-id", meta["KeyId"])
    got = sim.cli("kms", "describe-key", "--key-id", "alias/cli")["KeyMetadata"]
    assert got["Arn"] == meta["Arn"]


def disabled_key_world():
    w = base_world()
    w["accounts"][0]["kms_keys"].append({"region": E1, "alias": "alias/off", "enabled": False})
    return w


def test_copy_with_disabled_key_refused(sim_factory):
    sim = sim_factory(disabled_key_world())
    with pytest.raises(ClientError) as e:
        sim.rds(retries=False).copy_db_snapshot(SourceDBSnapshotIdentifier="plain-seed",
                                                TargetDBSnapshotIdentifier="k1",
                                                KmsKeyId="alias/off")
    assert error_code(e) == "KMSKeyNotAccessibleFault"


def test_describe_disabled_key(sim_factory):
    sim = sim_factory(disabled_key_world())
    meta = sim.client("kms", retries=False).describe_key(KeyId="alias/off")["KeyMetadata"]
    assert meta["Enabled"] is False
    assert meta["KeyState"] == "Disabled"
