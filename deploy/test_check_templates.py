"""Each check of check_templates.py bites: the templates as they are pass,
and every statement, changed the way a careless edit would change it (its
condition removed, an action or resource added, a denied action dropped,
the statement gone), fails with a message naming it.

Run with Debian's python3: /usr/bin/python3 -m pytest deploy/test_check_templates.py
(ctest: deploy_template_checks)."""
import copy
import json
import os
import re

import pytest

import check_templates as ct

TEMPLATES = {"source.yaml": ct.check_source, "vault.yaml": ct.check_vault,
             "vault-hop.yaml": ct.check_hop}
LOADED = {name: ct.load(os.path.join(ct.HERE, name)) for name in TEMPLATES}


def fresh(name):
    return copy.deepcopy(LOADED[name])


def failures(name, t):
    return TEMPLATES[name](t, name)


def find(t, label):
    """The statement dict a label names, in place (for mutation)."""
    resource, sid = label.split("/", 1)
    res = t["Resources"][resource]
    props = res["Properties"]
    if res["Type"] == "AWS::Events::EventBusPolicy":
        assert props["StatementId"] == sid
        return props["Statement"]
    docs = []
    if res["Type"] == "AWS::IAM::Role":
        docs = [props["AssumeRolePolicyDocument"]] + [p["PolicyDocument"]
                                                       for p in props.get("Policies", [])]
    elif res["Type"] == "AWS::IAM::ManagedPolicy":
        docs = [props["PolicyDocument"]]
    elif res["Type"] == "AWS::KMS::Key":
        docs = [props["KeyPolicy"]]
    for doc in docs:
        for st in doc["Statement"]:
            if st.get("Sid") == sid:
                return st
    raise KeyError(label)


def remove(t, label):
    resource, sid = label.split("/", 1)
    res = t["Resources"][resource]
    props = res["Properties"]
    if res["Type"] == "AWS::Events::EventBusPolicy":
        del t["Resources"][resource]
        return
    docs = []
    if res["Type"] == "AWS::IAM::Role":
        docs = [props["AssumeRolePolicyDocument"]] + [p["PolicyDocument"]
                                                       for p in props.get("Policies", [])]
    elif res["Type"] == "AWS::IAM::ManagedPolicy":
        docs = [props["PolicyDocument"]]
    elif res["Type"] == "AWS::KMS::Key":
        docs = [props["KeyPolicy"]]
    for doc in docs:
        doc["Statement"] = [st for st in doc["Statement"] if st.get("Sid") != sid]


def names(name, t):
    return "\n".join(failures(name, t))


ALL = [(name, label) for name, specs in ct.SPECS.items() for label in specs]
WITH_CONDITIONS = [(n, l) for n, l in ALL if ct.SPECS[n][l].conditions]
ALLOWS = [(n, l) for n, l in ALL if ct.SPECS[n][l].effect == "Allow"]
DENIES = [(n, l) for n, l in ALL if ct.SPECS[n][l].effect == "Deny"]


def ids(cases):
    return [f"{n}:{l}" for n, l in cases]


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_templates_hold(name):
    assert failures(name, fresh(name)) == []


@pytest.mark.parametrize("name,label", ALL, ids=ids(ALL))
def test_statement_holds(name, label):
    """A test per statement: it allows what its spec says, to whom, under
    which condition (check_templates.py --explain prints them)."""
    st = find(fresh(name), label)
    assert ct.check_statement(name, label, st, ct.SPECS[name][label]) == []


@pytest.mark.parametrize("name,label", WITH_CONDITIONS, ids=ids(WITH_CONDITIONS))
def test_condition_is_load_bearing(name, label):
    t = fresh(name)
    del find(t, label)["Condition"]
    assert label in names(name, t)


