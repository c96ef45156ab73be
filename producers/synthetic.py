"""A deterministic synthetic twin of Kaggle's IEEE-CIS fraud data (train_transaction/identity).

Kaggle's rules forbid redistributing the real rows, so demos and tests run on this twin. It keeps
what the pipeline and the model depend on: the exact headers and CSV formatting, the marginals and
the missingness structure (NaN blocks, product couplings), and Vesta's labelling: transactions
come from clients with a fixed card/address/account start, and once a client's card is reported
every later transaction of that client is fraud. Signal is planted, with noise, in the columns the
model reads (`model_server/features.py`) so a boosted model learns something but not everything.

Generation has two stages. A plan, O(rows) small arrays, fixes clients, event times and labels.
Then the wide rows are drawn and written in vectorised chunks, each from its own seeded
generator, so memory stays bounded and the same seed and row count give byte-identical files.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from producers.columns import IDENTITY_HEADER, TRANSACTION_HEADER

FIRST_TRANSACTION_ID = 2_987_000
FIRST_TRANSACTION_DT = 86_400
TRANSACTIONS_PER_DAY = 3_227
CHUNK_ROWS = 25_000
DAY = 86_400

# ProductCD: transaction shares and fraud rates of the real train file.
PRODUCTS = ("W", "C", "R", "H", "S")
PRODUCT_SHARE = np.array([0.74452, 0.11603, 0.06384, 0.05592, 0.01969])
PRODUCT_FRAUD = np.array([0.020399, 0.116873, 0.037826, 0.047662, 0.058996])
W, C = 0, 1

Rng = np.random.Generator


@dataclass(frozen=True)
class Cat:
    """A string column as codes into a vocabulary; code -1 is missing (an empty field)."""

    codes: np.ndarray
    vocab: tuple[str, ...]


Column = np.ndarray | Cat


@dataclass(frozen=True)
class GeneratedFiles:
    transaction_path: Path
    identity_path: Path
    transactions: int
    identities: int
    frauds: int


# ---------------------------------------------------------------------------------------------
# Vocabularies (shares of non-null values in the real data, rounded)
# ---------------------------------------------------------------------------------------------


def _weights(spec: str) -> tuple[tuple[str, ...], np.ndarray]:
    """Parse 'name weight name weight ...' into names and normalised probabilities."""
    parts = spec.split()
    names = tuple(parts[0::2])
    weights = np.array([float(w) for w in parts[1::2]])
    return names, weights / weights.sum()


# P_emaildomain shares (per 100k of non-null); R_emaildomain draws from the same vocabulary.
EMAILS, P_EMAIL_P = _weights(
    "gmail.com 46038 yahoo.com 20349 hotmail.com 9108 anonymous.com 7489 aol.com 5695 "
    "comcast.net 1579 icloud.com 1258 outlook.com 1023 msn.com 823 att.net 813 "
    "sbcglobal.net 604 live.com 598 verizon.net 546 ymail.com 487 bellsouth.net 386 "
    "yahoo.com.mx 321 me.com 308 cox.net 278 optonline.net 205 charter.net 162 live.com.mx 146 "
    "rocketmail.com 133 mail.com 118 earthlink.net 108 gmail 100 mac.com 93 outlook.es 90 "
    "juno.com 65 hotmail.es 63 aim.com 61 hotmail.fr 60 roadrunner.com 59 windstream.net 59 "
    "frontier.com 57 twc.com 50 web.de 49 embarqmail.com 49 prodigy.net.mx 44 netzero.com 44 "
    "centurylink.net 42 q.com 41 netzero.net 38 frontiernet.net 37 cfl.rr.com 34 sc.rr.com 33 "
    "suddenlink.net 33 cableone.net 29 gmx.de 28 yahoo.fr 28 yahoo.es 26 hotmail.co.uk 23 "
    "protonmail.com 17 yahoo.de 16 ptd.net 12 live.fr 12 yahoo.co.uk 10 hotmail.de 10 "
    "servicios-ta.com 8 yahoo.co.jp 6 scranton.edu 0"
)
_R_EMAIL_SHARE = {
    "gmail.com": 416,
    "hotmail.com": 200,
    "anonymous.com": 149,
    "yahoo.com": 86,
    "aol.com": 27,
    "outlook.com": 18,
    "comcast.net": 13,
    "yahoo.com.mx": 11,
    "icloud.com": 10,
    "live.com.mx": 6,
    "live.com": 6,
    "msn.com": 5,
    "outlook.es": 5,
    "mail.com": 4,
    "me.com": 4,
    "protonmail.com": 3,
    "att.net": 3,
    "verizon.net": 3,
    "hotmail.es": 2,
    "scranton.edu": 1,
}
R_EMAIL_P = np.array([_R_EMAIL_SHARE.get(e, 0.3) for e in EMAILS])
R_EMAIL_P /= R_EMAIL_P.sum()
# Client fraud log-odds by purchaser domain (protonmail ~39% fraud in the real data).
_EMAIL_RISK = {
    "protonmail.com": 3.2,
    "mail.com": 1.7,
    "outlook.es": 1.4,
    "aim.com": 1.0,
    "outlook.com": 0.6,
    "anonymous.com": 0.5,
    "hotmail.com": 0.35,
    "icloud.com": 0.3,
    "gmail.com": 0.15,
    "yahoo.com": -0.1,
    "aol.com": -0.25,
    "comcast.net": -0.45,
    "att.net": -0.35,
    "sbcglobal.net": -0.35,
    "verizon.net": -0.35,
    "bellsouth.net": -0.45,
    "cox.net": -0.35,
}
EMAIL_RISK = np.array([_EMAIL_RISK.get(e, 0.0) for e in EMAILS] + [-0.3])  # last: no email

CARD4 = ("visa", "mastercard", "american express", "discover")
CARD4_P = np.array([0.6533, 0.32127, 0.01414, 0.01129])
CARD6 = ("debit", "credit", "debit or credit", "charge card")
# card1 values with the largest real counts, and their shares of all transactions.
CARD1_TOP = np.array([7919, 9500, 15885, 17188, 15066, 12695, 12544, 6019, 2803, 7585])
CARD1_TOP_SHARE = (
    np.array([14932, 14162, 10361, 10344, 7945, 7091, 6773, 6771, 6141, 5334]) / 590540
)
CARD1_BUCKETS = 13_553
CARD5_TOP = np.array([226, 224, 166, 102, 117, 138, 195, 126, 219, 202])
CARD5_TOP_P = np.array([0.505, 0.05, 0.09, 0.05, 0.05, 0.04, 0.03, 0.04, 0.03, 0.02])
CARD3_OTHER = np.array([144, 146, 117, 119, 143, 162, 106, 102, 185, 150])

ADDR1_TOP = np.array([299, 325, 204, 264, 330, 315, 441, 272, 123])
ADDR1_TOP_P = np.array([0.08829, 0.08146, 0.08006, 0.07597, 0.05009, 0.04397, 0.03968, 0.03838])
ADDR1_TOP_P = np.append(ADDR1_TOP_P, 0.03069)
ADDR2_VALUES = np.array([87, 60, 96, 32, 65, 16, 31, 19, 26, 27, 43, 102])
ADDR2_P = np.array([0.99171, 0.00588, 0.00122, 0.00017, 0.00016, 1e-4, 9e-5, 6e-5, 5e-5, 4e-5])
ADDR2_P = np.append(ADDR2_P, [3e-5, 2e-5])

M_FLAGS = ("T", "F")
M4_VALUES = ("M0", "M1", "M2")


@dataclass(frozen=True)
class Device:
    """A device family: what an identity row says about the client's device and software."""

    device_type: str
    info: str  # "" when Vesta did not record it
    systems: tuple[str, ...]
    browsers: tuple[str, ...]
    screens: tuple[str, ...]
    depth: float  # id_32 colour depth
    weight: float
    risk: float  # client fraud log-odds


