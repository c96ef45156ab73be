"""Who transacts: card ranges and the clients that hold them, each with fixed traits.

Everything about a client (card, address, email domains, account start, device, risk) is
drawn once here, which is what makes Kaggle's 'uid' (card1 + addr1 + account start) name one
client and lets the model learn from a client's history.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from producers.synthetic.identity_tables import (
    BROWSERS,
    DEVICE_P,
    DEVICE_RISK,
    DEVICES,
    ID13,
    ID13_P,
    ID14,
    ID14_P,
    ID17,
    ID19,
    ID19_P,
    ID20,
    ID20_P,
    SCREENS,
    SYSTEMS,
)
from producers.synthetic.sampling import Rng, pick, top_or_range
from producers.synthetic.transaction_tables import (
    ADDR1_TOP,
    ADDR1_TOP_P,
    ADDR2_P,
    ADDR2_VALUES,
    CARD1_BUCKETS,
    CARD1_TOP,
    CARD1_TOP_SHARE,
    CARD3_OTHER,
    CARD4_P,
    CARD5_TOP,
    CARD5_TOP_P,
    EMAIL_RISK,
    P_EMAIL_P,
    PRODUCT_SHARE,
    R_EMAIL_P,
    C,
    W,
)


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


def draw_cards(rng: Rng) -> Cards:
    """The real top card1 values with their shares, then a long tail of smaller ranges."""
    n = CARD1_BUCKETS
    others = np.setdiff1d(np.arange(1000, 18397), CARD1_TOP)
    card1 = np.concatenate([CARD1_TOP, rng.choice(others, n - len(CARD1_TOP), replace=False)])
    tail = 1.0 / (np.arange(n - len(CARD1_TOP)) + 20.0) ** 1.1
    weight = np.concatenate([CARD1_TOP_SHARE, tail / tail.sum() * (1 - CARD1_TOP_SHARE.sum())])
    card4 = pick(rng.random(n), CARD4_P)
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
    card5 = top_or_range(rng, n, CARD5_TOP, CARD5_TOP_P, 100, 237)
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
            codes[mine] = np.array([vocab.index(o) for o in options])[pick(u[mine], probs)]
        out.append(codes)
    return tuple(out)


def _addresses(rng: Rng, product: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """addr1/addr2, missing together: nearly always for C (foreign buyers), rarely otherwise."""
    n = len(product)
    addr1 = top_or_range(rng, n, ADDR1_TOP, ADDR1_TOP_P, 100, 540)
    addr2 = ADDR2_VALUES[pick(rng.random(n), ADDR2_P)].astype(float)
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
    p_email = pick(rng.random(n), P_EMAIL_P)
    p_email[rng.random(n) < 0.16] = -1
    r_email = pick(rng.random(n), R_EMAIL_P)
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


def draw_clients(rng: Rng, count: int, days: int, cards: Cards) -> Clients:
    """`count` clients active within `days`; their risk sums the traits fraud favours."""
    product = pick(rng.random(count), PRODUCT_SHARE)
    bucket = pick(rng.random(count), cards.weight)
    addr1, addr2 = _addresses(rng, product)
    p_email, r_email = _emails(rng, product)
    start, span = _windows(rng, count, days)
    age = _account_ages(rng, count)
    d1n = _unique_uids(cards.card1[bucket], addr1, start + 1 - age, rng)  # in DT days
    device = np.where(product == W, -1, pick(rng.random(count), DEVICE_P))
    system, browser, screen = _device_choices(rng, device)
    mobile = np.array([d.device_type == "mobile" for d in DEVICES])[device]
    id_fixed = np.column_stack(
        [
            top_or_range(rng, count, ID13, ID13_P, 10, 64),
            ID14[pick(rng.random(count), ID14_P)].astype(float),
            np.where(mobile, 225.0, 166.0),
            top_or_range(rng, count, ID19, ID19_P, 100, 671),
            top_or_range(rng, count, ID20, ID20_P, 100, 661),
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
