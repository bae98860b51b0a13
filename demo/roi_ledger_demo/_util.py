"""Small deterministic helpers shared by the demo writers: random streams, time, ids, money, files."""

from __future__ import annotations

import base64
import calendar
import csv
import datetime as dt
import gzip
import io
import json
import random
import time
import zlib
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np

DAY = 86_400
UTC = dt.UTC


# ------------------------------------------------------------------------------------------- randomness


def stream_key(name: str) -> int:
    """A stable integer for a stream name (crc32: identical on every platform and Python run)."""
    return zlib.crc32(name.encode("utf-8"))


def rng_for(seed: int, name: str) -> np.random.Generator:
    """The independent random stream of one dataset / purpose."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), stream_key(name)]))


def pyrng(seed: int, name: str) -> random.Random:
    """A ``random.Random`` stream (fast scalar draws) seeded from the same seed sequence scheme."""
    state = np.random.SeedSequence([int(seed), stream_key(name)]).generate_state(4, dtype=np.uint32)
    return random.Random(int.from_bytes(state.tobytes(), "little"))


_B64_TO_ALNUM = str.maketrans({"+": "k", "/": "Q", "=": "x"})


def py_alnum(r: random.Random, width: int) -> str:
    """``width`` random ASCII letters and digits."""
    raw = base64.b64encode(r.randbytes(width * 3 // 4 + 3)).decode("ascii")
    return raw.translate(_B64_TO_ALNUM)[:width]


def py_uuid(r: random.Random) -> str:
    h = f"{r.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def py_hex(r: random.Random, nbytes: int) -> str:
    return f"{r.getrandbits(8 * nbytes):0{2 * nbytes}x}"


_B62 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
_B32 = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", dtype=np.uint8)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def rand_alnum(rng: np.random.Generator, n: int, width: int, alphabet: np.ndarray = _B62) -> list[str]:
    idx = rng.integers(0, len(alphabet), size=(n, width))
    return [r.tobytes().decode("ascii") for r in alphabet[idx]]


def rand_upper32(rng: np.random.Generator, n: int, width: int) -> list[str]:
    return rand_alnum(rng, n, width, _B32)


def rand_hex(rng: np.random.Generator, n: int, nbytes: int) -> list[str]:
    raw = rng.integers(0, 256, size=(n, nbytes), dtype=np.uint8)
    return [r.tobytes().hex() for r in raw]


def hex_bytes_array(rng: np.random.Generator, n: int, nbytes: int) -> np.ndarray:
    """``n`` random lowercase hex strings of ``2*nbytes`` characters as an (n, 2*nbytes) uint8 array."""
    raw = rng.integers(0, 256, size=(n, nbytes), dtype=np.uint8)
    out = np.empty((n, nbytes * 2), dtype=np.uint8)
    out[:, 0::2] = _HEX[raw >> 4]
    out[:, 1::2] = _HEX[raw & 15]
    return out


def uuid_strings(rng: np.random.Generator, n: int) -> list[str]:
    """Deterministic UUID-v4-shaped strings."""
    hx = hex_bytes_array(rng, n, 16)
    hx[:, 12] = ord("4")
    hx[:, 16] = _HEX[8 + (hx[:, 16] % 4)]
    s = [r.tobytes().decode("ascii") for r in hx]
    return [f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}" for h in s]


def b64_sha256_like(rng: np.random.Generator, n: int) -> list[str]:
    """Strings shaped like GitHub ``hashed_token`` (base64 of 32 bytes)."""
    raw = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    return [base64.b64encode(r.tobytes()).decode("ascii") for r in raw]


# ------------------------------------------------------------------------------------------------- time


def month_starts(as_of: dt.date, months: int) -> list[dt.date]:
    """First days of the ``months`` calendar months ending with the month of ``as_of``."""
    y, m = as_of.year, as_of.month
    out = []
    for _ in range(months):
        out.append(dt.date(y, m, 1))
        m -= 1
        if m == 0:
            y, m = y - 1, 12
    return out[::-1]


def next_month(d: dt.date) -> dt.date:
    return dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def add_months(d: dt.date, k: int) -> dt.date:
    total = d.year * 12 + d.month - 1 + k
    y, m = divmod(total, 12)
    day = min(d.day, calendar.monthrange(y, m + 1)[1])
    return dt.date(y, m + 1, day)


def epoch(d: dt.date | dt.datetime) -> int:
    if isinstance(d, dt.datetime):
        return calendar.timegm(d.utctimetuple())
    return calendar.timegm(d.timetuple())


def to_date(t: int) -> dt.date:
    return dt.datetime.fromtimestamp(int(t), UTC).date()


def iso_z(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(t)))


def iso_offset(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(int(t)))


def sql_ts(t: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(t)))


def iso_ms_z(t_ms: int) -> str:
    s, ms = divmod(int(t_ms), 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + f".{ms:03d}Z"


def rfc3339_ns(t_ns: int) -> str:
    s, ns = divmod(int(t_ns), 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + f".{ns:09d}Z"


def ymd(d: dt.date) -> str:
    return d.isoformat()


# ------------------------------------------------------------------------------------------------ money

Q2 = Decimal("0.01")


def money(value: Decimal | int | str, places: int = 2) -> str:
    """Plain decimal text with exactly ``places`` decimals (no exponent, no float noise)."""
    q = Decimal(1).scaleb(-places)
    return format(Decimal(value).quantize(q, rounding=ROUND_HALF_UP), "f")


def nano_to_str(v: int) -> str:
    """Nano-USD integer as decimal text with 9 places."""
    sign = "-" if v < 0 else ""
    whole, frac = divmod(abs(int(v)), 1_000_000_000)
    return f"{sign}{whole}.{frac:09d}"


# ------------------------------------------------------------------------------------------------ files


def ensure_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def write_bytes(path: Path, data: bytes) -> None:
    ensure_dir(path.parent)
    path.write_bytes(data)


def write_gzip(path: Path, data: bytes) -> None:
    """Gzip with no timestamp and a fixed inner file name, so the bytes are reproducible."""
    ensure_dir(path.parent)
    inner = path.name[:-3] if path.name.endswith(".gz") else path.name
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(filename=inner, mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz,
    ):
        gz.write(data)


def jsonl_bytes(records: Iterable[Any]) -> bytes:
    return "".join(dumps(r) + "\n" for r in records).encode("utf-8")


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue().encode("utf-8")
