#!/usr/bin/python3
"""Checks the safety properties of drsnap's CloudFormation templates that
cfn-lint cannot know: what every IAM statement allows, to whom and under
which condition; least privilege for deletes; the runtime and the wiring.

Every policy statement of the templates (source.yaml, vault.yaml and
vault-hop.yaml; role policies, trust policies,
the guard policy, key policies, the event bus policy) has a Sid and is
checked against SPECS below:

  - an Allow may grant no action, reach no resource and trust no principal
    beyond its spec, and must carry every condition of its spec (with no
    value beyond the spec's: fewer values only narrow it);
  - a Deny must deny at least its spec's actions on its spec's resources,
    with exactly its spec's conditions (another condition would narrow it);
  - a statement with no spec, or a spec with no statement, is a failure.

Around the statements, properties that hold for any statement a later change
might add (deletes and shares need drsnap's tags, each role keeps to its own
stages, KMS only through RDS and grants only for AWS resources, the vault
side's tag keys are exactly the ones drsnap writes: engine/naming.h and
engine/verify.h), and the wiring (runtime, dead-letter queue, alarms (also
on the metrics the function writes, metrics/emf.h), schedule, forwarding,
the watch's wake-ups (schedule group, role, environment), the guard attached, the role names the SCPs in
docs/deploy.md rely on, the keys retained when the stack goes), and the
event rules: each routes exactly the RDS events its function acts on
(lambda/events.cc HandledRdsEvents), of its own account, to its function
(or, vault-hop.yaml, to the vault bus).

Run with Debian's python3 (python3-yaml) from deploy/. Exits non-zero with
one line per violated property. `--explain` prints every statement's spec.
deploy/test_check_templates.py (pytest) shows that each check bites.
"""
import json
import os
import re
import sys
from dataclasses import dataclass, field

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


class CfnLoader(yaml.SafeLoader):
    pass


def _tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {suffix: value}


CfnLoader.add_multi_constructor("!", _tag)


def load(path):
    with open(path) as f:
        return yaml.load(f, Loader=CfnLoader)


def as_list(x):
    if x is None:
        return []
    return x if isinstance(x, list) else [x]


def render(x):
    """A template value as comparable text: !Sub strings as written,
    !Ref X as "{Ref X}", !GetAtt X.Y as "{GetAtt X.Y}"; booleans as
    "true"/"false"."""
    if x is None:
        return None
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, dict) and len(x) == 1:
        (k, v), = x.items()
        if k == "Sub":
            return v if isinstance(v, str) else v[0]
        if k == "Ref":
            return "{Ref %s}" % v
        if k == "GetAtt":
            return "{GetAtt %s}" % (v if isinstance(v, str) else ".".join(v))
    if isinstance(x, list):
        return [render(i) for i in x]
    if isinstance(x, dict):
        return {k: render(v) for k, v in x.items()}
    return str(x)


# --------------------------------------------------------------- drsnap's tags

def _tag_constants():
    """drsnap's tag keys by constant name, from the engine's headers (the
    IAM conditions on tagging must list exactly what drsnap writes)."""
    out = {}
    for header in ("engine/naming.h", "engine/verify.h"):
        with open(os.path.join(ROOT, header)) as f:
            for name, value in re.findall(r'constexpr char (kTag\w+)\[\] = "([^"]+)"', f.read()):
                out[name] = value
    return out


TAGS = _tag_constants()
# Written on every snapshot drsnap creates (engine/planner.cc BaseTags).
SNAPSHOT_TAGS = sorted(TAGS[k] for k in (
    "kTagManaged", "kTagPolicy", "kTagDb", "kTagRecoveryPoint", "kTagStage",
    "kTagSourceAccount", "kTagSourceArn"))
# Added to a vault copy by a restore drill (engine/verify.h).
DRILL_RESULT_TAGS = sorted(TAGS[k] for k in ("kTagVerifiedAt", "kTagVerifyResult",
                                             "kTagVerifyDetail"))
MANAGED = TAGS["kTagManaged"]
STAGE = TAGS["kTagStage"]
SOURCE_STAGES = ["capture", "raw"]  # the source function's stages
VAULT_STAGES = ["hop", "vault"]     # the vault function's stages

# ------------------------------------------------------------------ the specs

SE, SL, BOOL, ARN_EQ, ARN_NE = "StringEquals", "StringLike", "Bool", "ArnEquals", "ArnNotEquals"
ALL_KEYS, ANY_KEY_LIKE = "ForAllValues:StringEquals", "ForAnyValue:StringLike"
P = "arn:${AWS::Partition}"


@dataclass
class Spec:
    effect: str
    actions: list
    resources: list
    why: str                                        # what it allows, to whom, under which condition
    conditions: dict = field(default_factory=dict)  # {(operator, key): [values]}
    principal: dict = None                          # resource and trust policies


def rds(kind, name, region="${AWS::Region}", account="${AWS::AccountId}"):
    return f"{P}:rds:{region}:{account}:{kind}:{name}"


def tagged(kind, stages):
    """The conditions "tagged drsnap:managed=true and drsnap:stage in stages"
    for a snapshot kind (RDS names the key after the resource type)."""
    key = "rds:snapshot-tag" if kind == "snapshot" else "rds:cluster-snapshot-tag"
    return {(SE, f"{key}/{MANAGED}"): ["true"], (SE, f"{key}/{STAGE}"): stages}


def tags_at_creation(stages, only_drsnaps=True):
    out = {(SE, f"aws:RequestTag/{MANAGED}"): ["true"], (SE, f"aws:RequestTag/{STAGE}"): stages}
    if only_drsnaps:
        out[(ALL_KEYS, "aws:TagKeys")] = SNAPSHOT_TAGS
    return out


def via_rds(region="${AWS::Region}"):
    op = SE if "*" not in region else SL
    return {(op, "kms:ViaService"): [f"rds.{region}.amazonaws.com"]}


def grant_to_rds(region="${AWS::Region}"):
    return {(BOOL, "kms:GrantIsForAWSResource"): ["true"], **via_rds(region)}


KMS_USE = ["kms:DescribeKey", "kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom",
           "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext"]
ROOT_PRINCIPAL = {"AWS": f"{P}:iam::${{AWS::AccountId}}:root"}
LAMBDA = {"Service": "lambda.amazonaws.com"}

SCHEDULER = {"Service": "scheduler.amazonaws.com"}
# The watch's one-time wake-ups (lambda/handler.h): the names the function's
# schedule group, its role and the function itself have, by side.
WAKE_GROUP = "drsnap-watch-{side}-${{AWS::Region}}"
WAKE_ROLE = "drsnap-wake-{side}-${{AWS::Region}}"
FUNCTION_NAMES = {"source": "drsnap-source", "vault": "drsnap-vault-${AWS::Region}"}


