#!/usr/bin/python3
"""Checks the safety properties of drsnap's CloudFormation templates that
cfn-lint cannot know: least privilege for deletes, the runtime, the wiring.

Run with Debian's python3 (python3-yaml). Exits non-zero with one line per
violated property."""
import json
import sys
import yaml


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


def statements(template):
    for name, res in template["Resources"].items():
        props = res.get("Properties", {})
        docs = []
        for pol in props.get("Policies", []):
            docs.append(pol["PolicyDocument"])
        if res["Type"] == "AWS::IAM::ManagedPolicy":
            docs.append(props["PolicyDocument"])
        for doc in docs:
            for st in doc["Statement"]:
                yield name, st


def as_list(x):
    return x if isinstance(x, list) else [x]


def check(path, failures):
    t = load(path)
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
    if not any(r["Type"] == "AWS::Events::Rule" and "ScheduleExpression" in r["Properties"]
               for r in res.values()):
        failures.append(f"{path}: no schedule (the backstop for lost events)")
    for name, st in statements(t):
        if st["Effect"] != "Allow":
            continue
        actions = as_list(st["Action"])
        deletes = [a for a in actions if "Delete" in a and "Snapshot" in a]
        if not deletes:
            continue
        for r in as_list(st["Resource"]):
            text = str(r)
            if r == "*" or "drsnap-" not in text:
                failures.append(f"{path}: {name} allows {deletes} on {text}: "
                                "deletes must be limited to drsnap-* snapshots")
        if any(a == "*" or a.endswith(":*") for a in actions):
            failures.append(f"{path}: {name} grants a wildcard action")


def main():
    failures = []
    src = "source.yaml"
    vault = "vault.yaml"
    for p in (src, vault):
        check(p, failures)
    s = load(src)["Resources"]
    key = s.get("ShareKey", {}).get("Properties", {}).get("KeyPolicy", {})
    if not any(st.get("Principal", {}).get("AWS") == {"Ref": "DrAccountIds"}
               for st in key.get("Statement", [])):
        failures.append("source.yaml: the share key policy does not let the DR accounts use it")
    if not any(r["Type"] == "AWS::Events::Rule" and
               any("DrEventBusArn" in str(tg.get("Arn")) for tg in r["Properties"].get("Targets", []))
               for r in s.values()):
        failures.append("source.yaml: no rule forwards drsnap events to the DR bus")
    v = load(vault)["Resources"]
    guard = v.get("SnapshotGuardPolicy")
    if not guard or guard["Properties"]["PolicyDocument"]["Statement"][0]["Effect"] != "Deny":
        failures.append("vault.yaml: no guard policy denying deletes to other principals")
    if not any(r["Type"] == "AWS::Events::EventBusPolicy" for r in v.values()):
        failures.append("vault.yaml: the event bus accepts no source account")
    # Restore drills: the schedule sends exactly the input the function
    # decodes as a drill step (lambda/events.cc), may invoke it, and the
    # drill's deletes reach only drsnap-verify-* databases.
    rule = v.get("VerifyScheduleRule")
    if not rule:
        failures.append("vault.yaml: no VerifyScheduleRule (restore drills)")
    else:
        inputs = [tg.get("Input") for tg in rule["Properties"].get("Targets", [])]
        try:
            parsed = [json.loads(i) for i in inputs]
        except (TypeError, ValueError):
            parsed = []
        if parsed != [{"drsnap": "verify"}]:
            failures.append(f'vault.yaml: VerifyScheduleRule must send {{"drsnap": "verify"}}, '
                            f"not {inputs}")
        if not any(r["Type"] == "AWS::Lambda::Permission" and
                   r["Properties"].get("SourceArn") == {"GetAtt": "VerifyScheduleRule.Arn"}
                   for r in v.values()):
            failures.append("vault.yaml: no Lambda permission for VerifyScheduleRule")
    for name, st in statements(load(vault)):
        drill_deletes = [a for a in as_list(st["Action"])
                         if a in ("rds:DeleteDBInstance", "rds:DeleteDBCluster")]
        if st["Effect"] == "Allow" and drill_deletes:
            for r in as_list(st["Resource"]):
                text = str(r)
                if (":db:" in text or ":cluster:" in text or text == "*") and \
                        "drsnap-verify-" not in text:
                    failures.append(f"vault.yaml: {name} allows {drill_deletes} on {text}: "
                                    "only drsnap-verify-* databases")
    # The source side's view of the vault is read-only, and it can assume
    # nothing but that view.
    read = v.get("ReadRole")
    if not read:
        failures.append("vault.yaml: no read-only role for the source side (ReadRole)")
    else:
        for pol in read["Properties"].get("Policies", []):
            for st in pol["PolicyDocument"]["Statement"]:
                for a in as_list(st["Action"]):
                    if st["Effect"] == "Allow" and not a.startswith("rds:Describe"):
                        failures.append(f"vault.yaml: ReadRole allows {a}: it must be read-only")
        principals = [st.get("Principal", {}).get("AWS") for st in
                      read["Properties"]["AssumeRolePolicyDocument"]["Statement"]]
        if principals != [{"Ref": "SourceAccountIds"}]:
            failures.append("vault.yaml: ReadRole must trust only the source accounts")
    for name, st in statements(load(src)):
        if "sts:AssumeRole" in as_list(st["Action"]) and st["Effect"] == "Allow":
            for r in as_list(st["Resource"]):
                if "role/drsnap-read-" not in str(r):
                    failures.append(f"source.yaml: {name} may assume {r}: only drsnap-read-*")
    for f in failures:
        print(f)
    if not failures:
        print("deploy templates: all safety properties hold")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
