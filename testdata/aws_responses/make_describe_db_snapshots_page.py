#!/usr/bin/env python3
"""Writes describe_db_snapshots_page1.xml: a 100-record DescribeDBSnapshots page
in the exact shape RDS returns (element order as in real responses), with a
Marker. Deterministic; rerun only to change the fixture, then update
aws/tests/rds_decode_test.cc. Records:
  i % 5 == 0        automated  rds:prod-db-N-2026-11-DD-04-10, available
  i % 5 in (1, 2)   manual drsnap snapshots with drsnap tags, available
  i % 5 == 3        cross-region copies (SourceRegion, ARN source), copying, PercentProgress
  i % 5 == 4        shared from another account (no tags), available, unencrypted
Record 7 (0-based) carries tag values with XML special characters and UTF-8."""
import os
from xml.sax.saxutils import escape

ACCOUNT = "111122223333"
OTHER = "444455556666"
REGION = "us-west-2"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"

def ts(day, hour, minute, ms):
    return f"2026-11-{day:02d}T{hour:02d}:{minute:02d}:{(ms // 1000) % 60:02d}.{ms % 1000:03d}Z"

def record(i):
    db = f"prod-db-{i % 7}"
    day = 1 + (i % 28)
    kind = i % 5
    tags = []
    src_region = src_id = orig = None
    encrypted, status, pct, stype = True, "available", 100, "manual"
    if kind == 0:
        sid = f"rds:{db}-2026-11-{day:02d}-04-10"
        stype = "automated"
        tags = [("team", "payments"), ("env", "prod")]
    elif kind in (1, 2):
        sid = f"drsnap-{db}-2026{11:02d}{day:02d}t0410-{i:03d}"
        tags = [("drsnap:managed", "true"), ("drsnap:source-db", db),
                ("drsnap:point-in-time", f"2026-11-{day:02d}T04:10:00Z")]
    elif kind == 3:
        sid = f"drsnap-{db}-2026{11:02d}{day:02d}t0410-usw2-{i:03d}"
        status, pct = "copying", (i * 7) % 100
        src_region = "us-east-1"
        src_id = f"arn:aws:rds:us-east-1:{ACCOUNT}:snapshot:drsnap-{db}-2026{11:02d}{day:02d}t0410"
        orig = ts(day, 4, 10, 5000 + i)
        tags = [("drsnap:managed", "true")]
    else:
        sid = f"arn:aws:rds:{REGION}:{OTHER}:snapshot:drsnap-{db}-{i:03d}"
        stype, encrypted = "shared", False
    if i == 7:
        tags.append(("note", 'a&b <c> "d" \u00e9t\u00e9 \u2713'))
    snap_arn = sid if sid.startswith("arn:") else f"arn:aws:rds:{REGION}:{ACCOUNT}:snapshot:{sid}"
    created = ts(day, 4, 10 + (i % 40), 1000 * i + i)
    x = []
    x.append("      <DBSnapshot>")
    x.append(f"        <AllocatedStorage>{20 + i}</AllocatedStorage>")
    x.append("        <ProcessorFeatures/>")
    x.append(f"        <AvailabilityZone>{REGION}{'abc'[i % 3]}</AvailabilityZone>")
    x.append(f"        <DBInstanceIdentifier>{db}</DBInstanceIdentifier>")
    x.append("        <DedicatedLogVolume>false</DedicatedLogVolume>")
    x.append(f"        <DBSnapshotIdentifier>{escape(sid)}</DBSnapshotIdentifier>")
    x.append(f"        <DbiResourceId>db-{(i * 2654435761) % (36 ** 10):010X}PQRSTUV</DbiResourceId>")
    x.append(f"        <DBSnapshotArn>{escape(snap_arn)}</DBSnapshotArn>")
    x.append(f"        <Encrypted>{'true' if encrypted else 'false'}</Encrypted>")
    x.append("        <Engine>postgres</Engine>")
    x.append("        <EngineVersion>16.4</EngineVersion>")
    x.append("        <IAMDatabaseAuthenticationEnabled>false</IAMDatabaseAuthenticationEnabled>")
    x.append(f"        <InstanceCreateTime>2025-03-{1 + i % 28:02d}T10:00:00.000Z</InstanceCreateTime>")
    if encrypted:
        x.append(f"        <KmsKeyId>{KEY}</KmsKeyId>")
    x.append("        <LicenseModel>postgresql-license</LicenseModel>")
    x.append("        <MasterUsername>dbadmin</MasterUsername>")
    x.append("        <MultiTenant>false</MultiTenant>")
    x.append(f"        <OptionGroupName>default:postgres-16</OptionGroupName>")
    if orig:
        x.append(f"        <OriginalSnapshotCreateTime>{orig}</OriginalSnapshotCreateTime>")
    x.append(f"        <PercentProgress>{pct}</PercentProgress>")
    x.append("        <Port>5432</Port>")
    if src_id:
        x.append(f"        <SourceDBSnapshotIdentifier>{src_id}</SourceDBSnapshotIdentifier>")
        x.append(f"        <SourceRegion>{src_region}</SourceRegion>")
    x.append(f"        <SnapshotCreateTime>{created}</SnapshotCreateTime>")
    x.append("        <SnapshotTarget>region</SnapshotTarget>")
    x.append(f"        <SnapshotType>{stype}</SnapshotType>")
    x.append(f"        <Status>{status}</Status>")
    x.append("        <StorageThroughput>125</StorageThroughput>")
    x.append("        <StorageType>gp3</StorageType>")
    x.append("        <Iops>3000</Iops>")
    if tags:
        x.append("        <TagList>")
        for k, v in tags:
            value = escape(v, {'"': "&quot;"})
            x.append(f"          <Tag>\n            <Key>{escape(k)}</Key>\n"
                     f"            <Value>{value}</Value>\n          </Tag>")
        x.append("        </TagList>")
    else:
        x.append("        <TagList/>")
    x.append("        <VpcId>vpc-0a1b2c3d4e5f60718</VpcId>")
    x.append("      </DBSnapshot>")
    return "\n".join(x)

body = ['<DescribeDBSnapshotsResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">',
        "  <DescribeDBSnapshotsResult>",
        "    <Marker>AAEAAQAAADQAAAABAAAAFXByb2QtZGItNi0yMDI2LTExLTI4AAAAAQ==</Marker>",
        "    <DBSnapshots>"]
body += [record(i) for i in range(100)]
body += ["    </DBSnapshots>", "  </DescribeDBSnapshotsResult>", "  <ResponseMetadata>",
         "    <RequestId>5f8e3d1c-7a2b-4c9d-8e1f-0a2b3c4d5e6f</RequestId>",
         "  </ResponseMetadata>", "</DescribeDBSnapshotsResponse>", ""]
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "describe_db_snapshots_page1.xml")
with open(out, "w", encoding="utf-8") as f:
    f.write("\n".join(body))