def wake_specs(side):
    """The statements that let a function schedule one-time invocations of
    itself through EventBridge Scheduler, and nothing more."""
    fn = f"{P}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{FUNCTION_NAMES[side]}"
    return {
        "FunctionRole/ScheduleWakeUps": Spec(
            "Allow", ["scheduler:CreateSchedule"],
            [f"{P}:scheduler:${{AWS::Region}}:${{AWS::AccountId}}:schedule/${{WakeScheduleGroup}}/*"],
            why=f"the {side} function creates schedules (its watch's one-time wake-ups) in its "
                "own schedule group only: no other group's, no update or delete"),
        "FunctionRole/PassWakeRoleToScheduler": Spec(
            "Allow", ["iam:PassRole"], ["{GetAtt WakeRole.Arn}"],
            conditions={(SE, "iam:PassedToService"): ["scheduler.amazonaws.com"]},
            why=f"the {side} function hands EventBridge Scheduler (only) the wake-up role "
                "(only), for its schedules to invoke the function with"),
        "WakeRole/SchedulerAssumesThisRole": Spec(
            "Allow", ["sts:AssumeRole"], [], principal=SCHEDULER,
            conditions={(SE, "aws:SourceAccount"): ["{Ref AWS::AccountId}"]},
            why="only EventBridge Scheduler, acting for this account's schedules, assumes the "
                "wake-up role"),
        "WakeRole/InvokeThisFunctionOnly": Spec(
            "Allow", ["lambda:InvokeFunction"], [fn, fn + ":*"],
            why=f"the wake-up role invokes the {side} function (any version of it) and nothing "
                "else"),
    }


SOURCE = {
    "ShareKey/AccountAdministration": Spec(
        "Allow", ["kms:*"], ["*"], principal=ROOT_PRINCIPAL,
        why="P's own IAM policies decide who in P may use and manage the share key"),
    "ShareKey/DrAccountsUseShareKeyThroughRds": Spec(
        "Allow", ["kms:Decrypt", "kms:DescribeKey", "kms:ReEncryptFrom", "kms:ReEncryptTo",
                  "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext"], ["*"],
        principal={"AWS": "{Ref DrAccountIds}"}, conditions=via_rds("*"),
        why="the DR accounts (DrAccountIds) only may use the share key, and only through RDS, "
            "to copy the captures shared with them"),
    "ShareKey/DrAccountsGrantOnlyToRds": Spec(
        "Allow", ["kms:CreateGrant"], ["*"], principal={"AWS": "{Ref DrAccountIds}"},
        conditions=grant_to_rds("*"),
        why="the DR accounts only may create grants on the share key, only through RDS and only "
            "for an AWS resource (the copy), never for a principal of their choice"),
    "FunctionRole/LambdaAssumesThisRole": Spec(
        "Allow", ["sts:AssumeRole"], [], principal=LAMBDA,
        why="only the Lambda service assumes the source function's role"),
    "FunctionRole/Observe": Spec(
        "Allow", ["rds:DescribeDBInstances", "rds:DescribeDBClusters", "rds:DescribeDBSnapshots",
                  "rds:DescribeDBClusterSnapshots", "rds:DescribeDBSnapshotAttributes",
                  "rds:DescribeDBClusterSnapshotAttributes", "rds:DescribeAccountAttributes",
                  "kms:ListAliases"], ["*"],
        why="the source function reads P's databases, snapshots, their share attributes, its "
            "snapshot quotas and key aliases"),
    "FunctionRole/KeepLedger": Spec(
        "Allow", ["rds:CreateDBParameterGroup", "rds:AddTagsToResource",
                  "rds:RemoveTagsFromResource", "rds:ListTagsForResource"],
        [rds("pg", "drsnap-ledger")],
        why="the source function keeps drsnap's ledger of refused calls (engine/ledger.h) in "
            "one parameter group of its region, and may touch no other parameter group"),
    "FunctionRole/ReadDefaultKeyArn": Spec(
        "Allow", ["kms:DescribeKey"], [f"{P}:kms:${{AWS::Region}}:${{AWS::AccountId}}:key/*"],
        conditions={(SE, "kms:RequestAlias"): ["alias/aws/rds"]},
        why="the source function learns the ARN of the default RDS key (DescribeKey on "
            "alias/aws/rds, cloud/aws_cloud.cc DefaultRdsKeyArn) and of no other key"),
    "FunctionRole/SnapshotProtectedDatabases": Spec(
        "Allow", ["rds:CreateDBSnapshot", "rds:CreateDBClusterSnapshot"],
        [rds("db", "*"), rds("cluster", "*")],
        why="the source function snapshots P's databases (the new snapshot's name is limited "
            "by CreateCaptures)"),
    "FunctionRole/ReadAutomatedSnapshots": Spec(
        "Allow", ["rds:CopyDBSnapshot", "rds:CopyDBClusterSnapshot"],
        [rds("snapshot", "rds:*"), rds("cluster-snapshot", "rds:*")],
        why="the source function copies P's automated snapshots (into drsnap-* names: "
            "CreateCaptures)"),
    "FunctionRole/CreateCaptures": Spec(
        "Allow", ["rds:CreateDBSnapshot", "rds:CreateDBClusterSnapshot", "rds:CopyDBSnapshot",
                  "rds:CopyDBClusterSnapshot"],
        [rds("snapshot", "drsnap-*"), rds("cluster-snapshot", "drsnap-*")],
        why="the source function creates snapshots in P only under drsnap-* names"),
    "FunctionRole/TagNewCaptures": Spec(
        "Allow", ["rds:AddTagsToResource"],
        [rds("snapshot", "drsnap-*"), rds("cluster-snapshot", "drsnap-*")],
        conditions=tags_at_creation(SOURCE_STAGES, only_drsnaps=False),
        why="the source function tags drsnap-* snapshots only with drsnap:managed=true and "
            "drsnap:stage capture or raw (other keys are not limited: RDS may add the "
            "database's own tags to a snapshot it creates)"),
    "FunctionRole/ShareCaptures": Spec(
        "Allow", ["rds:ModifyDBSnapshotAttribute"], [rds("snapshot", "drsnap-*")],
        conditions=tagged("snapshot", ["capture"]),
        why="the source function shares only captures (drsnap:managed=true, drsnap:stage="
            "capture); with whom IAM cannot limit (docs/deploy.md, sharing)"),
    "FunctionRole/ShareClusterCaptures": Spec(
        "Allow", ["rds:ModifyDBClusterSnapshotAttribute"], [rds("cluster-snapshot", "drsnap-*")],
        conditions=tagged("cluster-snapshot", ["capture"]),
        why="the same for Aurora cluster captures"),
    "FunctionRole/DeleteCapturesAndRaws": Spec(
        "Allow", ["rds:DeleteDBSnapshot"], [rds("snapshot", "drsnap-*")],
        conditions=tagged("snapshot", SOURCE_STAGES),
        why="the source function deletes only drsnap-* snapshots tagged drsnap:managed=true "
            "and drsnap:stage capture or raw"),
    "FunctionRole/DeleteClusterCapturesAndRaws": Spec(
        "Allow", ["rds:DeleteDBClusterSnapshot"], [rds("cluster-snapshot", "drsnap-*")],
        conditions=tagged("cluster-snapshot", SOURCE_STAGES),
        why="the same for Aurora cluster snapshots"),
    "FunctionRole/UseShareKey": Spec(
        "Allow", KMS_USE, ["{GetAtt ShareKey.Arn}"], conditions=via_rds(),
        why="the source function uses the share key only through RDS in its region"),
    "FunctionRole/GrantShareKeyToRds": Spec(
        "Allow", ["kms:CreateGrant"], ["{GetAtt ShareKey.Arn}"], conditions=grant_to_rds(),
        why="the source function lets RDS (only) create grants on the share key, for AWS "
            "resources only"),
    "FunctionRole/ReadDefaultKeySnapshotsThroughRds": Spec(
        "Allow", ["kms:Decrypt", "kms:DescribeKey"],
        [f"{P}:kms:${{AWS::Region}}:${{AWS::AccountId}}:key/*"], conditions=via_rds(),
        why="the source function reads default-key snapshots to re-encrypt them, only through "
            "RDS"),
    "FunctionRole/GrantDefaultKeyToRds": Spec(
        "Allow", ["kms:CreateGrant"], [f"{P}:kms:${{AWS::Region}}:${{AWS::AccountId}}:key/*"],
        conditions=grant_to_rds(),
        why="grants on P's keys only through RDS, only for AWS resources"),
    "FunctionRole/ObserveDrAccounts": Spec(
        "Allow", ["sts:AssumeRole"], [f"{P}:iam::*:role/drsnap-read-*"],
        why="the source function assumes the DR accounts' read-only drsnap-read-* roles, "
            "nothing else"),
    "FunctionRole/EmitDrsnapEvents": Spec(
        "Allow", ["events:PutEvents"],
        [f"{P}:events:${{AWS::Region}}:${{AWS::AccountId}}:event-bus/default"],
        why="the source function announces shares on P's default bus"),
    "FunctionRole/DeadLetters": Spec(
        "Allow", ["sqs:SendMessage"], ["{GetAtt DeadLetterQueue.Arn}"],
        why="failed invocations go to the dead-letter queue"),
    "FunctionRole/Logs": Spec(
        "Allow", ["logs:CreateLogStream", "logs:PutLogEvents"], ["{GetAtt FunctionLogGroup.Arn}"],
        why="the function writes its own log group"),
    "ForwardRole/EventBridgeAssumesThisRole": Spec(
        "Allow", ["sts:AssumeRole"], [], principal={"Service": "events.amazonaws.com"},
        why="only EventBridge assumes the forwarding role"),
    "ForwardRole/ForwardToDrBus": Spec(
        "Allow", ["events:PutEvents"], ["{Ref DrEventBusArn}"],
        why="the forwarding role puts events on the DR bus only"),
    **wake_specs("source"),
}

