"""The demo's Okta System Log: sign-ins and app accesses of people and service apps (LogEvent, JSON lines, gzip)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from roi_ledger_demo import _util as u
from roi_ledger_demo.carried import Carried
from roi_ledger_demo.people import Identity
from roi_ledger_demo.world import World

_CITIES = (
    ("London", "England", "United Kingdom", "EC1A", 51.5, -0.12),
    ("New York", "New York", "United States", "10001", 40.71, -74.0),
    ("Berlin", "Berlin", "Germany", "10115", 52.52, 13.4),
    ("Toronto", "Ontario", "Canada", "M5H", 43.65, -79.38),
)

_AI_APPS = {
    "ais-copilot": "Copilot Chat",
    "ais-chat-assistant": "Enterprise chat assistant",
    "ais-data-analyst": "Data analyst assistant",
    "ais-doc-assistant": "Documentation assistant",
}


_SECURITY_CONTEXT = u.dumps(
    {
        "asNumber": 64500,
        "asOrg": "example isp",
        "isp": "example isp",
        "domain": "example.net",
        "isProxy": False,
    }
)
_CITY_JSON = [
    u.dumps(
        {
            "city": c[0],
            "state": c[1],
            "country": c[2],
            "postalCode": c[3],
            "geolocation": {"lat": c[4], "lon": c[5]},
        }
    )
    for c in _CITIES
]


def _okta_parts(ident: Identity) -> tuple[str, str, str, str]:
    """JSON fragments of an Okta event that only depend on the actor (serialised once per identity)."""
    human = ident.kind == "human"
    actor = {
        "id": ident.okta_id if human else ident.okta_login,
        "type": "User" if human else "PublicClientApp",
        "alternateId": ident.okta_login,
        "displayName": ident.name,
        "detailEntry": None,
    }
    ua = (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15"
        if human
        else "okhttp/4.12.0"
    )
    client = {
        "userAgent": {
            "rawUserAgent": ua,
            "os": "Mac OS X" if human else "Unknown",
            "browser": "SAFARI" if human else "UNKNOWN",
        },
        "zone": "null",
        "device": "Computer" if human else "Unknown",
        "id": None if human else ident.okta_login,
        "ipAddress": ident.ip,
    }
    auth = (
        '{"authenticationProvider":"OKTA_AUTHENTICATION_PROVIDER","credentialProvider":'
        '"OKTA_CREDENTIAL_PROVIDER","credentialType":"PASSWORD","issuer":null,"externalSessionId":"idx'
        if human
        else '{"authenticationProvider":null,"credentialProvider":null,"credentialType":"CLIENT_SECRET",'
        '"issuer":null,"externalSessionId":null,"interface":null,"authenticationStep":0}'
    )
    request = u.dumps({"ipChain": [{"ip": ident.ip, "version": "V4"}]})
    return u.dumps(actor), u.dumps(client)[:-1] + ',"geographicalContext":', auth, request


def _okta_event(
    rng: random.Random,
    t_ms: int,
    parts: tuple[str, str, str, str],
    human: bool,
    event_type: str,
    result: str,
    reason: str | None,
    target_json: str,
    msg: str,
) -> tuple[str, str]:
    """(uuid, JSON line) of one LogEvent."""
    actor, client_head, auth, request = parts
    uuid = u.py_uuid(rng)
    city = _CITY_JSON[rng.randrange(len(_CITY_JSON))]
    if human:
        auth = auth + u.py_alnum(rng, 22) + '","interface":null,"authenticationStep":0}'
    line = (
        f'{{"uuid":"{uuid}","published":"{u.iso_ms_z(t_ms)}","eventType":"{event_type}","version":"0",'
        f'"severity":"{"WARN" if result == "FAILURE" else "INFO"}","legacyEventType":null,'
        f'"displayMessage":"{msg}","actor":{actor},"client":{client_head}{city}}},'
        f'"outcome":{{"result":"{result}","reason":{u.dumps(reason)}}},"target":{target_json},'
        f'"transaction":{{"type":"{"WEB" if human else "JOB"}","id":"{u.py_alnum(rng, 20)}","detail":{{}}}},'
        f'"authenticationContext":{auth},"securityContext":{_SECURITY_CONTEXT},'
        f'"debugContext":{{"debugData":{{"requestId":"{u.py_alnum(rng, 24)}"}}}},"request":{request}}}'
    )
    return uuid, line


def write_okta(world: World, out_dir: Path, carried: Carried) -> dict:
    ev = world.rate_mult
    actors = [i for i in world.identities if i.okta_login]
    human_apps: dict[str, list[tuple[str, int]]] = {}
    for s in world.systems:
        if s.id in _AI_APPS:
            for team, d in s.team_adoption.items():
                human_apps.setdefault(team, []).append((s.id, u.epoch(d)))
    app_targets = {
        sid: u.dumps(
            [
                {
                    "id": "0oa" + u.rand_alnum(u.rng_for(world.seed, f"okta-app/{sid}"), 1, 17)[0],
                    "type": "AppInstance",
                    "alternateId": _AI_APPS[sid],
                    "displayName": _AI_APPS[sid],
                    "detailEntry": {"signOnModeType": "SAML_2_0"},
                }
            ]
        )
        for sid in sorted(_AI_APPS)
    }
    parts = {i.id: _okta_parts(i) for i in actors}
    files = records = 0
    for m0 in world.month_starts:
        rng = u.rng_for(world.seed, f"iam/okta_system_log/{m0.isoformat()}")
        r = u.pyrng(world.seed, f"iam/okta_system_log/{m0.isoformat()}/events")
        a = max(u.epoch(m0), world.start)
        b = min(u.epoch(u.next_month(m0)), world.end)
        events: list[tuple[int, str, str]] = []
        for ident in actors:
            lo = max(a, ident.created)
            hi = min(b, ident.retired or b)
            if hi <= lo:
                continue
            frac = (hi - lo) / (b - a)
            human = ident.kind == "human"
            n = int(rng.poisson((5.0 if human else 15.0) * ev * frac))
            if n == 0:
                continue
            ts = lo * 1000 + np.sort(rng.integers(0, (hi - lo) * 1000, size=n))
            p = parts[ident.id]
            server = u.dumps(
                [
                    {
                        "id": "aus" + ident.okta_login[3:13],
                        "type": "AuthorizationServer",
                        "alternateId": "default",
                        "displayName": "default",
                        "detailEntry": None,
                    }
                ]
            )
            for t in ts.tolist():
                if human:
                    roll = r.random()
                    apps = [sid for sid, d in human_apps.get(ident.owner_team, []) if d * 1000 <= t]
                    if roll < 0.06:
                        uid, line = _okta_event(
                            r,
                            t,
                            p,
                            True,
                            "user.session.start",
                            "FAILURE",
                            "INVALID_CREDENTIALS",
                            "null",
                            "User login to Okta",
                        )
                    elif roll < 0.5 or not apps:
                        uid, line = _okta_event(
                            r, t, p, True, "user.session.start", "SUCCESS", None, "null", "User login to Okta"
                        )
                    else:
                        sid = apps[r.randrange(len(apps))]
                        uid, line = _okta_event(
                            r,
                            t,
                            p,
                            True,
                            "user.authentication.sso",
                            "SUCCESS",
                            None,
                            app_targets[sid],
                            "User single sign on to app",
                        )
                else:
                    failed = r.random() < 0.02
                    uid, line = _okta_event(
                        r,
                        t,
                        p,
                        False,
                        "app.oauth2.as.token.grant.access_token",
                        "FAILURE" if failed else "SUCCESS",
                        "invalid_client" if failed else None,
                        server,
                        "OAuth2 access token is granted",
                    )
                events.append((t, uid, line))
        events.sort()
        data = "".join(line + "\n" for _, _, line in events).encode("utf-8")
        u.write_gzip(out_dir / f"okta_system_log_{m0:%Y-%m}.jsonl.gz", data)
        files += 1
        records += len(events)
    return {"files": files, "records": records}
