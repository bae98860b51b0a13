"""Usage writers: LiteLLM spend logs (vectorised, streamed per month) and OpenAI usage pages (completions here,
the other endpoints in ``openai_endpoints``).

Both return, besides their summary, the exact token totals per (month, AI system, model) that the billing
writer turns into FOCUS usage-based charges, so billed cost and observed usage cost agree to the nano-dollar.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from roi_ledger_demo import _util as u
from roi_ledger_demo import openai_endpoints
from roi_ledger_demo.carried import Carried, TokenTotals
from roi_ledger_demo.people import Identity
from roi_ledger_demo.systems import API_BASES, MODELS, AISystem
from roi_ledger_demo.world import World

CHUNK_ROWS = 400_000


@dataclass
class Streams:
    key: np.ndarray
    sys: np.ndarray
    start: np.ndarray
    end: np.ndarray
    rate: np.ndarray


def _window(world: World, ident: Identity | None) -> tuple[int, int]:
    if ident is None:
        return world.start, world.end
    end = world.end
    if ident.retired is not None:
        end = ident.retired
    elif ident.status == "retired":
        end = world.end - 90 * u.DAY
    return ident.created, end


def _caller_streams(
    world: World, channel: str, rng: np.random.Generator, key_of: dict[str, int]
) -> list[tuple[int, int, int, int, float, str]]:
    """(key index, system index, start, end, rate/day, system id) for every caller of every system."""
    systems = [s for s in world.systems + world.shadow if s.channel == channel]
    out: list[tuple[int, int, int, int, float, str]] = []
    key_attr = "litellm_key" if channel == "litellm" else "openai_key_id"
    for si, s in enumerate(systems):
        for ident in world.identities:
            key = getattr(ident, key_attr)
            if not key:
                continue
            if ident.kind == "human":
                if s.users != "humans" or ident.owner_team not in s.team_adoption:
                    continue
                p = 0.78 if s.sanctioned else 0.15
                if rng.random() >= p:
                    continue
                lag = int(rng.integers(0, 35)) * u.DAY
                start = u.epoch(s.team_adoption[ident.owner_team]) + lag
                rate = s.rate * float(rng.lognormal(0.0, 0.6))
            else:
                if s.sanctioned and ident.ai_system_id != s.id:
                    continue
                # the unsanctioned OpenAI project runs on one data-team service account's key
                if not s.sanctioned and not (
                    channel == "openai" and ident.kind == "service" and not ident.ai_system_id and ident.openai_key_id
                ):
                    continue
                if ident.kind == "api_key" and rng.random() >= 0.6:
                    continue  # dormant key: issued, never used
                team_date = s.team_adoption.get(ident.owner_team, s.adoption_date)
                start = u.epoch(team_date) + int(rng.integers(0, 10)) * u.DAY
                scale = 0.5 if ident.kind == "api_key" else 1.0
                rate = s.rate * scale * float(rng.lognormal(0.0, 0.5))
            lo, hi = _window(world, ident)
            start = max(start, lo)
            if start >= hi:
                continue
            out.append((key_of[key], si, start, hi, rate, s.id))
    for uk in world.unknown_keys:
        if uk.channel != channel:
            continue
        si = next((i for i, s in enumerate(systems) if s.id == uk.system_id), -1)
        base = systems[si].rate if si >= 0 else 5.0
        first = min(u.epoch(s.adoption_date) for s in systems if s.sanctioned and s.adoption_date is not None)
        out.append((key_of[uk.key], si, first + 30 * u.DAY, world.end, base * uk.rate, uk.system_id))
    return out


# ------------------------------------------------------------------------------------------------ LiteLLM


def _litellm_tables(world: World) -> tuple[list[AISystem], list[dict], dict[str, int]]:
    systems = [s for s in world.systems + world.shadow if s.channel == "litellm"]
    keys: list[dict] = []
    key_of: dict[str, int] = {}
    for ident in world.identities:
        if not ident.litellm_key:
            continue
        key_of[ident.litellm_key] = len(keys)
        user = ident.okta_login if ident.kind == "human" else ""
        meta = {
            "user_api_key_hash": ident.litellm_key,
            "user_api_key_alias": ident.litellm_alias,
            "user_api_key_team_id": ident.owner_team,
            "user_api_key_user_id": user or None,
            "user_api_key_org_id": None,
            "requester_ip_address": ident.ip,
        }
        keys.append(
            {
                "hash": ident.litellm_key,
                "user": user,
                "team": ident.owner_team,
                "meta": u.dumps(meta),
                "ip": ident.ip,
            }
        )
    for i, uk in enumerate(world.unknown_keys):
        if uk.channel != "litellm":
            continue
        key_of[uk.key] = len(keys)
        ip = f"172.16.{9 + i}.{40 + i}"
        meta = {
            "user_api_key_hash": uk.key,
            "user_api_key_alias": f"legacy-shared-{i + 1}",
            "user_api_key_team_id": None,
            "user_api_key_user_id": None,
            "user_api_key_org_id": None,
            "requester_ip_address": ip,
        }
        keys.append({"hash": uk.key, "user": "", "team": "", "meta": u.dumps(meta), "ip": ip})
    return systems, keys, key_of


def _str_array(values: list[str], nullable: bool = True) -> pa.Array:
    return pa.array([None if (nullable and v == "") else v for v in values], type=pa.string())


def _json_str(values: list[str]) -> pa.Array:
    """JSON value text for each string: quoted, or ``null`` for empty."""
    return pa.array([u.dumps(v) if v else "null" for v in values], type=pa.string())


def _request_ids(rng: np.random.Generator, n: int) -> pa.Array:
    hx = u.hex_bytes_array(rng, n, 16)
    prefix = np.frombuffer(b"chatcmpl-", dtype=np.uint8)
    out = np.empty((n, 45), dtype=np.uint8)
    out[:, :9] = prefix
    out[:, 9:17] = hx[:, 0:8]
    out[:, 17] = ord("-")
    out[:, 18:22] = hx[:, 8:12]
    out[:, 22] = ord("-")
    out[:, 23] = ord("4")
    out[:, 24:27] = hx[:, 13:16]
    out[:, 27] = ord("-")
    out[:, 28:32] = hx[:, 16:20]
    out[:, 28] = np.frombuffer(b"89ab", dtype=np.uint8)[hx[:, 16] % 4]
    out[:, 32] = ord("-")
    out[:, 33:45] = hx[:, 20:32]
    return pa.array(out.view("S45").ravel(), type=pa.binary()).cast(pa.string())


def _decimal9(nano: np.ndarray) -> pa.Array:
    whole = pc.cast(pa.array(nano // 1_000_000_000), pa.string())
    frac = pc.utf8_lpad(pc.cast(pa.array(nano % 1_000_000_000), pa.string()), width=9, padding="0")
    return pc.binary_join_element_wise(whole, frac, ".")


def write_litellm(world: World, out_dir: Path, carried: Carried) -> dict:
    systems, keys, key_of = _litellm_tables(world)
    rng = u.rng_for(world.seed, "usage/litellm_spend_logs/streams")
    raw = _caller_streams(world, "litellm", rng, key_of)
    st = Streams(
        key=np.array([r[0] for r in raw], dtype=np.int64),
        sys=np.array([r[1] for r in raw]),
        start=np.array([r[2] for r in raw], dtype=np.int64),
        end=np.array([r[3] for r in raw], dtype=np.int64),
        rate=np.array([r[4] for r in raw]),
    )
    # calibrate the volume: expected rows over the history = target (prorated by months / 12)
    active_days = np.clip(st.end - st.start, 0, None) / u.DAY
    expected = float((st.rate * active_days).sum())
    target = world.scale.litellm_rows * world.months / 12
    k_scale = target / expected if expected > 0 else 0.0

    # lookup tables (index = key or system)
    key_hash = pa.array([k["hash"] for k in keys], type=pa.string())
    key_user = _str_array([k["user"] for k in keys])
    key_team = _str_array([k["team"] for k in keys])
    key_meta = pa.array([k["meta"] for k in keys], type=pa.string())
    key_ip = pa.array([k["ip"] for k in keys], type=pa.string())
    key_user_json = _json_str([k["user"] for k in keys])
    key_team_json = _json_str([k["team"] for k in keys])
    ns = len(systems)
    tags = [u.dumps([s.tag, "env:prod"]) if i % 3 == 0 else u.dumps([s.tag]) for i, s in enumerate(systems)]
    sys_tags = pa.array([*tags, "[]"], type=pa.string())  # index ns = untagged
    sys_ids = [*(s.id for s in systems), ""]
    model_names = sorted({m for s in systems for m, _ in s.models})
    kmax = max(len(s.models) for s in systems)
    cdf = np.ones((ns + 1, kmax))
    mod_of = np.zeros((ns + 1, kmax), dtype=np.int64)
    for i, s in enumerate([*systems, world.system("ais-copilot")]):
        acc = 0.0
        for j, (m, p) in enumerate(s.models):
            acc += p
            cdf[i, j] = acc
            mod_of[i, j] = model_names.index(m)
        cdf[i, len(s.models) - 1 :] = 1.0
        mod_of[i, len(s.models) :] = mod_of[i, len(s.models) - 1]
    mods = [MODELS[m] for m in model_names]
    m_deploy = pa.array([m.deployment for m in mods], type=pa.string())
    m_group = pa.array([m.group for m in mods], type=pa.string())
    m_provider = pa.array([m.provider for m in mods], type=pa.string())
    m_base = pa.array([API_BASES[m.provider] for m in mods], type=pa.string())
    m_call = pa.array([m.call_type for m in mods], type=pa.string())
    p_in = np.array([m.price_in for m in mods], dtype=np.int64)
    p_out = np.array([m.price_out for m in mods], dtype=np.int64)
    mu_in = np.array([m.mu_in for m in mods])
    mu_out = np.array([m.mu_out for m in mods])
    is_embed = np.array([m.call_type == "aembedding" for m in mods])
    sys_mu_adj = np.array([{"agents": 1.2, "humans": 0.5}.get(s.users, 0.0) for s in systems] + [0.5])

    folder = u.ensure_dir(out_dir)
    totals: TokenTotals = defaultdict(lambda: [0, 0])
    files = 0
    records = 0
    jsonl_month = 1 if len(world.month_starts) > 2 else -1
    sys_col = np.where(st.sys < 0, ns, st.sys)
    for mi, m0 in enumerate(world.month_starts):
        a = max(u.epoch(m0), world.start)
        b = min(u.epoch(u.next_month(m0)), world.end)
        mrng = u.rng_for(world.seed, f"usage/litellm_spend_logs/{m0.isoformat()}")
        lo = np.maximum(st.start, a)
        hi = np.minimum(st.end, b)
        ov = np.clip(hi - lo, 0, None)
        lam = st.rate * ov / u.DAY * k_scale
        n = mrng.poisson(lam)
        idx = np.repeat(np.arange(len(n)), n)
        t_ms = lo[idx] * 1000 + np.floor(mrng.random(len(idx)) * ov[idx] * 1000).astype(np.int64)
        order = np.argsort(t_ms, kind="stable")
        idx = idx[order]
        t_ms = t_ms[order]
        total = len(idx)
        if total == 0:
            continue
        as_jsonl = mi == jsonl_month
        path = folder / (f"litellm_spend_logs_{m0:%Y-%m}.jsonl" if as_jsonl else f"litellm_spend_logs_{m0:%Y-%m}.csv")
        writer = None
        with open(path, "wb") as fh:
            for c0 in range(0, total, CHUNK_ROWS):
                ci = idx[c0 : c0 + CHUNK_ROWS]
                ct = t_ms[c0 : c0 + CHUNK_ROWS]
                nrow = len(ci)
                kidx = st.key[ci]
                sidx = sys_col[ci]
                r = mrng.random(nrow)
                j = (r[:, None] > cdf[sidx]).sum(axis=1)
                j = np.minimum(j, kmax - 1)
                midx = mod_of[sidx, j]
                pin = np.maximum(1, np.rint(np.exp(mrng.normal(mu_in[midx] + sys_mu_adj[sidx], 0.7)))).astype(np.int64)
                pout = np.rint(np.exp(mrng.normal(mu_out[midx], 0.6))).astype(np.int64)
                pout[is_embed[midx]] = 0
                st_roll = mrng.random(nrow)
                failed = st_roll < 0.012
                cached = (st_roll >= 0.012) & (st_roll < 0.03)
                pin[failed] = 0
                pout[failed] = 0
                billable = ~(failed | cached)
                spend = np.where(billable, pin * p_in[midx] + pout * p_out[midx], 0)
                dur = (np.exp(mrng.normal(6.6, 0.5)) + pout * 12).astype(np.int64) + 50
                dur[failed] = mrng.integers(20, 400, size=int(failed.sum()))
                end_ms = ct + dur
                # token totals for billing
                sidx_real = np.where(sidx == ns, -1, sidx)
                combo = (sidx_real + 1) * len(mods) + midx
                width = (ns + 1) * len(mods)
                tin = np.bincount(combo, weights=np.where(billable, pin, 0), minlength=width)
                tout = np.bincount(combo, weights=np.where(billable, pout, 0), minlength=width)
                for c in np.nonzero(tin + tout)[0]:
                    s_i, m_i = divmod(int(c), len(mods))
                    sid = sys_ids[s_i - 1] if s_i > 0 else ""
                    if sid and not world.system(sid).sanctioned:
                        sid = ""
                    t = totals[(m0, sid, model_names[m_i])]
                    t[0] += int(np.rint(tin[c]))
                    t[1] += int(np.rint(tout[c]))
                kx = pa.array(kidx)
                sx = pa.array(sidx)
                mx = pa.array(midx)
                cols = {
                    "request_id": _request_ids(mrng, nrow),
                    "call_type": m_call.take(mx),
                    "api_key": key_hash.take(kx),
                    "spend": _decimal9(spend),
                    "total_tokens": pa.array(pin + pout),
                    "prompt_tokens": pa.array(pin),
                    "completion_tokens": pa.array(pout),
                    "startTime": pa.array(ct, type=pa.timestamp("ms")),
                    "endTime": pa.array(end_ms, type=pa.timestamp("ms")),
                    "request_duration_ms": pa.array(dur),
                    "model": m_deploy.take(mx),
                    "model_group": m_group.take(mx),
                    "custom_llm_provider": m_provider.take(mx),
                    "api_base": m_base.take(mx),
                    "user": key_user.take(kx),
                    "metadata": key_meta.take(kx),
                    "cache_hit": pa.array(np.where(cached, "True", "False"), type=pa.string()),
                    "request_tags": sys_tags.take(sx),
                    "team_id": key_team.take(kx),
                    "end_user": pa.nulls(nrow, pa.string()),
                    "requester_ip_address": key_ip.take(kx),
                    "status": pa.array(np.where(failed, "failure", "success"), type=pa.string()),
                }
                if as_jsonl:
                    q = '"'
                    ts_fmt = "%Y-%m-%dT%H:%M:%SZ"
                    parts = [
                        '{"request_id":"',
                        cols["request_id"],
                        '","call_type":"',
                        cols["call_type"],
                        '","api_key":"',
                        cols["api_key"],
                        '","spend":',
                        cols["spend"],
                        ',"total_tokens":',
                        pc.cast(cols["total_tokens"], pa.string()),
                        ',"prompt_tokens":',
                        pc.cast(cols["prompt_tokens"], pa.string()),
                        ',"completion_tokens":',
                        pc.cast(cols["completion_tokens"], pa.string()),
                        ',"startTime":"',
                        pc.strftime(cols["startTime"], format=ts_fmt),
                        '","endTime":"',
                        pc.strftime(cols["endTime"], format=ts_fmt),
                        '","request_duration_ms":',
                        pc.cast(cols["request_duration_ms"], pa.string()),
                        ',"model":"',
                        cols["model"],
                        '","model_group":"',
                        cols["model_group"],
                        '","custom_llm_provider":"',
                        cols["custom_llm_provider"],
                        '","api_base":"',
                        cols["api_base"],
                        q + ',"user":',
                        key_user_json.take(kx),
                        ',"metadata":',
                        cols["metadata"],
                        ',"cache_hit":"',
                        cols["cache_hit"],
                        '","request_tags":',
                        cols["request_tags"],
                        ',"team_id":',
                        key_team_json.take(kx),
                        ',"end_user":null,"requester_ip_address":"',
                        cols["requester_ip_address"],
                        '","status":"',
                        cols["status"],
                        '"}\n',
                    ]
                    if nrow:
                        line = pc.binary_join_element_wise(*parts, "")
                        bufs = line.buffers()
                        offs = np.frombuffer(bufs[1], dtype=np.int32, count=len(line) + 1, offset=line.offset * 4)
                        fh.write(memoryview(bufs[2])[int(offs[0]) : int(offs[-1])])
                else:
                    table = pa.table(cols)
                    if writer is None:
                        writer = pacsv.CSVWriter(
                            fh, table.schema, write_options=pacsv.WriteOptions(quoting_style="needed")
                        )
                    writer.write_table(table)
            if writer is not None:
                writer.close()
        files += 1
        records += total
    carried.litellm_tokens = dict(totals)
    return {"files": files, "records": records}


# ------------------------------------------------------------------------------------------------- OpenAI


def write_openai(world: World, out_dir: Path, carried: Carried) -> dict:
    systems = [s for s in world.systems + world.shadow if s.channel == "openai"]
    rng = u.rng_for(world.seed, "usage/openai_usage/streams")
    key_of: dict[str, int] = {}
    key_ids: list[str] = []
    key_user: list[str | None] = []
    for ident in world.identities:
        if ident.openai_key_id:
            key_of[ident.openai_key_id] = len(key_ids)
            key_ids.append(ident.openai_key_id)
            key_user.append(ident.openai_user_id or None if ident.kind == "human" else None)
    for uk in world.unknown_keys:
        if uk.channel == "openai":
            key_of[uk.key] = len(key_ids)
            key_ids.append(uk.key)
            key_user.append(None)
    raw = _caller_streams(world, "openai", rng, key_of)
    s_key = np.array([r[0] for r in raw])
    s_sys = np.array([r[1] for r in raw])
    s_start = np.array([r[2] for r in raw], dtype=np.int64)
    s_end = np.array([r[3] for r in raw], dtype=np.int64)
    s_rate = np.array([r[4] for r in raw])
    human = np.array([key_user[k] is not None for k in s_key])
    # per stream: its project and its (at most two) models with the first one's share
    m_names = sorted({m for s in systems for m, _ in s.models})
    m_mu_in = np.array([MODELS[m].mu_in for m in m_names])
    m_mu_out = np.array([MODELS[m].mu_out for m in m_names])
    st_sys = [systems[i] if i >= 0 else world.system("ais-chat-assistant") for i in s_sys]
    st_project = [x.project_id for x in st_sys]
    st_m0 = np.array([m_names.index(x.models[0][0]) for x in st_sys], dtype=np.int64)
    st_m1 = np.array([m_names.index(x.models[-1][0]) for x in st_sys], dtype=np.int64)
    st_p0 = np.array([x.models[0][1] for x in st_sys])
    st_has2 = np.array([len(x.models) > 1 for x in st_sys])
    totals: TokenTotals = defaultdict(lambda: [0, 0])
    folder = u.ensure_dir(out_dir)
    files = records = 0
    split_month = len(world.month_starts) // 2 if len(world.month_starts) >= 3 else -1
    for mi, m0 in enumerate(world.month_starts):
        mrng = u.rng_for(world.seed, f"usage/openai_usage/{m0.isoformat()}")
        buckets = []
        d = m0
        stop = min(u.next_month(m0), world.as_of + dt.timedelta(days=1))
        while d < stop:
            t0 = u.epoch(d)
            t1 = t0 + u.DAY
            active = (s_start < t1) & (s_end > t0)
            weekend = d.weekday() >= 5
            p_day = np.where(human, 0.25 if weekend else 0.7, 0.95)
            on = active & (mrng.random(len(s_key)) < p_day)
            lam = np.where(on, s_rate * (0.4 if weekend else 1.0), 0.0)
            n_req = mrng.poisson(lam)
            results = []
            live = np.nonzero(n_req)[0]
            if len(live):
                n_live = n_req[live]
                c0 = np.where(st_has2[live], mrng.binomial(n_live, st_p0[live]), n_live)
                sidx = np.concatenate([live, live])
                slot = np.concatenate([np.zeros(len(live), np.int64), np.ones(len(live), np.int64)])
                cnt = np.concatenate([c0, n_live - c0])
                midx = np.concatenate([st_m0[live], st_m1[live]])
                keep = cnt > 0
                order = np.lexsort((slot[keep], sidx[keep]))
                sidx, midx, cnt = sidx[keep][order], midx[keep][order], cnt[keep][order]
                tin = np.floor(cnt * np.exp(mrng.normal(m_mu_in[midx], 0.3))).astype(np.int64)
                tout = np.floor(cnt * np.exp(mrng.normal(m_mu_out[midx], 0.3))).astype(np.int64)
                cached = np.floor(tin * mrng.uniform(0.0, 0.4, size=len(tin))).astype(np.int64)
                for i, m, c, ti, to, ca in zip(
                    sidx.tolist(),
                    midx.tolist(),
                    cnt.tolist(),
                    tin.tolist(),
                    tout.tolist(),
                    cached.tolist(),
                    strict=True,
                ):
                    project = st_project[i]
                    results.append(
                        {
                            "object": "organization.usage.completions.result",
                            "input_tokens": ti,
                            "output_tokens": to,
                            "input_cached_tokens": ca,
                            "input_audio_tokens": 0,
                            "output_audio_tokens": 0,
                            "num_model_requests": c,
                            "project_id": project,
                            "user_id": key_user[s_key[i]],
                            "api_key_id": key_ids[s_key[i]],
                            "model": m_names[m],
                            "batch": None,
                        }
                    )
                    tt = totals[(m0, project, m_names[m])]
                    tt[0] += ti
                    tt[1] += to
            buckets.append({"object": "bucket", "start_time": t0, "end_time": t1, "results": results})
            records += len(results)
            d += dt.timedelta(days=1)
        if not any(bk["results"] for bk in buckets):
            continue  # the API returns empty buckets before any usage; such pages carry no record to land
        name = f"openai_usage_completions_{m0:%Y-%m}.json"
        if mi == split_month and len(buckets) > 1:
            half = len(buckets) // 2
            cursor = "page_" + u.rand_alnum(mrng, 1, 24)[0]
            doc: object = [
                {"object": "page", "data": buckets[:half], "has_more": True, "next_page": cursor},
                {"object": "page", "data": buckets[half:], "has_more": False, "next_page": None},
            ]
        else:
            doc = {"object": "page", "data": buckets, "has_more": False, "next_page": None}
        u.write_bytes(folder / name, u.dumps(doc).encode("utf-8"))
        files += 1
    carried.openai_tokens = dict(totals)
    more_files, more_records = openai_endpoints.write_endpoints(world, folder, carried)
    return {"files": files + more_files, "records": records + more_records}