VAULT = {
    "VaultKey/AccountAdministration": Spec(
        "Allow", ["kms:*"], ["*"], principal=ROOT_PRINCIPAL,
        why="D's own IAM policies decide who in D may use the vault key (P has no access)"),
    "VaultKey/NobodyDeletesOrDisablesTheVaultKey": Spec(
        "Deny", ["kms:ScheduleKeyDeletion", "kms:DisableKey"], ["*"], principal={"AWS": "*"},
        why="no principal at all (D's administrators included) may schedule the vault key's "
            "deletion or disable it while this key policy stands"),
    "EventBusPolicy/drsnap-source-forwarders": Spec(
        "Allow", ["events:PutEvents"], ["{GetAtt EventBus.Arn}"],
        principal={"AWS": "{Ref SourceAccountIds}"},
        conditions={(ARN_EQ, "aws:PrincipalArn"): ["{Ref SourceForwardRoleArns}"]},
        why="only the source stacks' forwarding roles (SourceForwardRoleArns) may put events "
            "on the DR bus, not any principal of the source accounts"),
    "FunctionRole/LambdaAssumesThisRole": Spec(
        "Allow", ["sts:AssumeRole"], [], principal=LAMBDA,
        why="only the Lambda service assumes the vault function's role"),
    "FunctionRole/Observe": Spec(
        "Allow", ["rds:DescribeDBSnapshots", "rds:DescribeDBClusterSnapshots",
                  "rds:DescribeDBInstances", "rds:DescribeDBClusters",
                  "rds:DescribeAccountAttributes", "kms:ListAliases"], ["*"],
        why="the vault function reads D's snapshots, databases and snapshot quotas"),
    "FunctionRole/KeepLedger": Spec(
        "Allow", ["rds:CreateDBParameterGroup", "rds:AddTagsToResource",
                  "rds:RemoveTagsFromResource", "rds:ListTagsForResource"],
        [rds("pg", "drsnap-ledger", "*")],
        why="the vault function keeps drsnap's ledger of refused calls (engine/ledger.h) in "
            "one parameter group per DR region, and may touch no other parameter group"),
    "FunctionRole/CopySharedSnapshots": Spec(
        "Allow", ["rds:CopyDBSnapshot", "rds:CopyDBClusterSnapshot"],
        [rds("snapshot", "drsnap-*", "*", "*"), rds("cluster-snapshot", "drsnap-*", "*", "*")],
        why="the vault function copies drsnap-* snapshots shared with D into drsnap-* names"),
    "FunctionRole/TagNewCopies": Spec(
        "Allow", ["rds:AddTagsToResource"],
        [rds("snapshot", "drsnap-*", "*"), rds("cluster-snapshot", "drsnap-*", "*")],
        conditions=tags_at_creation(VAULT_STAGES),
        why="the vault function writes drsnap's seven tags (and no others) on D's drsnap-* "
            "snapshots, with drsnap:managed=true and drsnap:stage hop or vault only"),
    "FunctionRole/RecordDrillResults": Spec(
        "Allow", ["rds:AddTagsToResource"], [rds("snapshot", "drsnap-*", "*")],
        conditions={(ALL_KEYS, "aws:TagKeys"): DRILL_RESULT_TAGS, **tagged("snapshot", ["vault"])},
        why="the vault function adds only the drill result tags, only on vault copies "
            "(drsnap:managed=true, drsnap:stage=vault)"),
    "FunctionRole/RecordClusterDrillResults": Spec(
        "Allow", ["rds:AddTagsToResource"], [rds("cluster-snapshot", "drsnap-*", "*")],
        conditions={(ALL_KEYS, "aws:TagKeys"): DRILL_RESULT_TAGS,
                    **tagged("cluster-snapshot", ["vault"])},
        why="the same for Aurora cluster vault copies"),
    "FunctionRole/DeleteHopAndVaultCopies": Spec(
        "Allow", ["rds:DeleteDBSnapshot"], [rds("snapshot", "drsnap-*", "*")],
        conditions=tagged("snapshot", VAULT_STAGES),
        why="the vault function deletes only D's drsnap-* snapshots tagged drsnap:managed=true "
            "and drsnap:stage hop or vault"),
    "FunctionRole/DeleteHopAndVaultClusterCopies": Spec(
        "Allow", ["rds:DeleteDBClusterSnapshot"], [rds("cluster-snapshot", "drsnap-*", "*")],
        conditions=tagged("cluster-snapshot", VAULT_STAGES),
        why="the same for Aurora cluster snapshots"),
    "FunctionRole/RestoreDrill": Spec(
        "Allow", ["rds:RestoreDBInstanceFromDBSnapshot", "rds:RestoreDBClusterFromSnapshot",
                  "rds:DeleteDBInstance", "rds:DeleteDBCluster"],
        [rds("db", "drsnap-verify-*"), rds("cluster", "drsnap-verify-*"),
         rds("snapshot", "drsnap-*"), rds("cluster-snapshot", "drsnap-*"),
         rds("subgrp", "*"), rds("og", "*"), rds("pg", "*"), rds("cluster-pg", "*")],
        why="restore drills restore drsnap-* copies into drsnap-verify-* databases and delete "
            "only those"),
    "FunctionRole/TagDrillDatabases": Spec(
        "Allow", ["rds:AddTagsToResource"],
        [rds("db", "drsnap-verify-*"), rds("cluster", "drsnap-verify-*")],
        why="restore drills tag their drsnap-verify-* databases"),
    "FunctionRole/UseVaultKey": Spec(
        "Allow", KMS_USE, ["{GetAtt VaultKey.Arn}"], conditions=via_rds(),
        why="the vault function uses the vault key only through RDS in its region"),
    "FunctionRole/GrantVaultKeyToRds": Spec(
        "Allow", ["kms:CreateGrant"], ["{GetAtt VaultKey.Arn}"], conditions=grant_to_rds(),
        why="grants on the vault key only through RDS, only for AWS resources"),
    "FunctionRole/UseSourceShareKeys": Spec(
        "Allow", ["kms:DescribeKey", "kms:Decrypt", "kms:ReEncryptFrom"], ["{Ref SourceKeyArns}"],
        conditions=via_rds("*"),
        why="the vault function reads the source share keys only through RDS"),
    "FunctionRole/DescribeSourceShareKeys": Spec(
        "Allow", ["kms:DescribeKey"], ["{Ref SourceKeyArns}"],
        why="before copying, the vault function asks whether this account may use each source "
            "share key (metadata only; engine/preflight.h)"),
    "FunctionRole/GrantSourceShareKeysToRds": Spec(
        "Allow", ["kms:CreateGrant"], ["{Ref SourceKeyArns}"], conditions=grant_to_rds("*"),
        why="grants on the source share keys only through RDS, only for AWS resources"),
    "FunctionRole/DeadLetters": Spec(
        "Allow", ["sqs:SendMessage"], ["{GetAtt DeadLetterQueue.Arn}"],
        why="failed invocations go to the dead-letter queue"),
    "FunctionRole/Logs": Spec(
        "Allow", ["logs:CreateLogStream", "logs:PutLogEvents"], ["{GetAtt FunctionLogGroup.Arn}"],
        why="the function writes its own log group"),
    "ReadRole/OnlySourceFunctionsAssumeThisRole": Spec(
        "Allow", ["sts:AssumeRole"], [], principal={"AWS": "{Ref SourceAccountIds}"},
        conditions={(ARN_EQ, "aws:PrincipalArn"): ["{Ref SourceRoleArns}"]},
        why="only the source functions' roles (SourceRoleArns) may assume the read role, not "
            "any principal of the source accounts"),
    "ReadRole/ObserveOnly": Spec(
        "Allow", ["rds:DescribeDBSnapshots", "rds:DescribeDBClusterSnapshots",
                  "rds:DescribeDBInstances", "rds:DescribeDBClusters",
                  "rds:DescribeAccountAttributes"], ["*"],
        why="the read role describes, nothing else"),
    "ReadRole/ReadLedger": Spec(
        "Allow", ["rds:ListTagsForResource"], [rds("pg", "drsnap-ledger", "*")],
        why="a source side reads drsnap's ledger in the DR account (engine/ledger.h), nothing "
            "else's tags"),
    "SnapshotGuardPolicy/OnlyTheVaultFunctionDeletesDrsnapSnapshots": Spec(
        "Deny", ["rds:DeleteDBSnapshot", "rds:DeleteDBClusterSnapshot"],
        [rds("snapshot", "drsnap-*", "*"), rds("cluster-snapshot", "drsnap-*", "*")],
        conditions={(ARN_NE, "aws:PrincipalArn"): ["{GetAtt FunctionRole.Arn}"]},
        why="no principal it binds but the vault function deletes D's drsnap-* snapshots"),
    "SnapshotGuardPolicy/OnlyTheVaultFunctionChangesDrsnapTags": Spec(
        "Deny", ["rds:AddTagsToResource", "rds:RemoveTagsFromResource"],
        [f"{P}:rds:*:${{AWS::AccountId}}:*"],
        conditions={(ANY_KEY_LIKE, "aws:TagKeys"): ["drsnap:*"],
                    (ARN_NE, "aws:PrincipalArn"): ["{GetAtt FunctionRole.Arn}"]},
        why="no principal it binds but the vault function adds or changes drsnap:* tags on D's "
            "RDS resources"),
    "SnapshotGuardPolicy/NobodyRemovesDrsnapTags": Spec(
        "Deny", ["rds:RemoveTagsFromResource"], [f"{P}:rds:*:${{AWS::AccountId}}:*"],
        conditions={(ANY_KEY_LIKE, "aws:TagKeys"): ["drsnap:*"]},
        why="no principal it binds (the vault function included) removes drsnap:* tags"),
    "SnapshotGuardPolicy/NobodySharesDrsnapSnapshots": Spec(
        "Deny", ["rds:ModifyDBSnapshotAttribute", "rds:ModifyDBClusterSnapshotAttribute"],
        [rds("snapshot", "drsnap-*", "*"), rds("cluster-snapshot", "drsnap-*", "*")],
        why="no principal it binds (the vault function included) shares or publishes D's "
            "drsnap-* snapshots"),
    "SnapshotGuardPolicy/KeepTheVaultKey": Spec(
        "Deny", ["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"],
        ["{GetAtt VaultKey.Arn}"],
        why="no principal it binds schedules the vault key's deletion, disables it or replaces "
            "its key policy"),
    **wake_specs("vault"),
}