DEVICES = (
    Device(
        "desktop",
        "Windows",
        ("Windows 10", "Windows 7", "Windows 8.1"),
        ("chrome 63.0", "chrome 62.0", "edge 16.0", "firefox 57.0", "edge 15.0", "chrome generic"),
        ("1920x1080", "1366x768", "1600x900", "1280x800", "1440x900"),
        24.0,
        0.33,
        0.0,
    ),
    Device(
        "desktop",
        "Trident/7.0",
        ("Windows 7", "Windows 10"),
        ("ie 11.0 for desktop",),
        ("1366x768", "1920x1080"),
        24.0,
        0.055,
        -0.6,
    ),
    Device(
        "desktop",
        "MacOS",
        ("Mac OS X 10_12_6", "Mac OS X 10_11_6", "Mac OS X 10_13_1", "Mac OS X 10.9"),
        ("safari generic", "chrome 63.0", "firefox 57.0"),
        ("1440x900", "2560x1600", "2880x1800", "1280x800", "5120x2880"),
        32.0,
        0.09,
        -0.4,
    ),
    Device(
        "desktop",
        "rv:11.0",
        ("Windows 7",),
        ("ie 11.0 for desktop",),
        ("1366x768", "1024x768"),
        24.0,
        0.014,
        -0.3,
    ),
    Device(
        "desktop",
        "rv:57.0",
        ("Windows 10", "Linux"),
        ("firefox 57.0", "firefox generic"),
        ("1920x1080", "1366x768"),
        24.0,
        0.012,
        0.7,
    ),
    Device(
        "desktop",
        "",
        ("Windows 10", "Windows 7", "Linux"),
        ("chrome 63.0", "chrome generic", "firefox 57.0"),
        ("1920x1080", "1366x768", "1680x1050"),
        24.0,
        0.1,
        0.3,
    ),
    Device(
        "mobile",
        "iOS Device",
        ("iOS 11.2.1", "iOS 11.1.2", "iOS 11.2.6", "iOS 10.3.3", "iOS 11.0.3", "iOS 11.1.0"),
        ("mobile safari 11.0", "mobile safari generic", "chrome 63.0 for ios"),
        ("1334x750", "2208x1242", "2436x1125", "1136x640", "2048x1536"),
        32.0,
        0.2,
        0.15,
    ),
    Device(
        "mobile",
        "SM-J700M Build/MMB29K",
        ("Android 6.0.1",),
        ("chrome 63.0 for android", "samsung browser 6.2"),
        ("1280x720",),
        32.0,
        0.02,
        1.4,
    ),
    Device(
        "mobile",
        "SM-G610M Build/MMB29K",
        ("Android 6.0.1",),
        ("chrome 63.0 for android", "chrome 62.0 for android"),
        ("1920x1080",),
        32.0,
        0.015,
        1.2,
    ),
    Device(
        "mobile",
        "SM-G531H Build/LMY48B",
        ("Android 5.1.1",),
        ("chrome 54.0 for android", "chrome 62.0 for android"),
        ("960x540",),
        32.0,
        0.012,
        1.6,
    ),
    Device(
        "mobile",
        "SM-G935F Build/NRD90M",
        ("Android 7.0",),
        ("chrome 63.0 for android", "samsung browser 6.2"),
        ("2560x1440",),
        32.0,
        0.015,
        0.5,
    ),
    Device(
        "mobile",
        "SAMSUNG SM-G892A Build/NRD90M",
        ("Android 7.0",),
        ("samsung browser 6.2", "chrome 63.0 for android"),
        ("2220x1080",),
        32.0,
        0.02,
        0.2,
    ),
    Device(
        "mobile",
        "",
        ("Android 7.0", "Android 8.0.0", "Android"),
        ("chrome 63.0 for android", "chrome generic", "mobile safari generic"),
        ("1920x1080", "2220x1080", "1280x720"),
        32.0,
        0.08,
        0.8,
    ),
)