@pytest.mark.parametrize("name,label", WITH_CONDITIONS, ids=ids(WITH_CONDITIONS))
def test_each_condition_key_is_load_bearing(name, label):
    for op, key in ct.SPECS[name][label].conditions:
        t = fresh(name)
        cond = find(t, label)["Condition"]
        del cond[op][key]
        if not cond[op]:
            del cond[op]
        assert label in names(name, t), f"{op} {key}"


@pytest.mark.parametrize("name,label", ALLOWS, ids=ids(ALLOWS))
def test_allow_cannot_grant_more(name, label):
    t = fresh(name)
    st = find(t, label)
    # An action beyond the spec (iam:PassRole, unless that is what it allows).
    extra = "iam:PassRole" if "iam:PassRole" not in ct.SPECS[name][label].actions \
        else "iam:CreateRole"
    st["Action"] = ct.as_list(st["Action"]) + [extra]
    assert f"{label} allows {extra}" in names(name, t)
    if "Resource" in st and ct.SPECS[name][label].resources != ["*"]:
        t = fresh(name)
        st = find(t, label)
        st["Resource"] = ct.as_list(st["Resource"]) + ["*"]
        assert f"{label} reaches *" in names(name, t)


@pytest.mark.parametrize("name,label", ALLOWS, ids=ids(ALLOWS))
def test_allow_cannot_trust_more(name, label):
    t = fresh(name)
    st = find(t, label)
    st["Principal"] = {"AWS": "*"}
    assert f"{label} trusts" in names(name, t)


@pytest.mark.parametrize("name,label", DENIES, ids=ids(DENIES))
def test_deny_cannot_deny_less(name, label):
    t = fresh(name)
    st = find(t, label)
    actions = ct.as_list(st["Action"])
    st["Action"] = actions[1:]
    assert f"{label} no longer denies {actions[0]}" in names(name, t)


@pytest.mark.parametrize("name,label", ALL, ids=ids(ALL))
def test_statement_cannot_disappear(name, label):
    t = fresh(name)
    remove(t, label)
    assert label in names(name, t)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_statement_needs_a_spec(name):
    t = fresh(name)
    role = "FunctionRole" if "FunctionRole" in t["Resources"] else "HopForwardRole"
    doc = t["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]
    doc["Statement"].append({"Sid": "Extra", "Effect": "Allow", "Action": "rds:DescribeDBInstances",
                             "Resource": "*"})
    assert f"{role}/Extra is not checked" in names(name, t)
    doc["Statement"][-1].pop("Sid")
    assert f"a statement of {role} has no Sid" in names(name, t)


# A later statement with a spec of its own still cannot widen the role: the
# invariants hold for every Allow.
@pytest.mark.parametrize("name,stages", [("source.yaml", ct.SOURCE_STAGES),
                                         ("vault.yaml", ct.VAULT_STAGES)])
def test_no_statement_deletes_untagged_snapshots(name, stages):
    t = fresh(name)
    doc = t["Resources"]["FunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    doc["Statement"].append({"Sid": "Sneaky", "Effect": "Allow", "Action": "rds:DeleteDBSnapshot",
                             "Resource": {"Sub": ct.rds("snapshot", "drsnap-*", "*")}})
    found = "\n".join(ct.check_invariants(name, t, stages, exact_tag_keys=True))
    assert "Sneaky allows rds:DeleteDBSnapshot without the conditions" in found


@pytest.mark.parametrize("name,label,other", [
    ("vault.yaml", "FunctionRole/DeleteHopAndVaultCopies", "capture"),
    ("vault.yaml", "FunctionRole/DeleteHopAndVaultClusterCopies", "raw"),
    ("source.yaml", "FunctionRole/DeleteCapturesAndRaws", "vault"),
    ("source.yaml", "FunctionRole/DeleteClusterCapturesAndRaws", "hop"),
    ("vault.yaml", "FunctionRole/TagNewCopies", "capture"),
    ("source.yaml", "FunctionRole/TagNewCaptures", "vault"),
])
def test_a_role_keeps_to_its_own_stages(name, label, other):
    t = fresh(name)
    for values in find(t, label)["Condition"]["StringEquals"].items():
        key, v = values
        if key.endswith("/drsnap:stage"):
            find(t, label)["Condition"]["StringEquals"][key] = ct.as_list(v) + [other]
    assert f"{label} condition StringEquals" in names(name, t)