HOP = {
    "HopForwardRole/EventBridgeAssumesThisRole": Spec(
        "Allow", ["sts:AssumeRole"], [], principal={"Service": "events.amazonaws.com"},
        why="only EventBridge assumes the hop forwarding role"),
    "HopForwardRole/ForwardToVaultBus": Spec(
        "Allow", ["events:PutEvents"],
        [f"{P}:events:${{VaultRegion}}:${{AWS::AccountId}}:event-bus/drsnap-vault-${{VaultRegion}}"],
        why="the hop forwarding role puts events on this account's vault bus in the DR region "
            "only"),
}

SPECS = {"source.yaml": SOURCE, "vault.yaml": VAULT, "vault-hop.yaml": HOP}

# ------------------------------------------------------------------ statements


def statements(template):
    """(label, statement) for every policy statement of the template: role
    policies and trust policies, managed policies, key policies and event
    bus policies. The label is "<resource>/<Sid>" (the bus policy's Sid is
    its StatementId)."""
    for name, res in template.get("Resources", {}).items():
        props = res.get("Properties", {})
        typ = res.get("Type")
        docs = []
        if typ == "AWS::IAM::Role":
            docs.append(props.get("AssumeRolePolicyDocument", {}))
            docs += [p.get("PolicyDocument", {}) for p in props.get("Policies", [])]
        elif typ == "AWS::IAM::ManagedPolicy":
            docs.append(props.get("PolicyDocument", {}))
        elif typ == "AWS::KMS::Key":
            docs.append(props.get("KeyPolicy", {}))
        elif typ == "AWS::Events::EventBusPolicy":
            st = dict(props.get("Statement", {}))
            st.setdefault("Sid", props.get("StatementId"))
            docs.append({"Statement": [st]})
        for doc in docs:
            for st in as_list(doc.get("Statement")):
                yield f"{name}/{st.get('Sid')}", st