def _vocab(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


DEVICE_TYPES = ("desktop", "mobile")
DEVICE_INFOS = _vocab([d.info for d in DEVICES])
SYSTEMS = _vocab([s for d in DEVICES for s in d.systems])
BROWSERS = _vocab([b for d in DEVICES for b in d.browsers])
SCREENS = _vocab([s for d in DEVICES for s in d.screens])
DEVICE_P = np.array([d.weight for d in DEVICES]) / sum(d.weight for d in DEVICES)
DEVICE_RISK = np.array([d.risk for d in DEVICES])

# Numeric identity columns: common values with shares of non-null, then a range for the rest.
ID01 = np.array([-5, 0, -10, -20, -15, -25, -30, -35, -40, -45, -50, -60, -80, -100])
ID01_P = np.array([57, 13.6, 7.8, 7.8, 3.9, 2.5, 2, 1.2, 1, 0.8, 0.7, 0.5, 0.3, 0.3])
ID01_FRAUD_P = np.array([45, 20, 7, 12, 5, 3, 2.5, 1.5, 1, 0.8, 0.7, 0.5, 0.3, 0.3])
ID13 = np.array([52, 49, 64, 33, 27, 20, 14, 25, 18, 43])
ID13_P = np.array([0.456, 0.207, 0.113, 0.079, 0.029, 0.023, 0.02, 0.01, 0.01, 0.01])
# id_14: UTC offsets in minutes.
ID14 = np.array([-300, -360, -480, -420, -600, 60, 0, -180, 120, 330, 480, -240, 180, 540, 600])
ID14_P = np.array([551, 208, 161, 57, 6, 5, 2.4, 3, 2, 2, 2, 2, 1, 1, 1])
ID17 = np.array([166, 225, 102, 159, 100])
ID19 = np.array([266, 410, 427, 529, 312])
ID19_P = np.array([0.142, 0.081, 0.063, 0.058, 0.045])
ID20 = np.array([507, 222, 325, 533, 214])
ID20_P = np.array([0.16, 0.079, 0.058, 0.047, 0.041])
ID18 = np.array([15, 13, 12, 18, 20, 11, 24])
ID18_P = np.array([0.565, 0.298, 0.103, 0.014, 0.008, 0.006, 0.006])
PROXIES = ("IP_PROXY:TRANSPARENT", "IP_PROXY:ANONYMOUS", "IP_PROXY:HIDDEN")
MATCH_STATUS = ("match_status:2", "match_status:1", "match_status:0", "match_status:-1")
ID03_ODD = np.array([1, 3, 2, 5, 4, 6, -5, -6, 7, -1, 10, -13])  # rare id_03 / id_09 values
ID04_ODD = np.array([-5, -6, -8, -4, -1, -11, -12, -10, -28])  # rare id_04 / id_10 values


# ---------------------------------------------------------------------------------------------
# V columns: NaN blocks (columns of a block are missing on the same rows)
# ---------------------------------------------------------------------------------------------


def _runs(spec: str) -> list[int]:
    """'1-3 7' -> [1, 2, 3, 7]."""
    out: list[int] = []
    for part in spec.split():
        first, _, last = part.partition("-")
        out.extend(range(int(first), int(last or first) + 1))
    return out


# mask name -> V columns that share it. "d4", "d10", "d11", "d15" are the rows where that D
# column is present (the real V blocks have the same missing rates as those D columns).
V_MASKS: dict[str, list[int]] = {
    "d11": _runs("1-11"),
    "d10": _runs("12-34"),
    "d4": _runs("35-52"),
    "d10x": _runs("53-74"),
    "d15": _runs("75-94"),
    "nearly_all": _runs("95-137"),
    "id_half": _runs("138-166 322-339"),
    "id_most": _runs("167-216"),
    "id_a": _runs(
        "217-219 223-226 228-233 235-237 240-244 246-249 252-254 257-258 260-269 273-278"
    ),
    "id_b": _runs("220-222 227 234 238-239 245 250-251 255-256 259 270-272"),
    "all": _runs("279-280 284-287 290-295 297-299 302-312 316-321"),
    "all_but_few": _runs("281-283 288-289 296 300-301 313-315"),
}
# V1-V94 count matches (mostly 1); the rest count previous events (mostly 0).
V_ONES = set(_runs("1-94"))
V_AMOUNT = set(_runs("126-137 159-160 164-166 202-216 263-278 306-321 331-339"))
V_MAX = {
    **dict.fromkeys(_runs("1 14 41 65 88 107"), 1),
    **dict.fromkeys(_runs("12 35 10 27 28"), 3),
    **dict.fromkeys(_runs("305"), 2),
}


# ---------------------------------------------------------------------------------------------
# CSV formatting
# ---------------------------------------------------------------------------------------------

_WHOLE_LO, _WHOLE_HI = -1_000, 20_000
# "1.0", "-480.0" ... for whole numbers in range, and "" (missing) as the last entry.
_WHOLE_TEXT = np.array([repr(float(i)) for i in range(_WHOLE_LO, _WHOLE_HI)] + [""], dtype=object)


def format_floats(values: np.ndarray) -> np.ndarray:
    """Float cells as Kaggle wrote them: shortest repr ('150.0', '75.887'), NaN as empty.

    Whole numbers, nearly all cells, come from a lookup table; numpy's float-to-str conversion
    gives the same shortest round-trip text as Python's repr for the rest.
    """
    flat = values.ravel()
    codes = np.full(flat.shape, len(_WHOLE_TEXT) - 1, dtype=np.int64)
    present = ~np.isnan(flat)
    whole = present & (flat == np.floor(flat)) & (flat >= _WHOLE_LO) & (flat < _WHOLE_HI)
    codes[whole] = flat[whole].astype(np.int64) - _WHOLE_LO
    text = _WHOLE_TEXT[codes]
    rest = present & ~whole
    if rest.any():
        text[rest] = flat[rest].astype(str)
    return text.reshape(values.shape)


def _format(column: Column) -> np.ndarray:
    if isinstance(column, Cat):
        table = np.array([*column.vocab, ""], dtype=object)
        return table[column.codes]
    if np.issubdtype(column.dtype, np.integer):
        return column.astype(str).astype(object)
    return format_floats(column)


def _write_rows(out: TextIO, cells: np.ndarray) -> None:
    if len(cells):
        out.write("\n".join(map(",".join, cells.tolist())))
        out.write("\n")


# ---------------------------------------------------------------------------------------------
# Small sampling helpers
# ---------------------------------------------------------------------------------------------


def _pick(u: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Index drawn from `probs` for each uniform in `u` (inverse CDF, vectorised)."""
    cdf = np.cumsum(probs) / np.sum(probs)
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(probs) - 1)


def _pick_by(u: np.ndarray, flag: np.ndarray, probs: np.ndarray, flagged: np.ndarray) -> np.ndarray:
    """Like _pick, with `flagged` probabilities where `flag` is set (e.g. fraud rows)."""
    return np.where(flag, _pick(u, flagged), _pick(u, probs))


def _top_or_range(
    rng: Rng, n: int, top: np.ndarray, top_p: np.ndarray, lo: int, hi: int
) -> np.ndarray:
    """Common values with their shares; the remaining share uniform on [lo, hi]."""
    u = rng.random(n)
    idx = _pick(u, np.append(top_p, max(0.0, 1.0 - top_p.sum())))
    tail = rng.integers(lo, hi + 1, n)
    return np.where(idx < len(top), top[np.minimum(idx, len(top) - 1)], tail).astype(float)


def _nan_unless(present: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.where(present, values, np.nan)


def _cat_unless(present: np.ndarray, codes: np.ndarray, vocab: tuple[str, ...]) -> Cat:
    return Cat(np.where(present, codes, -1), vocab)


# ---------------------------------------------------------------------------------------------
# Plan: card ranges, clients, event times, labels
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cards:
    """card1 buckets (think BIN ranges): each fixes card2, card4, card5, card6."""

    card1: np.ndarray
    card2: np.ndarray
    card4: np.ndarray  # code into CARD4, -1 missing
    card5: np.ndarray
    card6: np.ndarray  # code into CARD6, -1 missing
    weight: np.ndarray
    risk: np.ndarray


def _cards(rng: Rng) -> Cards:
    n = CARD1_BUCKETS
    others = np.setdiff1d(np.arange(1000, 18397), CARD1_TOP)
    card1 = np.concatenate([CARD1_TOP, rng.choice(others, n - len(CARD1_TOP), replace=False)])
    tail = 1.0 / (np.arange(n - len(CARD1_TOP)) + 20.0) ** 1.1
    weight = np.concatenate([CARD1_TOP_SHARE, tail / tail.sum() * (1 - CARD1_TOP_SHARE.sum())])
    card4 = _pick(rng.random(n), CARD4_P)
    card4[: len(CARD1_TOP)] = rng.random(len(CARD1_TOP)) < 0.33  # the big ranges: visa or mc
    credit_p = np.select([card4 == 2, card4 == 3], [0.9, 0.85], 0.237)
    card6 = (rng.random(n) < credit_p).astype(np.int64)
    card6[rng.random(n) < 0.0005] = 2
    card6[(card4 == 2) & (rng.random(n) < 0.02)] = 3
    unknown = rng.random(n) < 0.0027
    card4[unknown] = -1
    card6[unknown] = -1
    card2 = np.where(rng.random(n) < 0.06, 321.0, rng.integers(100, 601, n).astype(float))
    card2[rng.random(n) < 0.015] = np.nan
    card5 = _top_or_range(rng, n, CARD5_TOP, CARD5_TOP_P, 100, 237)
    card5[rng.random(n) < 0.0072] = np.nan
    risk = (
        np.select([card6 == 1, card6 == -1], [1.1, -0.5], 0.0)
        + np.select([card4 == 3, card4 == 2], [0.7, -0.2], 0.0)
        + rng.normal(0.0, 0.35, n)
    )
    return Cards(card1, card2, card4, card5, card6, weight, risk)


@dataclass(frozen=True)
class Clients:
    """Card holders. Everything here is fixed per client, which makes the Kaggle 'uid' work."""

    product: np.ndarray
    bucket: np.ndarray
    card3: np.ndarray
    addr1: np.ndarray
    addr2: np.ndarray
    p_email: np.ndarray
    r_email: np.ndarray
    start_day: np.ndarray  # first day of the activity window (0-based)
    span_days: np.ndarray
    d1n: np.ndarray  # account start day: D1 = day - d1n
    d_offsets: np.ndarray  # (clients, 5): D4, D10, D11, D15, D6/D12/D14 anchors minus d1n
    d8_anchor: np.ndarray
    weight: np.ndarray
    amount_scale: np.ndarray
    count_level: np.ndarray  # log rate of the C counts
    distance: np.ndarray
    device: np.ndarray  # index into DEVICES
    system: np.ndarray  # codes into SYSTEMS / BROWSERS / SCREENS
    browser: np.ndarray
    screen: np.ndarray
    id_fixed: np.ndarray  # (clients, 5): id_13, id_14, id_17, id_19, id_20
    risk: np.ndarray


def _device_choices(rng: Rng, device: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each client's OS, browser and screen, drawn from its device family."""
    out = []
    for attr, vocab in (("systems", SYSTEMS), ("browsers", BROWSERS), ("screens", SCREENS)):
        codes = np.empty(len(device), dtype=np.int64)
        u = rng.random(len(device))
        for i, dev in enumerate(DEVICES):
            options = getattr(dev, attr)
            mine = device == i
            probs = 1.0 / (np.arange(len(options)) + 1.0) ** 1.3
            codes[mine] = np.array([vocab.index(o) for o in options])[_pick(u[mine], probs)]
        out.append(codes)
    return tuple(out)


def _addresses(rng: Rng, product: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """addr1/addr2, missing together: nearly always for C (foreign buyers), rarely otherwise."""
    n = len(product)
    addr1 = _top_or_range(rng, n, ADDR1_TOP, ADDR1_TOP_P, 100, 540)
    addr2 = ADDR2_VALUES[_pick(rng.random(n), ADDR2_P)].astype(float)
    missing = rng.random(n) < np.where(product == C, 0.95, 0.0015)
    addr1[missing] = np.nan
    addr2[missing] = np.nan
    return addr1, addr2


def _card3(rng: Rng, product: np.ndarray) -> np.ndarray:
    """card3 is 150 for domestic cards; 185 (higher fraud) goes with product C."""
    u = rng.random(len(product))
    p185, p150 = np.where(product == C, 0.72, 0.013), np.where(product == C, 0.2, 0.975)
    other = CARD3_OTHER[rng.integers(0, len(CARD3_OTHER) - 2, len(product))]
    return np.select([u < p185, u < p185 + p150], [185.0, 150.0], other.astype(float))


def _emails(rng: Rng, product: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Purchaser domain (16% missing); recipient domain mostly for C, often the purchaser's."""
    n = len(product)
    p_email = _pick(rng.random(n), P_EMAIL_P)
    p_email[rng.random(n) < 0.16] = -1
    r_email = _pick(rng.random(n), R_EMAIL_P)
    same = (rng.random(n) < 0.45) & (p_email >= 0)
    r_email = np.where(same, p_email, r_email)
    r_present = rng.random(n) < np.array([0.065, 0.9, 0.6, 0.55, 0.55])[product]
    return p_email, np.where(r_present, r_email, -1)


def _windows(rng: Rng, n: int, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Activity windows: many clients are active a day or two, some for months."""
    u = rng.random(n)
    span = np.select(
        [u < 0.5, u < 0.78], [1, rng.geometric(1 / 7, n)], rng.integers(1, 121, n)
    ).astype(np.int64)
    span = np.minimum(span, days)
    start = (rng.random(n) * (days - span + 1)).astype(np.int64)
    return start, span


def _account_ages(rng: Rng, n: int) -> np.ndarray:
    """Days between card start and the first transaction: often none (real D1 median is 3)."""
    u = rng.random(n)
    return np.select(
        [u < 0.55, u < 0.75], [0, rng.geometric(1 / 5, n)], rng.integers(0, 560, n)
    ).astype(np.int64)


def _d_offsets(rng: Rng, n: int) -> np.ndarray:
    """Anchors of D4, D10, D11, D15 and D6/D12/D14 relative to the account start."""
    same = rng.random((n, 5)) < np.array([0.7, 0.6, 0.5, 0.75, 0.3])
    shift = np.round(rng.normal(0, 60, (n, 5)))
    return np.where(same, 0, shift).astype(np.int64)


def _unique_uids(card1: np.ndarray, addr1: np.ndarray, d1n: np.ndarray, rng: Rng) -> np.ndarray:
    """Move account starts earlier until (card1, addr1, d1n) names exactly one client."""
    d1n = d1n.copy()
    addr = np.nan_to_num(addr1, nan=999).astype(np.int64)
    for _ in range(1000):
        key = (card1.astype(np.int64) * 1000 + addr) * 100_000 + (d1n + 50_000)
        _, first = np.unique(key, return_index=True)
        clash = np.ones(len(key), dtype=bool)
        clash[first] = False
        if not clash.any():
            return d1n
        d1n[clash] -= rng.integers(1, 4, int(clash.sum()))
    raise RuntimeError("could not make client keys unique")


def _clients(rng: Rng, count: int, days: int, cards: Cards) -> Clients:
    product = _pick(rng.random(count), PRODUCT_SHARE)
    bucket = _pick(rng.random(count), cards.weight)
    addr1, addr2 = _addresses(rng, product)
    p_email, r_email = _emails(rng, product)
    start, span = _windows(rng, count, days)
    age = _account_ages(rng, count)
    d1n = _unique_uids(cards.card1[bucket], addr1, start + 1 - age, rng)  # in DT days
    device = np.where(product == W, -1, _pick(rng.random(count), DEVICE_P))
    system, browser, screen = _device_choices(rng, device)
    mobile = np.array([d.device_type == "mobile" for d in DEVICES])[device]
    id_fixed = np.column_stack(
        [
            _top_or_range(rng, count, ID13, ID13_P, 10, 64),
            ID14[_pick(rng.random(count), ID14_P)].astype(float),
            np.where(mobile, 225.0, 166.0),
            _top_or_range(rng, count, ID19, ID19_P, 100, 671),
            _top_or_range(rng, count, ID20, ID20_P, 100, 661),
        ]
    )
    odd_id17 = rng.random(count) < 0.02
    id_fixed[odd_id17, 2] = ID17[rng.integers(2, 5, int(odd_id17.sum()))]
    card3 = _card3(rng, product)
    busy = rng.random(count) < 0.03  # merchants' or shared cards: huge C counts
    risk = (
        cards.risk[bucket]
        + EMAIL_RISK[p_email]
        + 0.3 * (r_email >= 0)
        + 0.3 * (card3 == 185)
        + 1.0 * (np.isnan(addr1) & (product != C))
        + np.select([age == 0, age > 200], [0.5, -0.3], 0.0)
        + np.where(product == W, 0.0, DEVICE_RISK[device])
        + rng.normal(0.0, 0.8, count)
    )
    return Clients(
        product=product,
        bucket=bucket,
        card3=card3,
        addr1=addr1,
        addr2=addr2,
        p_email=p_email,
        r_email=r_email,
        start_day=start,
        span_days=span,
        d1n=d1n,
        d_offsets=_d_offsets(rng, count),
        d8_anchor=d1n - rng.integers(0, 900, count) - rng.random(count),
        weight=rng.lognormal(0.0, 1.0, count),
        amount_scale=rng.lognormal(0.0, 0.35, count),
        count_level=rng.normal(-0.7, 1.2, count) + 0.8 * (product == C) + 4.0 * busy,
        distance=np.round(rng.lognormal(2.5, 1.6, count)),
        device=device,
        system=system,
        browser=browser,
        screen=screen,
        id_fixed=id_fixed,
        risk=risk,
    )


@dataclass(frozen=True)
class World:
    """The whole file's plan: cards, clients, and per transaction (TransactionID order) who
    transacts when and whether it is fraud. O(rows) small arrays; the wide rows come later."""

    cards: Cards
    clients: Clients
    client: np.ndarray
    dt: np.ndarray
    fraud: np.ndarray
    gap_days: np.ndarray  # days since the client's previous transaction (NaN: its first)


# Hour-of-day weights: legit traffic dips at hours 4-11 (2017-11-30 origin); fraud does not.
LEGIT_HOURS = np.array(
    [9, 8, 7, 6, 4, 3, 2.5, 2, 1.6, 1.6, 2, 3, 5, 6, 7, 8, 8, 8, 9, 9, 9, 9, 9, 9]
)
FRAUD_HOURS = np.array([6, 6, 5, 5, 5, 5, 5, 6, 6, 5, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6])
# id_19 / id_20 values shared by fraud rings: a learnable, sparse signal.
RING_ID19 = np.array([133, 197, 341, 488, 566, 612])
RING_ID20 = np.array([149, 273, 395, 452, 597, 644])


def _reported_clients(
    rng: Rng, clients: Clients, client: np.ndarray, day: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pick reported clients by risk, until each product's fraud rate matches the real one.

    A reported client's transactions from its report day on are fraud (Vesta's label
    propagation); earlier ones stay legit, which keeps the task from being trivial.
    """
    n = len(clients.risk)
    onset = clients.start_day + (rng.beta(0.7, 2.0, n) * clients.span_days).astype(np.int64)
    after = day >= onset[client]
    post = np.bincount(client, weights=after, minlength=n)
    latent = clients.risk + rng.logistic(0.0, 1.0, n)
    reported = np.zeros(n, dtype=bool)
    for p, rate in enumerate(PRODUCT_FRAUD):
        mine = np.flatnonzero(clients.product == p)
        order = mine[np.argsort(-latent[mine], kind="stable")]
        target = rate * np.count_nonzero(clients.product[client] == p)
        reported[order[: int(np.searchsorted(np.cumsum(post[order]), target)) + 1]] = True
    return reported, after & reported[client]


def _reported_traits(rng: Rng, clients: Clients, reported: np.ndarray) -> None:
    """Give reported clients traits seen more among fraudsters (in place).

    Their D15 anchor drifts from the account start (the winners' `outsider15`), and some share
    device-fingerprint values (id_19/id_20) with other fraud rings.
    """
    n = int(reported.sum())
    drift = reported.copy()
    drift[reported] = rng.random(n) < 0.3
    clients.d_offsets[drift, 3] = rng.integers(5, 120, int(drift.sum()))
    ring = reported.copy()
    ring[reported] = (rng.random(n) < 0.3) & (clients.product[reported] != W)
    k = int(ring.sum())
    clients.id_fixed[ring, 3] = RING_ID19[rng.integers(0, len(RING_ID19), k)]
    clients.id_fixed[ring, 4] = RING_ID20[rng.integers(0, len(RING_ID20), k)]


def _gaps(client: np.ndarray, dt: np.ndarray) -> np.ndarray:
    """Days since the same client's previous transaction (the real D3 is such a delta)."""
    order = np.lexsort((dt, client))
    gap = np.full(len(dt), np.nan)
    same = client[order][1:] == client[order][:-1]
    delta = (np.diff(dt[order]) // DAY).astype(float)
    gap[order[1:][same]] = delta[same]
    return gap


def plan(rows: int, seed: int | np.random.SeedSequence) -> World:
    """Clients, who transacts when, and which transactions are fraud, for the whole file."""
    rng = np.random.default_rng(seed)
    days = max(1, round(rows / TRANSACTIONS_PER_DAY))
    cards = _cards(rng)
    clients = _clients(rng, max(50, rows // 3), days, cards)
    client = rng.choice(len(clients.weight), size=rows, p=clients.weight / clients.weight.sum())
    day = clients.start_day[client] + (rng.random(rows) * clients.span_days[client]).astype(int)
    reported, fraud = _reported_clients(rng, clients, client, day)
    _reported_traits(rng, clients, reported)
    u = rng.random(rows)
    hour = np.where(fraud, _pick(u, FRAUD_HOURS), _pick(u, LEGIT_HOURS))
    dt = (day + 1) * DAY + hour * 3600 + rng.integers(0, 3600, rows)
    order = np.argsort(dt, kind="stable")
    client, dt, fraud = client[order], dt[order], fraud[order]
    dt[0] = FIRST_TRANSACTION_DT
    return World(cards, clients, client, dt, fraud, _gaps(client, dt))


# ---------------------------------------------------------------------------------------------
# One chunk of wide rows
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rows:
    """The per-row context a chunk draws from."""

    index: np.ndarray  # positions in the file
    client: np.ndarray
    fraud: np.ndarray
    dt: np.ndarray
    product: np.ndarray

    def __len__(self) -> int:
        return len(self.index)


def _rows(world: World, index: np.ndarray) -> Rows:
    client = world.client[index]
    product = world.clients.product[client]
    return Rows(index, client, world.fraud[index], world.dt[index], product)


# Priced products: amount levels and their weights (H/R/S sell fixed-price items).
PRICE_LEVELS = {
    PRODUCTS.index("R"): (
        np.array([25, 50, 75, 100, 125, 150, 200, 250, 300, 400, 500, 750, 1000, 1800]),
        np.array([4, 12, 8, 20, 5, 12, 12, 6, 8, 4, 4, 2, 1.5, 0.2]),
    ),
    PRODUCTS.index("H"): (
        np.array([25, 35, 50, 75, 100, 125, 150, 200, 250, 300, 400, 500]),
        np.array([8, 6, 25, 10, 22, 4, 8, 8, 2, 3, 1, 1]),
    ),
    PRODUCTS.index("S"): (
        np.array([10, 20, 25, 30, 50, 75, 100, 150, 200, 300, 500, 1000, 1550]),
        np.array([5, 14, 12, 8, 20, 8, 14, 6, 6, 3, 2, 0.6, 0.1]),
    ),
}


def _amounts(rng: Rng, rows: Rows, scale: np.ndarray, foreign: np.ndarray) -> np.ndarray:
    """TransactionAmt: cents on W, three decimals on converted (C, no address), list prices on
    H/R/S. Fraud amounts spread wider (real fraud: lower q25, higher q75 and mean)."""
    n = len(rows)
    spread = np.where(rows.fraud, rng.normal(0.15, 0.7, n), 0.0)
    wide = scale * np.exp(rng.normal(0.0, 1.0, n) * np.where(rows.product == C, 0.8, 0.9) + spread)
    wide *= np.where(rng.random(n) < 0.05, np.exp(np.abs(rng.normal(0.0, 1.5, n))), 1.0)
    amount = np.where(rows.product == C, 35.0 * wide, 68.0 * wide)
    cents = rng.random(n)
    amount = np.select(
        [cents < 0.45, cents < 0.7],
        [np.round(amount), np.floor(amount) + 0.95],
        np.round(amount, 2),
    )
    amount = np.where(rows.product == C, np.minimum(np.round(35.0 * wide, 3), 713.0), amount)
    amount = np.where((rows.product == C) & ~foreign, np.round(amount, 2), amount)
    for product, (levels, weights) in PRICE_LEVELS.items():
        mine = rows.product == product
        level = _pick(rng.random(int(mine.sum())), weights)
        level += rows.fraud[mine] * rng.integers(0, 3, int(mine.sum()))
        amount[mine] = levels[np.minimum(level, len(levels) - 1)]
    return np.round(np.clip(amount, 0.251, 31937.391), 3)  # no float noise past 3 decimals


# C1..C14: share of the client's count rate in each column, and 1 where the count starts at 1.
C_FACTOR_W = np.array([1.0, 0.95, 0.0, 0.02, 0.5, 0.9, 0.01, 0.02, 0.6, 0.02, 0.8, 0.01, 2.5, 0.9])
C_FACTOR_C = np.array([1.0, 1.1, 0.0, 0.5, 0.0, 0.9, 0.3, 0.45, 0.0, 0.4, 0.8, 0.35, 2.0, 0.9])
C_BASE = np.array([1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 1])
C_MAX = np.array([4685, 5691, 26, 2253, 349, 2253, 2255, 3331, 210, 3257, 3188, 3188, 2918, 1429])


def _counts(rng: Rng, rows: Rows, level: np.ndarray) -> np.ndarray:
    """C1..C14: a client's count rate, scaled per column; fraud inflates the address and
    device counts (C1, C13, C14...) and deflates C5/C9."""
    n = len(rows)
    base = np.exp(level + rng.normal(0.0, 0.25, n))
    boost = np.where(rows.fraud, np.exp(rng.normal(0.6, 0.7, n)), 1.0)
    factor = np.where((rows.product == C)[:, None], C_FACTOR_C, C_FACTOR_W)
    rate = base[:, None] * factor * boost[:, None]
    calm = np.where(rows.fraud, 0.6, 1.0)
    rate[:, [4, 8]] = base[:, None] * factor[:, [4, 8]] * calm[:, None]
    counts = rng.poisson(np.minimum(rate, 5000.0)) + C_BASE * (rng.random((n, 1)) > 0.01)
    counts[:, 2] = rng.random(n) < 0.003
    return np.minimum(counts, C_MAX).astype(float)


def _dates(rng: Rng, world: World, rows: Rows) -> tuple[dict[str, np.ndarray], dict[str, Column]]:
    """D1..D15 and their presence masks (the V blocks reuse D4/D10/D11/D15's masks)."""
    n = len(rows)
    cl = world.clients
    day = rows.dt // DAY
    d1 = (day - cl.d1n[rows.client]).astype(float)
    anchor = cl.d1n[rows.client][:, None] + cl.d_offsets[rows.client]
    since = (day[:, None] - anchor).astype(float)
    u = rng.random((n, 6))
    w = rows.product == W
    masks = {
        "d4": u[:, 0] < 0.714,
        "d10": u[:, 1] < 0.871,
        "d11": w & (u[:, 2] < 0.708),
        "d15": u[:, 3] < 0.849,
    }
    ext = np.where(w, 1.0, u[:, 4])  # D6-D9, D12-D14: some non-W rows, nested shares
    gap = world.gap_days[rows.index]
    d8_steps = np.floor((rows.dt / DAY - cl.d8_anchor[rows.client]) * 24).astype(np.int64)
    d3_kept = u[:, 5] < 0.64
    cols: dict[str, Column] = {
        "D1": _nan_unless(rng.random(n) >= 0.002, d1),
        "D2": _nan_unless((d1 > 0) & (u[:, 5] < 0.6), d1),
        "D3": _nan_unless(u[:, 5] < 0.75, gap),
        "D4": _nan_unless(masks["d4"], since[:, 0]),
        "D5": _nan_unless(d3_kept, gap),
        "D6": _nan_unless(ext < 0.49, since[:, 4]),
        "D7": _nan_unless(ext < 0.26, rng.geometric(0.05, n) - 1.0),
        "D8": _nan_unless(ext < 0.5, d8_steps / 24),
        "D9": _nan_unless(ext < 0.5, (d8_steps % 24) / 24),
        "D10": _nan_unless(masks["d10"], since[:, 1]),
        "D11": _nan_unless(masks["d11"], since[:, 2]),
        "D12": _nan_unless(ext < 0.43, since[:, 4] - rng.integers(0, 3, n)),
        "D13": _nan_unless(ext < 0.41, rng.geometric(0.08, n) - 1.0),
        "D14": _nan_unless(ext < 0.41, since[:, 4] + rng.integers(0, 3, n)),
        "D15": _nan_unless(masks["d15"], since[:, 3]),
    }
    return masks, cols


def _flag(u: np.ndarray, p_first: np.ndarray | float) -> np.ndarray:
    return (u >= p_first).astype(np.int64)


def _match_flags(rng: Rng, rows: Rows) -> dict[str, Column]:
    """M1..M9: W rows only, except M4 which C rows carry too (M2 there, more so in fraud)."""
    n, f = len(rows), rows.fraud
    w, c = rows.product == W, rows.product == C
    u = rng.random((n, 14))
    m13 = w & (u[:, 0] < 0.727)
    m79 = w & (u[:, 1] < 0.556)
    m4_p = np.where(c, 0.95, np.where(w, 0.554, 0.0))
    m4_w = _pick_by(u[:, 2], f, np.array([0.74, 0.16, 0.10]), np.array([0.55, 0.2, 0.25]))
    m4_c = _pick_by(u[:, 2], f, np.array([0.25, 0.2, 0.55]), np.array([0.12, 0.13, 0.75]))
    return {
        "M1": _cat_unless(m13, _flag(u[:, 3], 0.9999), M_FLAGS),
        "M2": _cat_unless(m13, _flag(u[:, 4], 0.893), M_FLAGS),
        "M3": _cat_unless(m13, _flag(u[:, 5], 0.788), M_FLAGS),
        "M4": _cat_unless(u[:, 6] < m4_p, np.where(c, m4_c, m4_w), M4_VALUES),
        "M5": _cat_unless(w & (u[:, 7] < 0.547), _flag(u[:, 8], np.where(f, 0.62, 0.448)), M_FLAGS),
        "M6": _cat_unless(
            w & (u[:, 9] < 0.958), _flag(u[:, 10], np.where(f, 0.34, 0.459)), M_FLAGS
        ),
        "M7": _cat_unless(m79, _flag(u[:, 11], 0.135), M_FLAGS),
        "M8": _cat_unless(m79, _flag(u[:, 12], 0.365), M_FLAGS),
        "M9": _cat_unless(m79, _flag(u[:, 13], 0.842), M_FLAGS),
    }


def _distances(rng: Rng, rows: Rows, home: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """dist1 on about half of W rows, dist2 on a quarter of the others, never both."""
    n = len(rows)
    far = np.where(rows.fraud, np.exp(rng.normal(1.0, 0.6, n)), 1.0)
    dist = np.round(home * np.exp(rng.normal(0.0, 0.3, n)) * far)
    u = rng.random(n)
    w = rows.product == W
    return (
        _nan_unless(w & (u < 0.542), np.minimum(dist, 10286.0)),
        _nan_unless(~w & (u < 0.249), np.minimum(dist, 11623.0)),
    )


def _transactions(
    rng: Rng, world: World, rows: Rows
) -> tuple[dict[str, Column], np.ndarray, np.ndarray]:
    """The 55 named transaction columns, the V1..V339 matrix, and which rows get identity."""
    cl, cards = world.clients, world.cards
    c = rows.client
    bucket = cl.bucket[c]
    foreign = np.isnan(cl.addr1[c])
    amount = _amounts(rng, rows, cl.amount_scale[c], foreign)
    dist1, dist2 = _distances(rng, rows, cl.distance[c])
    masks, dates = _dates(rng, world, rows)
    identity = (rows.product != W) & (rng.random(len(rows)) < np.where(rows.fraud, 0.92, 0.962))
    counts = _counts(rng, rows, cl.count_level[c])
    cols: dict[str, Column] = {
        "TransactionID": FIRST_TRANSACTION_ID + rows.index,
        "isFraud": rows.fraud.astype(np.int64),
        "TransactionDT": rows.dt,
        "TransactionAmt": amount,
        "ProductCD": Cat(rows.product, PRODUCTS),
        "card1": cards.card1[bucket],
        "card2": cards.card2[bucket],
        "card3": np.where(cards.card4[bucket] < 0, np.nan, cl.card3[c]),
        "card4": Cat(cards.card4[bucket], CARD4),
        "card5": cards.card5[bucket],
        "card6": Cat(cards.card6[bucket], CARD6),
        "addr1": cl.addr1[c],
        "addr2": cl.addr2[c],
        "dist1": dist1,
        "dist2": dist2,
        "P_emaildomain": Cat(cl.p_email[c], EMAILS),
        "R_emaildomain": Cat(cl.r_email[c], EMAILS),
        **{f"C{i + 1}": counts[:, i] for i in range(14)},
        **dates,
        **_match_flags(rng, rows),
    }
    return cols, _vesta(rng, rows, masks, identity, amount), identity


def _v_masks(rng: Rng, masks: dict[str, np.ndarray], identity: np.ndarray) -> dict[str, np.ndarray]:
    u = rng.random((len(identity), 3))
    return {
        **masks,
        "d10x": masks["d10"] & (u[:, 0] >= 0.002),
        "nearly_all": u[:, 0] >= 0.0005,
        "id_half": identity & (u[:, 1] < 0.57),
        "id_most": identity & (u[:, 1] < 0.968),
        "id_a": identity & (u[:, 2] < 0.905),
        "id_b": identity & (u[:, 2] < 0.981),
        "all": u[:, 0] >= 2e-5,
        "all_but_few": u[:, 0] >= 0.00215,
    }


def _vesta(
    rng: Rng, rows: Rows, masks: dict[str, np.ndarray], identity: np.ndarray, amount: np.ndarray
) -> np.ndarray:
    """V1..V339 block by block: small counts (V1-V94 mostly 1, the rest mostly 0) or float32
    dollar sums, sharing one latent count per row and block; NaN where the block is absent."""
    n = len(rows)
    v = np.full((n, 339), np.nan)
    for name, present in _v_masks(rng, masks, identity).items():
        numbers = V_MASKS[name]
        cols = np.array(numbers) - 1
        ones = numbers[0] in V_ONES
        if ones:
            k = rng.poisson(np.where(rows.fraud, 0.7, 0.2))
        else:
            k = rng.geometric(1.0 / np.where(rows.fraud, 3.0, 1.8)) - 1
        u = rng.random((n, len(cols)), dtype=np.float32)
        hit = u < 0.55
        top = np.array([V_MAX.get(i, 20 if ones else 60) for i in numbers])
        block = np.minimum(int(ones) + np.where(hit, k[:, None], 0), top).astype(float)
        money = np.array([i in V_AMOUNT for i in numbers])
        if money.any():
            spend = amount[:, None] * k[:, None] * (0.5 + u[:, money])
            block[:, money] = np.where(hit[:, money], spend.astype(np.float32), 0.0)
        v[:, cols] = np.where(present[:, None], block, np.nan)
    return v


# ---------------------------------------------------------------------------------------------
# Identity rows
# ---------------------------------------------------------------------------------------------

DEVICE_TYPE_CODE = np.array([DEVICE_TYPES.index(d.device_type) for d in DEVICES])
DEVICE_INFO_CODE = np.array([DEVICE_INFOS.index(d.info) if d.info else -1 for d in DEVICES])
DEVICE_DEPTH = np.array([d.depth for d in DEVICES])


def _small_values(u: np.ndarray, zero_share: float, others: np.ndarray) -> np.ndarray:
    """Mostly 0, else one of `others` (id_03, id_04, id_09, id_10 style)."""
    spread = np.clip((u - zero_share) / (1.0 - zero_share), 0.0, 0.999)
    rare = others[(spread * len(others)).astype(np.int64)]
    return np.where(u < zero_share, 0.0, rare).astype(float)


def _proxy_block(rng: Rng, m: int) -> dict[str, Column]:
    """id_07, id_08, id_21..id_27: present together on about 3.6% of identity rows."""
    present = rng.random(m) < 0.036
    u = rng.random((m, 8))
    values = {
        "id_07": rng.integers(-46, 62, m).astype(float),
        "id_08": -rng.integers(0, 101, m).astype(float),
        "id_21": np.where(u[:, 0] < 0.49, 252.0, rng.integers(100, 855, m)),
        "id_22": np.select([u[:, 1] < 0.916, u[:, 1] < 0.978], [14.0, 41.0], 33.0),
        "id_24": np.select([u[:, 2] < 0.593, u[:, 2] < 0.929], [11.0, 15.0], 16.0),
        "id_25": np.where(u[:, 3] < 0.486, 321.0, rng.integers(100, 549, m)),
        "id_26": np.where(u[:, 4] < 0.16, 161.0, rng.integers(100, 217, m)),
    }
    cols: dict[str, Column] = {k: _nan_unless(present, v) for k, v in values.items()}
    cols["id_23"] = _cat_unless(present, _pick(u[:, 5], np.array([0.675, 0.207, 0.118])), PROXIES)
    cols["id_27"] = _cat_unless(present, (u[:, 6] >= 0.997).astype(np.int64), ("Found", "NotFound"))
    return cols


def _identity(rng: Rng, world: World, rows: Rows) -> dict[str, Column]:
    """train_identity columns for rows that have one. Device, OS, browser, screen, timezone and
    id_13/17/19/20 are the client's; fraud rows see new devices (id_15/28/29), id_38 'T' and
    fewer id_12 'Found' more often."""
    m, f = len(rows), rows.fraud
    cl = world.clients
    device = cl.device[rows.client]
    fixed = cl.id_fixed[rows.client]
    u = rng.random((m, 29))  # one column per decision; id_09/10 share id_03/04's on purpose
    core = u[:, 0] >= 0.0225
    dev = core & (u[:, 1] >= 0.012)
    system = u[:, 2] < np.where(rows.product == C, 0.2, 0.8)
    shared_rare = u[:, 3] < 0.519  # id_09/10 present; id_03/04 on a subset of those rows
    new = u[:, 4] < np.where(f, 0.72, 0.43)
    new_code = np.select([new, u[:, 5] < 0.14], [1, 2], 0)
    device_type = core & (u[:, 6] >= 0.001)
    id_11 = np.where(u[:, 7] < 0.945, 100.0, np.round(rng.uniform(90, 100, m), 2))
    flags = {"id_35": (0.552, 0.40), "id_36": (0.049, 0.07), "id_37": (0.783, 0.65)}
    cols: dict[str, Column] = {
        "TransactionID": FIRST_TRANSACTION_ID + rows.index,
        "id_01": ID01[_pick_by(u[:, 8], f, ID01_P, ID01_FRAUD_P)].astype(float),
        "id_02": _nan_unless(
            core & (u[:, 9] >= 0.001),
            np.clip(np.round(rng.lognormal(11.3, 0.9, m) * np.where(f, 1.5, 1.0)), 1, 999595),
        ),
        "id_03": _nan_unless(u[:, 3] < 0.46, _small_values(u[:, 10], 0.9635, ID03_ODD)),
        "id_04": _nan_unless(u[:, 3] < 0.46, _small_values(u[:, 11], 0.991, ID04_ODD)),
        "id_05": _nan_unless(
            u[:, 12] >= 0.051,
            np.where(
                u[:, 13] < np.where(f, 0.55, 0.68), 0.0, np.minimum(rng.geometric(0.15, m), 52)
            ),
        ),
        "id_06": _nan_unless(
            u[:, 12] >= 0.051,
            np.where(u[:, 14] < 0.667, 0.0, -np.minimum(rng.geometric(0.08, m), 100)),
        ),
        "id_09": _nan_unless(shared_rare, _small_values(u[:, 10], 0.939, ID03_ODD)),
        "id_10": _nan_unless(shared_rare, _small_values(u[:, 11], 0.973, ID04_ODD)),
        "id_11": _nan_unless(core, id_11.astype(np.float32).astype(float)),
        "id_12": Cat(_flag(u[:, 15], np.where(f, 0.92, 0.853)), ("NotFound", "Found")),
        "id_13": _nan_unless(u[:, 16] >= 0.117, fixed[:, 0]),
        "id_14": _nan_unless(system | (u[:, 17] < 0.02), fixed[:, 1]),
        "id_15": _cat_unless(core, new_code, ("Found", "New", "Unknown")),
        "id_16": _cat_unless(
            u[:, 18] >= 0.103, _flag(u[:, 19], np.where(new, 0.25, 0.75)), ("Found", "NotFound")
        ),
        "id_17": _nan_unless(dev, fixed[:, 2]),
        "id_18": _nan_unless(u[:, 20] < 0.313, ID18[_pick(u[:, 21], ID18_P)].astype(float)),
        "id_19": _nan_unless(dev, fixed[:, 3]),
        "id_20": _nan_unless(dev, fixed[:, 4]),
        "id_28": _cat_unless(core, new.astype(np.int64), ("Found", "New")),
        "id_29": _cat_unless(core, new.astype(np.int64), ("Found", "NotFound")),
        "id_30": _cat_unless(system, cl.system[rows.client], SYSTEMS),
        "id_31": _cat_unless(core & (u[:, 22] >= 0.005), cl.browser[rows.client], BROWSERS),
        "id_32": _nan_unless(system, DEVICE_DEPTH[device]),
        "id_33": _cat_unless(system & (u[:, 23] >= 0.05), cl.screen[rows.client], SCREENS),
        "id_34": _cat_unless(
            system, _pick(u[:, 28], np.array([0.771, 0.223, 0.0053, 4e-5])), MATCH_STATUS
        ),
        **{
            k: _cat_unless(core, _flag(u[:, 24 + i], np.where(f, pf, pl)), M_FLAGS)
            for i, (k, (pl, pf)) in enumerate(flags.items())
        },
        "id_38": _cat_unless(core, _flag(u[:, 27], np.where(f, 0.62, 0.476)), M_FLAGS),
        "DeviceType": _cat_unless(device_type, DEVICE_TYPE_CODE[device], DEVICE_TYPES),
        "DeviceInfo": _cat_unless(device_type, DEVICE_INFO_CODE[device], DEVICE_INFOS),
        **_proxy_block(rng, m),
    }
    return cols


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def _cells(header: Sequence[str], cols: dict[str, Column], extra: np.ndarray | None) -> np.ndarray:
    """Formatted cells in header order; `extra` (already numeric) fills the trailing columns."""
    named = [_format(cols[name]) for name in header[: len(cols)]]
    n = len(named[0])
    cells = np.empty((n, len(header)), dtype=object)
    for j, text in enumerate(named):
        cells[:, j] = text
    if extra is not None:
        cells[:, len(named) :] = format_floats(extra)
    return cells


def generate(
    rows: int,
    out_dir: Path,
    seed: int = 42,
    progress: Callable[[int], None] | None = None,
) -> GeneratedFiles:
    """Write train_transaction.csv and train_identity.csv for `rows` transactions."""
    if rows < 1:
        raise ValueError("rows must be at least 1")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    starts = range(0, rows, CHUNK_ROWS)
    plan_seed, *chunk_seeds = np.random.SeedSequence(seed).spawn(1 + len(starts))
    world = plan(rows, plan_seed)
    tx_path, id_path = out_dir / "train_transaction.csv", out_dir / "train_identity.csv"
    identities = 0
    with tx_path.open("w", newline="") as tx_out, id_path.open("w", newline="") as id_out:
        tx_out.write(",".join(TRANSACTION_HEADER) + "\n")
        id_out.write(",".join(IDENTITY_HEADER) + "\n")
        for lo, chunk_seed in zip(starts, chunk_seeds, strict=True):
            rng = np.random.default_rng(chunk_seed)
            chunk = _rows(world, np.arange(lo, min(rows, lo + CHUNK_ROWS)))
            tx, v, has_identity = _transactions(rng, world, chunk)
            _write_rows(tx_out, _cells(TRANSACTION_HEADER, tx, v))
            ident = _identity(rng, world, _rows(world, chunk.index[has_identity]))
            _write_rows(id_out, _cells(IDENTITY_HEADER, ident, None))
            identities += int(has_identity.sum())
            if progress is not None:
                progress(int(chunk.index[-1]) + 1)
    return GeneratedFiles(tx_path, id_path, rows, identities, int(world.fraud.sum()))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=590_540, help="transactions to generate")
    parser.add_argument("--out", type=Path, required=True, help="directory for the two CSVs")
    parser.add_argument("--seed", type=int, default=42, help="same seed and rows: same bytes")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    files = generate(args.rows, args.out, args.seed)
    print(
        f"wrote {files.transactions} transactions ({files.frauds} fraud, "
        f"{files.frauds / files.transactions:.2%}) and {files.identities} identity rows "
        f"to {args.out} in {time.perf_counter() - began:.1f}s"
    )


if __name__ == "__main__":
    main()