@pytest.mark.parametrize("name,label", [("source.yaml", "FunctionRole/ShareCaptures"),
                                        ("source.yaml", "FunctionRole/ShareClusterCaptures")])
def test_only_captures_are_shared(name, label):
    t = fresh(name)
    for key in list(find(t, label)["Condition"]["StringEquals"]):
        if key.endswith("/drsnap:stage"):
            find(t, label)["Condition"]["StringEquals"][key] = ["capture", "raw"]
    assert f"{label} allows rds:Modify" in names(name, t)


@pytest.mark.parametrize("name,label", [("vault.yaml", "FunctionRole/TagNewCopies"),
                                        ("vault.yaml", "FunctionRole/RecordDrillResults"),
                                        ("vault.yaml", "FunctionRole/RecordClusterDrillResults")])
def test_tag_keys_are_exactly_drsnaps(name, label):
    t = fresh(name)
    cond = find(t, label)["Condition"]["ForAllValues:StringEquals"]
    cond["aws:TagKeys"] = ct.as_list(cond["aws:TagKeys"]) + ["Owner"]
    assert f"{label} condition ForAllValues:StringEquals aws:TagKeys" in names(name, t)
    t = fresh(name)
    cond = find(t, label)["Condition"]["ForAllValues:StringEquals"]
    cond["aws:TagKeys"] = ct.as_list(cond["aws:TagKeys"])[1:]
    assert f"{label} allows only the tag keys" in names(name, t)


def test_drsnaps_tags_come_from_the_engine():
    assert len(ct.SNAPSHOT_TAGS) == 7 and all(k.startswith("drsnap:") for k in ct.SNAPSHOT_TAGS)
    assert ct.MANAGED == "drsnap:managed" and ct.STAGE == "drsnap:stage"
    assert len(ct.DRILL_RESULT_TAGS) == 3


def test_grants_are_for_aws_resources_only():
    t = fresh("vault.yaml")
    doc = t["Resources"]["FunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    doc["Statement"].append({"Sid": "Grant", "Effect": "Allow", "Action": "kms:CreateGrant",
                             "Resource": "*", "Condition": {"StringLike": {
                                 "kms:ViaService": "rds.*.amazonaws.com"}}})
    found = "\n".join(ct.check_invariants("vault.yaml", t, ct.VAULT_STAGES, exact_tag_keys=True))
    assert "Grant allows kms:CreateGrant without kms:GrantIsForAWSResource=true" in found


def test_the_guard_is_attached_to_the_stacks_roles():
    t = fresh("vault.yaml")
    t["Resources"]["SnapshotGuardPolicy"]["Properties"]["Roles"] = [{"Ref": "ReadRole"}]
    assert "SnapshotGuardPolicy is not attached to FunctionRole" in names("vault.yaml", t)
    del t["Resources"]["SnapshotGuardPolicy"]["Properties"]["Roles"]
    assert "SnapshotGuardPolicy is not attached to ReadRole" in names("vault.yaml", t)
    assert "SnapshotGuardPolicy is not attached to WakeRole" in names("vault.yaml", t)


@pytest.mark.parametrize("name,key", [("vault.yaml", "VaultKey"), ("source.yaml", "ShareKey")])
def test_keys_outlive_the_stack(name, key):
    for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
        t = fresh(name)
        del t["Resources"][key][policy]
        assert f"{key} needs {policy}: Retain" in names(name, t)


@pytest.mark.parametrize("name,resource", [("vault.yaml", "FunctionRole"),
                                           ("source.yaml", "FunctionRole"),
                                           ("source.yaml", "ForwardRole"),
                                           ("source.yaml", "WakeRole"),
                                           ("vault.yaml", "WakeRole"),
                                           ("vault-hop.yaml", "HopForwardRole")])