def conditions_of(st):
    out = {}
    for op, keys in (st.get("Condition") or {}).items():
        for key, values in keys.items():
            out[(op, key)] = sorted(str(v) for v in as_list(render(values)))
    return out


def check_statement(path, label, st, spec):
    """What is wrong with one statement against its spec (empty: nothing)."""
    where = f"{path}: {label}"
    out = []
    for k in ("NotAction", "NotResource", "NotPrincipal"):
        if k in st:
            out.append(f"{where} uses {k}: spell out what it allows")
    if st.get("Effect") != spec.effect:
        out.append(f"{where} must be {spec.effect}, not {st.get('Effect')}")
        return out
    actions = set(as_list(st.get("Action")))
    resources = [str(r) for r in as_list(render(st.get("Resource")))]
    conds = conditions_of(st)
    want = {k: sorted(v) for k, v in spec.conditions.items()}
    principal = render(st.get("Principal")) if "Principal" in st else None
    if principal != spec.principal:
        out.append(f"{where} trusts {principal}; only {spec.principal} ({spec.why})")
    if spec.effect == "Allow":
        for a in sorted(actions - set(spec.actions)):
            out.append(f"{where} allows {a} beyond its spec ({spec.why})")
        for r in resources:
            if r not in spec.resources:
                out.append(f"{where} reaches {r} beyond its spec ({spec.why})")
        for key, values in want.items():
            have = conds.get(key)
            if have is None:
                out.append(f"{where} lacks its condition {key[0]} {key[1]} {values} "
                           f"({spec.why})")
            elif not set(have) <= set(values):
                out.append(f"{where} condition {key[0]} {key[1]} allows {have}, "
                           f"only {values} ({spec.why})")
    else:
        for a in sorted(set(spec.actions) - actions):
            out.append(f"{where} no longer denies {a} ({spec.why})")
        for r in spec.resources:
            if r not in resources and "*" not in resources:
                out.append(f"{where} no longer denies on {r} ({spec.why})")
        if conds != want:
            out.append(f"{where} conditions are {conds}, must be exactly {want} ({spec.why})")
    return out


def check_specs(path, t, specs):
    out = []
    seen = set()
    for label, st in statements(t):
        if label.endswith("/None"):
            out.append(f"{path}: a statement of {label[:-5]} has no Sid: every statement "
                       "needs a Sid and a spec in check_templates.py")
            continue
        if label in seen:
            out.append(f"{path}: {label} appears twice")
        seen.add(label)
        spec = specs.get(label)
        if spec is None:
            out.append(f"{path}: {label} is not checked: add its spec to check_templates.py "
                       "(what it allows, to whom, under which condition)")
            continue
        out += check_statement(path, label, st, spec)
    for label in sorted(set(specs) - seen):
        out.append(f"{path}: {label} is missing ({specs[label].why})")
    return out

# -------------------------------------------------- properties of any statement


def _has(conds, op, key, allowed):
    """The statement carries `op key` with values within `allowed`."""
    have = conds.get((op, key))
    return have is not None and set(have) <= set(allowed)


