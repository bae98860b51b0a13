"""IAM writers: AWS credential report, GitHub audit log, identity inventory, secrets (the Okta System Log: okta.py)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from roi_ledger_demo import _util as u
from roi_ledger_demo import ai_inventory
from roi_ledger_demo.carried import Carried
from roi_ledger_demo.org import AWS_ACCOUNT, ORG, TEAM_SLUGS, team_repos
from roi_ledger_demo.people import REGIONS
from roi_ledger_demo.world import World

CRED_HEADER = (
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
)

# ------------------------------------------------------------------------------------ credential report


def write_credential_report(world: World, out_dir: Path, carried: Carried) -> dict:
    rng = u.rng_for(world.seed, "iam/aws_credential_report")
    gen = world.end - u.DAY + 4 * 3600  # generated at 04:00 UTC on as_of
    users = sorted((i for i in world.identities if i.aws_iam_user and i.created < gen), key=lambda i: i.aws_iam_user)
    rows: list[list[str]] = []
    root_created = world.start - 2400 * u.DAY
    rows.append(
        [
            "<root_account>",
            f"arn:aws:iam::{AWS_ACCOUNT}:root",
            u.iso_offset(root_created),
            "not_supported",
            u.iso_offset(gen - 41 * u.DAY),
            "not_supported",
            "not_supported",
            "true",
            "false",
            "N/A",
            "N/A",
            "N/A",
            "N/A",
            "false",
            "N/A",
            "N/A",
            "N/A",
            "N/A",
            "false",
            "N/A",
            "false",
            "N/A",
        ]
    )
    services = ("s3", "bedrock", "sts", "secretsmanager", "dynamodb", "ec2", "iam", "logs")
    for n, ident in enumerate(users):
        upper = n % 29 == 7  # a few rows come with TRUE/FALSE

        def b(v: bool, _upper: bool = upper) -> str:
            s = "true" if v else "false"
            return s.upper() if _upper else s

        path = "/humans/" if ident.kind == "human" else "/automation/"
        arn = f"arn:aws:iam::{AWS_ACCOUNT}:user{path}{ident.aws_iam_user}"
        row = [ident.aws_iam_user, arn, u.iso_offset(ident.created)]
        if ident.password:
            used = (
                "no_information"
                if rng.random() < 0.05
                else u.iso_offset(gen - int(rng.integers(1, 60)) * u.DAY - int(rng.integers(0, 86_000)))
            )
            if ident.retired is not None:
                used = u.iso_offset(min(ident.retired, gen) - int(rng.integers(1, 20)) * u.DAY)
            changed = u.iso_offset(max(ident.created, gen - int(rng.integers(5, 400)) * u.DAY))
            row += [b(True), used, changed, "N/A"]
        else:
            row += [b(False), "N/A", "N/A", "N/A"]
        row.append(b(ident.mfa and ident.password))
        for slot in range(2):
            if slot < len(ident.aws_keys):
                k = ident.aws_keys[slot]
                if rng.random() < 0.08:
                    row += [b(k.active), u.iso_offset(k.created), "N/A", "N/A", "N/A"]
                else:
                    last = min(
                        gen - int(rng.integers(0, 5)) * u.DAY - int(rng.integers(0, 80_000)),
                        ident.retired or gen,
                    )
                    last = max(last, k.created + 3600)
                    row += [
                        b(k.active),
                        u.iso_offset(k.created),
                        u.iso_offset(last),
                        REGIONS[int(rng.integers(0, len(REGIONS)))],
                        (
                            "bedrock"
                            if ident.ai_system_id and rng.random() < 0.6
                            else services[int(rng.integers(0, len(services)))]
                        ),
                    ]
            else:
                row += [b(False), "N/A", "N/A", "N/A", "N/A"]
        row += [b(False), "N/A", b(False), "N/A"]
        rows.append(row)
    name = f"credential_report_{world.as_of:%Y-%m-%d}.csv"
    u.write_bytes(out_dir / name, u.csv_bytes(CRED_HEADER, rows))
    return {"files": 1, "records": len(rows)}


# ------------------------------------------------------------------------------------------ GitHub audit

_HUMAN_ACTIONS = (
    ("git.push", "modify", 0.30),
    ("pull_request.create", "create", 0.22),
    ("pull_request.merge", "modify", 0.16),
    ("repo.access", "access", 0.12),
    ("git.clone", "access", 0.12),
    ("protected_branch.policy_override", "modify", 0.02),
    ("personal_access_token.access_granted", "create", 0.03),
    ("repo.download_zip", "access", 0.03),
)
_BOT_ACTIONS = (("git.clone", "access", 0.5), ("git.fetch", "access", 0.3), ("git.push", "modify", 0.2))
_APP_ACTIONS = (
    ("pull_request_review.submit", "create", 0.6),
    ("pull_request_review_comment.create", "create", 0.4),
)


def _pick(rng: random.Random, table: tuple) -> tuple[str, str]:
    r = rng.random()
    acc = 0.0
    for action, op, p in table:
        acc += p
        if r < acc:
            return action, op
    return table[-1][0], table[-1][1]


def write_github(world: World, out_dir: Path, carried: Carried) -> dict:
    ev = world.rate_mult
    actors = [i for i in world.identities if i.github_login]
    repo_ids: dict[str, int] = {}
    for t_i, team in enumerate(TEAM_SLUGS):
        for s_i, repo in enumerate(team_repos(team)):
            repo_ids[repo] = 600_000_000 + t_i * 100 + s_i
    token_ids: dict[str, int] = {}
    files = records = 0
    array_month = 2 if len(world.month_starts) > 3 else -1
    for mi, m0 in enumerate(world.month_starts):
        rng = u.rng_for(world.seed, f"iam/github_audit_log/{m0.isoformat()}")
        r = u.pyrng(world.seed, f"iam/github_audit_log/{m0.isoformat()}/events")
        a = max(u.epoch(m0), world.start)
        b = min(u.epoch(u.next_month(m0)), world.end)
        events: list[tuple[int, dict]] = []
        for ident in actors:
            lo = max(a, ident.created)
            hi = min(b, ident.retired or b)
            if hi <= lo:
                continue
            frac = (hi - lo) / (b - a)
            if ident.kind == "human":
                lam, table = 6.0, _HUMAN_ACTIONS
            elif ident.kind == "agent":
                lam, table = 80.0, _APP_ACTIONS
            else:
                lam, table = 40.0, _BOT_ACTIONS
            n = int(rng.poisson(lam * ev * frac))
            if n == 0:
                continue
            ts = lo * 1000 + np.sort(rng.integers(0, (hi - lo) * 1000, size=n))
            repos = team_repos(ident.owner_team)
            for t in ts:
                action, op = _pick(r, table)
                repo = repos[r.randrange(len(repos))]
                if r.random() < 0.1:  # cross-team contribution
                    repo = team_repos(TEAM_SLUGS[r.randrange(len(TEAM_SLUGS))])[0]
                e: dict = {
                    "@timestamp": int(t),
                    "_document_id": u.py_alnum(r, 22),
                    "action": action,
                    "actor": ident.github_login,
                    "actor_id": ident.github_id,
                }
                if ident.kind != "human":
                    e["actor_is_bot"] = True
                if r.random() < 0.7:
                    e["actor_location"] = {"country_code": ("US", "GB", "DE", "CA")[r.randrange(4)]}
                e.update(
                    {
                        "business": "example-enterprise",
                        "business_id": 4242,
                        "org": ORG,
                        "org_id": 98_765_432,
                        "repo": repo,
                        "repo_id": repo_ids[repo],
                        "created_at": int(t),
                        "operation_type": op,
                    }
                )
                if ident.kind == "agent":
                    e["programmatic_access_type"] = "GitHub App server-to-server token"
                    e["integration"] = "ai-code-review"
                elif ident.github_tokens and (ident.kind == "service" or r.random() < 0.35):
                    tok = ident.github_tokens[0]
                    e["hashed_token"] = tok
                    e["programmatic_access_type"] = (
                        "Fine-grained personal access token"
                        if ident.kind == "service"
                        else "Personal access token (classic)"
                    )
                    e["token_id"] = token_ids.setdefault(tok, 100_000 + len(token_ids))
                    e["token_scopes"] = "repo,read:org" if ident.kind == "human" else "contents:write"
                    e["user_programmatic_access_name"] = f"{ident.github_login}-automation"
                if action.startswith("personal_access_token"):
                    e["user"] = ident.github_login
                if r.random() < 0.5:
                    e["request_id"] = f"{u.py_hex(r, 4).upper()}:{u.py_hex(r, 6).upper()}"
                e["user_agent"] = (
                    "git/2.45.1"
                    if action.startswith("git.")
                    else "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15"
                )
                if action.startswith("git."):
                    e["transport_protocol_name"] = "http"
                events.append((int(t), e))
        events.sort(key=lambda x: (x[0], x[1]["_document_id"]))
        recs = [e for _, e in events]
        if mi == array_month:
            path = out_dir / f"github_audit_log_{m0:%Y-%m}.json"
            u.write_bytes(path, (u.dumps(recs) + "\n").encode("utf-8"))
        else:
            u.write_bytes(out_dir / f"github_audit_log_{m0:%Y-%m}.jsonl", u.jsonl_bytes(recs))
        files += 1
        records += len(recs)
    return {"files": files, "records": records}


# -------------------------------------------------------------------------------------------- inventory

INVENTORY_HEADER = (
    "record_type",
    "record_id",
    "name",
    "identity_kind",
    "email",
    "owner_team",
    "ai_system_id",
    "ai_system_category",
    "vendor",
    "adoption_date",
    "security_owner",
    "finance_owner",
    "engineering_owner",
    "aws_iam_user",
    "okta_login",
    "github_login",
    "api_key_refs",
    "status",
    "on_leave_until",
)


def write_inventory(world: World, out_dir: Path, carried: Carried) -> dict:
    rows: list[list[str]] = []
    system_refs = ai_inventory.system_refs(world)
    identity_refs = ai_inventory.identity_refs(world)
    on_leave = ai_inventory.on_leave(world)
    for s in world.systems:
        rows.append(
            [
                "ai_system",
                s.id,
                s.name,
                "",
                "",
                s.owner_team,
                "",
                s.category,
                s.vendor,
                s.adoption_date.isoformat() if s.adoption_date else "",
                "secops@example.com",
                "finops@example.com",
                f"{s.owner_team}-eng@example.com",
                "",
                "",
                "",
                ";".join([*s.usage_refs, *system_refs.get(s.id, [])]),
                "active",
                "",
            ]
        )
    for pid, name, category, vendor, team, _ in ai_inventory.PRODUCTS:
        rows.append(
            [
                "ai_system",
                pid,
                name,
                "",
                "",
                team,
                "",
                category,
                vendor,
                "",
                "secops@example.com",
                "finops@example.com",
                f"{team}-eng@example.com",
                "",
                "",
                "",
                ";".join(system_refs[pid]),
                "active",
                "",
            ]
        )
    for i in world.identities:
        rows.append(
            [
                "identity",
                i.id,
                i.name,
                i.kind,
                i.email,
                i.owner_team,
                i.ai_system_id,
                "",
                "",
                "",
                "",
                "",
                "",
                i.aws_iam_user,
                i.okta_login,
                i.github_login,
                ";".join([*i.api_key_refs(), *identity_refs.get(i.id, [])]),
                i.status,
                on_leave.get(i.id, ""),
            ]
        )
    u.write_bytes(out_dir / "identity_inventory.csv", u.csv_bytes(INVENTORY_HEADER, rows))
    return {"files": 1, "records": len(rows)}


# ---------------------------------------------------------------------------------------------- secrets


def write_secrets(world: World, out_dir: Path, carried: Carried) -> dict:
    rng = u.rng_for(world.seed, "iam/secrets_inventory")
    gen = world.end - u.DAY + 3 * 3600
    secrets: list[dict] = []
    owners = [(i, arn) for i in world.identities for arn in i.secret_arns]
    n_orphans = max(3, len(owners) // 20)
    orphans = [
        (
            None,
            f"arn:aws:secretsmanager:us-east-1:{AWS_ACCOUNT}:secret:legacy/shared/"
            f"token-{k + 1:03d}-{u.rand_alnum(rng, 1, 6)[0]}",
        )
        for k in range(n_orphans)
    ]
    for ident, arn in owners + orphans:
        name = arn.split(":secret:")[1][:-7]
        created = ident.created if ident else world.start - int(rng.integers(500, 1500)) * u.DAY
        created += int(rng.integers(0, 30)) * u.DAY
        created = min(created, gen - 5 * u.DAY)
        rotating = ident is not None and rng.random() < 0.55
        s: dict = {
            "ARN": arn,
            "Name": name,
            "Description": f"API token for {ident.name if ident else 'legacy'}",
        }
        if rng.random() < 0.7:
            s["KmsKeyId"] = f"arn:aws:kms:us-east-1:{AWS_ACCOUNT}:key/{u.uuid_strings(rng, 1)[0]}"
        s["RotationEnabled"] = rotating
        if rotating:
            s["RotationLambdaARN"] = f"arn:aws:lambda:us-east-1:{AWS_ACCOUNT}:function:rotate-api-tokens"
            s["RotationRules"] = {"AutomaticallyAfterDays": 30}
            last_rot = max(created, gen - int(rng.integers(1, 30)) * u.DAY)
            s["LastRotatedDate"] = last_rot
            s["NextRotationDate"] = last_rot + 30 * u.DAY
        elif rng.random() < 0.5:
            s["LastRotatedDate"] = created
        s["LastChangedDate"] = s.get("LastRotatedDate", created)
        if ident is None or rng.random() < 0.9:
            s["LastAccessedDate"] = (gen // u.DAY - int(rng.integers(0, 40))) * u.DAY
        tags = [{"Key": "team", "Value": ident.owner_team if ident else "unknown"}]
        if ident is not None:
            tags.append({"Key": "owner", "Value": ident.id})
            if ident.ai_system_id:
                tags.append({"Key": "ai_system", "Value": ident.ai_system_id})
        s["Tags"] = tags
        s["SecretVersionsToStages"] = {u.uuid_strings(rng, 1)[0]: ["AWSCURRENT"]}
        s["CreatedDate"] = created
        secrets.append(s)
    half = (len(secrets) + 1) // 2
    pages = [secrets[:half], secrets[half:]]
    for p_i, page in enumerate(pages):
        out = []
        for s in page:
            s = dict(s)
            for k in (
                "LastRotatedDate",
                "LastChangedDate",
                "LastAccessedDate",
                "NextRotationDate",
                "CreatedDate",
            ):
                if k in s:
                    if p_i == 0:
                        s[k] = u.iso_offset(s[k]).replace("+00:00", ".000000+00:00")
                    else:  # the AWS CLI prints epoch seconds with a fraction
                        s[k] = float(f"{s[k]}.{(s[k] * 7919) % 1000:03d}")
            out.append(s)
        doc: dict = {"SecretList": out}
        if p_i == 0:
            doc["NextToken"] = u.rand_alnum(rng, 1, 32)[0]
        u.write_bytes(out_dir / f"list_secrets_page_{p_i + 1}.json", (u.dumps(doc) + "\n").encode("utf-8"))
    return {"files": 2, "records": len(secrets)}