def test_role_names_the_scps_rely_on(name, resource):
    t = fresh(name)
    t["Resources"][resource]["Properties"]["RoleName"] = "something-else"
    assert f"{resource} must be named" in names(name, t)


@pytest.mark.parametrize("name", ["source.yaml", "vault.yaml"])
def test_the_wake_ups_are_wired(name):
    """The function's environment names the stack's schedule group and
    wake-up role, the group exists under its name, and the wake-up role
    invokes the function by the name it has."""
    fn = next(k for k, r in LOADED[name]["Resources"].items()
              if r["Type"] == "AWS::Lambda::Function")
    for var, message in (("DRSNAP_WAKE_SCHEDULE_GROUP", "DRSNAP_WAKE_SCHEDULE_GROUP must be"),
                         ("DRSNAP_WAKE_ROLE_ARN", "DRSNAP_WAKE_ROLE_ARN must be")):
        t = fresh(name)
        del t["Resources"][fn]["Properties"]["Environment"]["Variables"][var]
        assert message in names(name, t)
    t = fresh(name)
    del t["Resources"]["WakeScheduleGroup"]
    assert "no WakeScheduleGroup" in names(name, t)
    t = fresh(name)
    t["Resources"]["WakeScheduleGroup"]["Properties"]["Name"] = "default"
    assert "WakeScheduleGroup must be named" in names(name, t)
    t = fresh(name)
    t["Resources"][fn]["Properties"]["FunctionName"] = "drsnap-renamed"
    assert "WakeRole/InvokeThisFunctionOnly names it so" in names(name, t)


def test_the_vault_side_assumes_no_role():
    t = fresh("vault.yaml")
    doc = t["Resources"]["FunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    doc["Statement"].append({"Sid": "Hop", "Effect": "Allow", "Action": "sts:AssumeRole",
                             "Resource": "*"})
    assert "the vault side assumes no role" in names("vault.yaml", t)


# ------------------------------------------------------------ event rules

RULES = [("source.yaml", "RdsSnapshotEventRule", ct.SOURCE_EVENT_IDS),
         ("vault.yaml", "CopyEventRule", ct.VAULT_EVENT_IDS),
         ("vault.yaml", "HopCopyEventRule", ct.VAULT_EVENT_IDS),
         ("vault-hop.yaml", "HopCopyEventRule", ct.VAULT_EVENT_IDS)]
RULE_IDS = [f"{n}:{r}" for n, r, _ in RULES]


def pattern(t, rule):
    return t["Resources"][rule]["Properties"]["EventPattern"]


def test_the_handled_events_come_from_the_handler():
    """The ids are read from lambda/events.cc, and they are AWS's: DB snapshot
    copies end with an event, DB cluster snapshot copies do not."""
    assert "RDS-EVENT-0091" in ct.SOURCE_EVENT_IDS and "RDS-EVENT-0169" in ct.SOURCE_EVENT_IDS
    assert ct.VAULT_EVENT_IDS == sorted(["RDS-EVENT-0197", "RDS-EVENT-0060", "RDS-EVENT-0190",
                                         "RDS-EVENT-0061"])
    assert not any(ct.RDS_EVENTS[i][0] for i in ct.VAULT_EVENT_IDS)


@pytest.mark.parametrize("name,rule,want", RULES, ids=RULE_IDS)
def test_a_rule_routes_every_handled_event(name, rule, want):
    t = fresh(name)
    detail = pattern(t, rule)["detail"]
    dropped = detail["EventID"][0]
    detail["EventID"] = detail["EventID"][1:]
    assert f"{rule} does not route {dropped}" in names(name, t)