def check_invariants(path, t, role_stages, exact_tag_keys):
    """Properties every Allow of the function role must have, whatever its
    Sid: a later statement cannot widen what the specs narrow."""
    out = []
    for label, st in statements(t):
        if st.get("Effect") != "Allow":
            continue
        actions = as_list(st.get("Action"))
        conds = conditions_of(st)
        resources = [str(r) for r in as_list(render(st.get("Resource")))]
        deletes = [a for a in actions if "Delete" in a and "Snapshot" in a]
        for r in resources if deletes else []:
            if r == "*" or "drsnap-" not in r:
                out.append(f"{path}: {label} allows {deletes} on {r}: deletes must be "
                           "limited to drsnap-* snapshots")
        if any(a == "*" or a.endswith(":*") for a in actions) and not label.endswith(
                "/AccountAdministration"):
            out.append(f"{path}: {label} grants a wildcard action")
        for kind, action in (("snapshot", "rds:DeleteDBSnapshot"),
                             ("cluster-snapshot", "rds:DeleteDBClusterSnapshot")):
            key = "rds:snapshot-tag" if kind == "snapshot" else "rds:cluster-snapshot-tag"
            # Exactly the role's stages: fewer would strand its failed copies.
            if action in actions and not (
                    _has(conds, SE, f"{key}/{MANAGED}", ["true"]) and
                    conds.get((SE, f"{key}/{STAGE}")) == sorted(role_stages)):
                out.append(f"{path}: {label} allows {action} without the conditions "
                           f"{key}/{MANAGED}=true and {key}/{STAGE} in {role_stages}")
        for action in ("rds:ModifyDBSnapshotAttribute", "rds:ModifyDBClusterSnapshotAttribute"):
            key = ("rds:snapshot-tag" if action == "rds:ModifyDBSnapshotAttribute"
                   else "rds:cluster-snapshot-tag")
            if action in actions and not (_has(conds, SE, f"{key}/{MANAGED}", ["true"]) and
                                          _has(conds, SE, f"{key}/{STAGE}", ["capture"])):
                out.append(f"{path}: {label} allows {action} on other than captures")
        snapshot_res = [r for r in resources if ":snapshot:" in r or ":cluster-snapshot:" in r
                        or r == "*"]
        if "rds:AddTagsToResource" in actions and snapshot_res:
            at_creation = (_has(conds, SE, f"aws:RequestTag/{MANAGED}", ["true"]) and
                           _has(conds, SE, f"aws:RequestTag/{STAGE}", role_stages))
            results = (_has(conds, ALL_KEYS, "aws:TagKeys", DRILL_RESULT_TAGS) and (
                _has(conds, SE, f"rds:snapshot-tag/{STAGE}", ["vault"]) or
                _has(conds, SE, f"rds:cluster-snapshot-tag/{STAGE}", ["vault"])))
            if not (at_creation or results):
                out.append(f"{path}: {label} lets the role tag snapshots beyond drsnap's own "
                           f"(drsnap:managed=true, drsnap:stage in {role_stages}, or drill "
                           "results on vault copies)")
        # The tag keys are exactly what drsnap writes: fewer would deny drsnap
        # its own tags (a tag added in engine/naming.h must be added here).
        for want in (SNAPSHOT_TAGS, DRILL_RESULT_TAGS):
            have = conds.get((ALL_KEYS, "aws:TagKeys"))
            if have is not None and set(have) <= set(want) and have != want:
                out.append(f"{path}: {label} allows only the tag keys {have}: drsnap writes "
                           f"{want} (engine/naming.h, engine/verify.h)")
        if exact_tag_keys and "rds:AddTagsToResource" in actions and snapshot_res and \
                at_creation and conds.get((ALL_KEYS, "aws:TagKeys")) != SNAPSHOT_TAGS:
            out.append(f"{path}: {label} must limit aws:TagKeys to drsnap's tags {SNAPSHOT_TAGS}")
        if "kms:CreateGrant" in actions or "kms:*" in actions:
            if not label.endswith("/AccountAdministration") and not _has(
                    conds, BOOL, "kms:GrantIsForAWSResource", ["true"]):
                out.append(f"{path}: {label} allows kms:CreateGrant without "
                           "kms:GrantIsForAWSResource=true")
        kms_use = [a for a in actions if a.startswith("kms:") and a not in (
            "kms:ListAliases", "kms:*") and not label.endswith(
            ("/ReadDefaultKeyArn", "/DescribeSourceShareKeys"))]
        if kms_use and not any(k[1] == "kms:ViaService" for k in conds):
            out.append(f"{path}: {label} allows {kms_use} outside RDS (no kms:ViaService)")
    return out

# ------------------------------------------------------------- the events


def _handled_rds_events():
    """The RDS events the function acts on, from lambda/events.cc
    (HandledRdsEvents): {id: (cluster, meaning)}. The rules must route
    exactly these: an id the function ignores costs an invocation, an id it
    acts on that no rule routes waits for the schedule."""
    with open(os.path.join(ROOT, "lambda", "events.cc")) as f:
        rows = re.findall(r'\{"(RDS-EVENT-\d{4})", (true|false), M::(k\w+)\}', f.read())
    return {i: (c == "true", m) for i, c, m in rows}


RDS_EVENTS = _handled_rds_events()
# The source function acts on every one of them.
SOURCE_EVENT_IDS = sorted(RDS_EVENTS)
# The vault function makes copies only: their ends (finished or cancelled)
# are its next hop or a freed copy slot.
VAULT_EVENT_IDS = sorted(i for i, (_, m) in RDS_EVENTS.items()
                         if m in ("kCopyFinished", "kCopyFailed"))


def detail_type(event_id):
    """The EventBridge detail-type RDS sends an event id with."""
    cluster, meaning = RDS_EVENTS[event_id]
    if meaning == "kDatabaseChanged":
        return "RDS DB Cluster Event" if cluster else "RDS DB Instance Event"
    return "RDS DB Cluster Snapshot Event" if cluster else "RDS DB Snapshot Event"


def check_rds_rule(path, t, name, want_ids, target, failures, bus=None):
    """Rule `name` routes exactly `want_ids` (RDS events of the stack's own
    account) to `target` (a rendered target Arn), on `bus` (a rendered
    EventBusName; None: the default bus)."""
    rule = t["Resources"].get(name)
    if not rule or rule.get("Type") != "AWS::Events::Rule":
        failures.append(f"{path}: no {name} (RDS events {want_ids} would wait for the schedule)")
        return
    p = rule["Properties"]
    pattern = render(p.get("EventPattern", {}))
    if pattern.get("source") != ["aws.rds"]:
        failures.append(f"{path}: {name} must match source aws.rds only")
    if pattern.get("account") != ["{Ref AWS::AccountId}"]:
        failures.append(f"{path}: {name} must match the stack's own account only")
    have = sorted(str(i) for i in as_list(pattern.get("detail", {}).get("EventID")))
    for i in sorted(set(want_ids) - set(have)):
        failures.append(f"{path}: {name} does not route {i}, which the function acts on "
                        "(lambda/events.cc HandledRdsEvents): it would wait for the schedule")
    for i in sorted(set(have) - set(want_ids)):
        failures.append(f"{path}: {name} routes {i}, which the function does not act on here "
                        "(lambda/events.cc HandledRdsEvents)")
    types = sorted(as_list(pattern.get("detail-type")))
    need = sorted({detail_type(i) for i in want_ids})
    if types != need:
        failures.append(f"{path}: {name} must match exactly the detail-types {need} "
                        f"(those its events come with), not {types}")
    if render(p.get("EventBusName")) != bus:
        failures.append(f"{path}: {name} must be on {bus or 'the default bus'}")
    targets = [render(tg.get("Arn")) for tg in p.get("Targets", [])]
    if targets != [target]:
        failures.append(f"{path}: {name} must target {target} only, not {targets}")
    if target == "{GetAtt Function.Arn}" and not any(
            r["Type"] == "AWS::Lambda::Permission" and
            r["Properties"].get("SourceArn") == {"GetAtt": f"{name}.Arn"}
            for r in t["Resources"].values()):
        failures.append(f"{path}: no Lambda permission for {name}")

# ------------------------------------------------------------------ the wiring


def check_function(path, t, failures):
    res = t["Resources"]
    fn = [r for r in res.values() if r["Type"] == "AWS::Lambda::Function"]
    if len(fn) != 1:
        failures.append(f"{path}: expected exactly one Lambda function")
    for f in fn:
        p = f["Properties"]
        if p.get("Runtime") != "provided.al2023" or p.get("Handler") != "bootstrap":
            failures.append(f"{path}: function must run bootstrap on provided.al2023")
        if "DeadLetterConfig" not in p:
            failures.append(f"{path}: function has no dead-letter queue")
        env = p.get("Environment", {}).get("Variables", {})
        if env.get("DRSNAP_ACCOUNT_ID") != {"Ref": "AWS::AccountId"}:
            failures.append(f"{path}: DRSNAP_ACCOUNT_ID must be the stack's own account "
                            "(its own credentials reach it)")
    if not any(r["Type"] == "AWS::CloudWatch::Alarm" for r in res.values()):
        failures.append(f"{path}: no failure alarm")
    for f in fn:
        side = f["Properties"].get("Environment", {}).get("Variables", {}).get("DRSNAP_SIDE")
        check_metric_alarms(path, res, side, failures)
    if not any(r["Type"] == "AWS::Events::Rule" and "ScheduleExpression" in r["Properties"]
               for r in res.values()):
        failures.append(f"{path}: no schedule (the backstop for lost events)")


# The metrics the Lambda handler writes as CloudWatch Embedded Metric Format
# lines (metrics/emf.h), each alarmed on for the function's own side.
ALARMED_METRICS = ("PairsBreached", "ActionFailures")


def _emf_metric_names():
    with open(os.path.join(ROOT, "metrics", "emf.h")) as f:
        return set(re.findall(r"\b[A-Z][A-Za-z]+\b", f.read()))


def check_metric_alarms(path, res, side, failures):
    known = _emf_metric_names()
    for metric in ALARMED_METRICS:
        if metric not in known:
            failures.append(f"{path}: {metric} is not a metric the handler writes (metrics/emf.h)")
        alarms = [r["Properties"] for r in res.values()
                  if r["Type"] == "AWS::CloudWatch::Alarm"
                  and r["Properties"].get("MetricName") == metric]
        good = [a for a in alarms
                if a.get("Namespace") == "drsnap"
                and a.get("Dimensions") == [{"Name": "Side", "Value": side}]
                and "{Ref AlarmTopic}" in as_list(render(a.get("AlarmActions")))]
        if not good:
            failures.append(f"{path}: no alarm on drsnap's {metric} metric with dimension "
                            f"Side={side} (the function's DRSNAP_SIDE) notifying AlarmTopic")


def check_role_name(path, res, name, want, why, failures):
    got = render(res.get(name, {}).get("Properties", {}).get("RoleName"))
    if got != want:
        failures.append(f"{path}: {name} must be named {want} ({why}), not {got}")


def check_retained(path, res, name, failures):
    r = res.get(name, {})
    for k in ("DeletionPolicy", "UpdateReplacePolicy"):
        if r.get(k) != "Retain":
            failures.append(f"{path}: {name} needs {k}: Retain (deleting or replacing the "
                            "stack must not schedule the deletion of the key its snapshots "
                            "are encrypted with)")


def check_wake(path, t, side, failures):
    """The watch's wake-ups are wired: the function's environment names this
    stack's schedule group and wake-up role (lambda/handler.h reads them),
    and the role's invoke statement names this very function (it names it
    by name: a reference to the function would be a dependency cycle)."""
    res = t["Resources"]
    group = res.get("WakeScheduleGroup", {})
    if group.get("Type") != "AWS::Scheduler::ScheduleGroup":
        failures.append(f"{path}: no WakeScheduleGroup (AWS::Scheduler::ScheduleGroup): a "
                        "cluster copy outlasting an invocation waits for the schedule")
    elif render(group["Properties"].get("Name")) != WAKE_GROUP.format(side=side):
        failures.append(f"{path}: WakeScheduleGroup must be named "
                        f"{WAKE_GROUP.format(side=side)}")
    check_role_name(path, res, "WakeRole", WAKE_ROLE.format(side=side),
                    "the SCPs in docs/deploy.md protect role/drsnap-*", failures)
    for f in [r for r in res.values() if r["Type"] == "AWS::Lambda::Function"]:
        p = f["Properties"]
        env = p.get("Environment", {}).get("Variables", {})
        if render(env.get("DRSNAP_WAKE_SCHEDULE_GROUP")) != "{Ref WakeScheduleGroup}":
            failures.append(f"{path}: DRSNAP_WAKE_SCHEDULE_GROUP must be !Ref WakeScheduleGroup "
                            "(the group the function may create schedules in)")
        if render(env.get("DRSNAP_WAKE_ROLE_ARN")) != "{GetAtt WakeRole.Arn}":
            failures.append(f"{path}: DRSNAP_WAKE_ROLE_ARN must be !GetAtt WakeRole.Arn (the "
                            "role the function may pass to Scheduler)")
        if render(p.get("FunctionName")) != FUNCTION_NAMES[side]:
            failures.append(f"{path}: the function must be named {FUNCTION_NAMES[side]}: "
                            "WakeRole/InvokeThisFunctionOnly names it so")


def check_source(t, path="source.yaml"):
    failures = []
    check_function(path, t, failures)
    failures += check_specs(path, t, SOURCE)
    failures += check_invariants(path, t, SOURCE_STAGES, exact_tag_keys=False)
    s = t["Resources"]
    if not any(r["Type"] == "AWS::Events::Rule" and
               any("DrEventBusArn" in str(tg.get("Arn")) for tg in r["Properties"].get("Targets", []))
               for r in s.values()):
        failures.append(f"{path}: no rule forwards drsnap events to the DR bus")
    for label, st in statements(t):
        if "sts:AssumeRole" in as_list(st.get("Action")) and st.get("Effect") == "Allow" \
                and "Principal" not in st:
            for r in as_list(render(st.get("Resource"))):
                if "role/drsnap-read-" not in str(r):
                    failures.append(f"{path}: {label} may assume {r}: only drsnap-read-*")
    why = "vault.yaml's SourceRoleArns / SourceForwardRoleArns and the SCPs in docs/deploy.md " \
          "name it"
    check_role_name(path, s, "FunctionRole", "drsnap-source-${AWS::Region}", why, failures)
    check_role_name(path, s, "ForwardRole", "drsnap-forward-${AWS::Region}", why, failures)
    check_retained(path, s, "ShareKey", failures)
    check_rds_rule(path, t, "RdsSnapshotEventRule", SOURCE_EVENT_IDS, "{GetAtt Function.Arn}",
                   failures)
    check_wake(path, t, "source", failures)
    return failures