@pytest.mark.parametrize("name,rule,want", RULES, ids=RULE_IDS)
def test_a_rule_routes_nothing_the_handler_ignores(name, rule, want):
    t = fresh(name)
    pattern(t, rule)["detail"]["EventID"].append("RDS-EVENT-0006")
    assert f"{rule} routes RDS-EVENT-0006" in names(name, t)


@pytest.mark.parametrize("name,rule,want", RULES, ids=RULE_IDS)
def test_a_rule_routes_its_own_accounts_rds_events_only(name, rule, want):
    t = fresh(name)
    del pattern(t, rule)["account"]
    assert f"{rule} must match the stack's own account only" in names(name, t)
    t = fresh(name)
    pattern(t, rule)["source"] = ["aws.rds", "drsnap"]
    assert f"{rule} must match source aws.rds only" in names(name, t)


@pytest.mark.parametrize("name,rule,want", RULES, ids=RULE_IDS)
def test_a_rule_cannot_go(name, rule, want):
    t = fresh(name)
    del t["Resources"][rule]
    assert f"no {rule}" in names(name, t)


def test_hop_events_reach_the_vault_bus_and_the_vault_function():
    t = fresh("vault-hop.yaml")
    t["Resources"]["HopCopyEventRule"]["Properties"]["Targets"][0]["Arn"] = "arn:aws:events:x"
    assert "HopCopyEventRule must target" in names("vault-hop.yaml", t)
    t = fresh("vault.yaml")
    del t["Resources"]["HopCopyEventRule"]["Properties"]["EventBusName"]
    assert "HopCopyEventRule must be on {Ref EventBus}" in names("vault.yaml", t)
    t = fresh("vault.yaml")
    del t["Resources"]["CopyEventPermission"]
    assert "no Lambda permission for CopyEventRule" in names("vault.yaml", t)


# --------------------------------------------------------- docs/deploy.md

DOCS = os.path.join(ct.ROOT, "docs", "deploy.md")


def doc_text():
    with open(DOCS) as f:
        return f.read()


def test_docs_name_every_statement():
    text = doc_text()
    missing = [l for _, l in ALL if l.split("/", 1)[1] not in text]
    assert missing == []


def scps():
    blocks = re.findall(r"```json\n(.*?)```", doc_text(), re.S)
    return [json.loads(b) for b in blocks if '"Version"' in b]


def test_docs_scps_are_valid_deny_only_policies():
    policies = scps()
    assert len(policies) == 2  # one for the DR accounts, one for the production accounts
    for p in policies:
        assert p["Version"] == "2012-10-17"
        sids = [st["Sid"] for st in p["Statement"]]
        assert len(sids) == len(set(sids))
        assert all(st["Effect"] == "Deny" for st in p["Statement"])
        # AWS Organizations' limit for one SCP (whitespace removed).
        assert len(json.dumps(p, separators=(",", ":"))) <= 5120


def test_docs_scps_exempt_only_drsnaps_roles_by_name():
    """The SCPs name drsnap's roles by the names the templates give them."""
    text = json.dumps(scps())
    assert "role/drsnap-vault-*" in text and "role/drsnap-source-*" in text


@pytest.mark.parametrize("name", ["source.yaml", "vault.yaml"])
@pytest.mark.parametrize("metric", ct.ALARMED_METRICS)
def test_the_metric_alarms_cannot_go_or_watch_another_side(name, metric):
    alarm = next(k for k, r in LOADED[name]["Resources"].items()
                 if r["Type"] == "AWS::CloudWatch::Alarm"
                 and r["Properties"].get("MetricName") == metric)
    t = fresh(name)
    del t["Resources"][alarm]
    assert any(metric in f for f in failures(name, t))
    t = fresh(name)
    t["Resources"][alarm]["Properties"]["Dimensions"][0]["Value"] = "all"
    assert any(metric in f for f in failures(name, t))
    t = fresh(name)
    t["Resources"][alarm]["Properties"]["AlarmActions"] = []
    assert any(metric in f for f in failures(name, t))