def check_vault(t, path="vault.yaml"):
    failures = []
    check_function(path, t, failures)
    failures += check_specs(path, t, VAULT)
    # D's copies carry no tags but drsnap's (tags do not cross accounts, and
    # drsnap never sets CopyTags): exactly those keys.
    failures += check_invariants(path, t, VAULT_STAGES, exact_tag_keys=True)
    v = t["Resources"]
    if not any(r["Type"] == "AWS::Events::EventBusPolicy" for r in v.values()):
        failures.append(f"{path}: the event bus accepts no source account")
    # The guard is part of the stack: attached to every role the stack makes.
    guard = v.get("SnapshotGuardPolicy", {}).get("Properties", {})
    attached = render(guard.get("Roles", []))
    for role in ("FunctionRole", "ReadRole", "WakeRole"):
        if "{Ref %s}" % role not in attached:
            failures.append(f"{path}: SnapshotGuardPolicy is not attached to {role} (the guard "
                            "is part of the stack, not an opt-in)")
    if render(guard.get("ManagedPolicyName")) != "drsnap-vault-guard-${AWS::Region}":
        failures.append(f"{path}: SnapshotGuardPolicy must be named "
                        "drsnap-vault-guard-${AWS::Region} (the SCP in docs/deploy.md names it)")
    check_role_name(path, v, "FunctionRole", "drsnap-vault-${AWS::Region}",
                    "the SCP in docs/deploy.md exempts role/drsnap-vault-*", failures)
    check_retained(path, v, "VaultKey", failures)
    # Restore drills: the schedule sends exactly the input the function
    # decodes as a drill step (lambda/events.cc), may invoke it, and the
    # drill's deletes reach only drsnap-verify-* databases.
    rule = v.get("VerifyScheduleRule")
    if not rule:
        failures.append(f"{path}: no VerifyScheduleRule (restore drills)")
    else:
        inputs = [tg.get("Input") for tg in rule["Properties"].get("Targets", [])]
        try:
            parsed = [json.loads(i) for i in inputs]
        except (TypeError, ValueError):
            parsed = []
        if parsed != [{"drsnap": "verify"}]:
            failures.append(f'{path}: VerifyScheduleRule must send {{"drsnap": "verify"}}, '
                            f"not {inputs}")
        if not any(r["Type"] == "AWS::Lambda::Permission" and
                   r["Properties"].get("SourceArn") == {"GetAtt": "VerifyScheduleRule.Arn"}
                   for r in v.values()):
            failures.append(f"{path}: no Lambda permission for VerifyScheduleRule")
    for label, st in statements(t):
        drill_deletes = [a for a in as_list(st.get("Action"))
                         if a in ("rds:DeleteDBInstance", "rds:DeleteDBCluster")]
        if st.get("Effect") == "Allow" and drill_deletes:
            for r in as_list(render(st.get("Resource"))):
                text = str(r)
                if (":db:" in text or ":cluster:" in text or text == "*") and \
                        "drsnap-verify-" not in text:
                    failures.append(f"{path}: {label} allows {drill_deletes} on {text}: "
                                    "only drsnap-verify-* databases")
        if st.get("Effect") == "Allow" and "Principal" not in st and \
                "sts:AssumeRole" in as_list(st.get("Action")):
            failures.append(f"{path}: {label}: the vault side assumes no role (it never needs "
                            "the production account's credentials)")
    # Copies ending: in this region (default bus), and hop copies in the
    # source region (forwarded by vault-hop.yaml to the drsnap bus).
    check_rds_rule(path, t, "CopyEventRule", VAULT_EVENT_IDS, "{GetAtt Function.Arn}", failures)
    check_rds_rule(path, t, "HopCopyEventRule", VAULT_EVENT_IDS, "{GetAtt Function.Arn}",
                   failures, bus="{Ref EventBus}")
    check_wake(path, t, "vault", failures)
    # The source side's view of the vault is read-only.
    read = v.get("ReadRole")
    if not read:
        failures.append(f"{path}: no read-only role for the source side (ReadRole)")
    else:
        for pol in read["Properties"].get("Policies", []):
            for st in pol["PolicyDocument"]["Statement"]:
                for a in as_list(st["Action"]):
                    if st["Effect"] == "Allow" and not (a.startswith("rds:Describe") or
                                                        a == "rds:ListTagsForResource"):
                        failures.append(f"{path}: ReadRole allows {a}: it must be read-only")
    return failures


VAULT_BUS = f"{P}:events:${{VaultRegion}}:${{AWS::AccountId}}:event-bus/drsnap-vault-${{VaultRegion}}"


def check_hop(t, path="vault-hop.yaml"):
    """The DR account's forwarder in a source region: hop copies ending there
    reach the vault bus (vault.yaml's name, drsnap-vault-<region>), through
    a role that may put events there and nowhere else."""
    failures = check_specs(path, t, HOP)
    res = t["Resources"]
    check_rds_rule(path, t, "HopCopyEventRule", VAULT_EVENT_IDS, VAULT_BUS, failures)
    rule = res.get("HopCopyEventRule", {}).get("Properties", {})
    roles = [render(tg.get("RoleArn")) for tg in rule.get("Targets", [])]
    if roles != ["{GetAtt HopForwardRole.Arn}"]:
        failures.append(f"{path}: HopCopyEventRule must forward with HopForwardRole, not {roles}")
    check_role_name(path, res, "HopForwardRole",
                    "drsnap-hop-forward-${AWS::Region}-${VaultRegion}",
                    "the SCPs in docs/deploy.md protect role/drsnap-*", failures)
    if any(r["Type"] == "AWS::Lambda::Function" for r in res.values()):
        failures.append(f"{path}: the hop forwarder runs no function")
    return failures


def explain():
    for path, specs in SPECS.items():
        print(f"{path}:")
        for label, spec in specs.items():
            conds = "; ".join(f"{op} {key} {vals}" for (op, key), vals in spec.conditions.items())
            print(f"  {label}: {spec.effect} {', '.join(spec.actions)}"
                  + (f" on {', '.join(spec.resources)}" if spec.resources else "")
                  + (f" to {spec.principal}" if spec.principal else "")
                  + (f" when {conds}" if conds else "") + f"\n      {spec.why}")


def main(argv):
    if "--explain" in argv:
        explain()
        return 0
    failures = check_source(load(os.path.join(HERE, "source.yaml")))
    failures += check_vault(load(os.path.join(HERE, "vault.yaml")))
    failures += check_hop(load(os.path.join(HERE, "vault-hop.yaml")))
    for f in failures:
        print(f)
    if not failures:
        print("deploy templates: all safety properties hold")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
