"""One chunk's train_transaction columns: amounts, counts, dates, match flags, distances.

Each column is drawn for the whole chunk at once from the chunk's own generator and the
world's plan, with the model's signal planted (with noise) in the columns it reads.
"""

from __future__ import annotations

import numpy as np

from producers.synthetic.csv_cells import Cat, Column
from producers.synthetic.sampling import Rng, cat_unless, flag_code, nan_unless, pick, pick_by
from producers.synthetic.transaction_tables import (
    C_BASE,
    C_FACTOR_C,
    C_FACTOR_W,
    C_MAX,
    CARD4,
    CARD6,
    DAY,
    EMAILS,
    FIRST_TRANSACTION_ID,
    M4_VALUES,
    M_FLAGS,
    PRICE_LEVELS,
    PRODUCTS,
    C,
    W,
)
from producers.synthetic.vesta import vesta_columns
from producers.synthetic.world import Rows, World


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
        level = pick(rng.random(int(mine.sum())), weights)
        level += rows.fraud[mine] * rng.integers(0, 3, int(mine.sum()))
        amount[mine] = levels[np.minimum(level, len(levels) - 1)]
    return np.round(np.clip(amount, 0.251, 31937.391), 3)  # no float noise past 3 decimals


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
        "D1": nan_unless(rng.random(n) >= 0.002, d1),
        "D2": nan_unless((d1 > 0) & (u[:, 5] < 0.6), d1),
        "D3": nan_unless(u[:, 5] < 0.75, gap),
        "D4": nan_unless(masks["d4"], since[:, 0]),
        "D5": nan_unless(d3_kept, gap),
        "D6": nan_unless(ext < 0.49, since[:, 4]),
        "D7": nan_unless(ext < 0.26, rng.geometric(0.05, n) - 1.0),
        "D8": nan_unless(ext < 0.5, d8_steps / 24),
        "D9": nan_unless(ext < 0.5, (d8_steps % 24) / 24),
        "D10": nan_unless(masks["d10"], since[:, 1]),
        "D11": nan_unless(masks["d11"], since[:, 2]),
        "D12": nan_unless(ext < 0.43, since[:, 4] - rng.integers(0, 3, n)),
        "D13": nan_unless(ext < 0.41, rng.geometric(0.08, n) - 1.0),
        "D14": nan_unless(ext < 0.41, since[:, 4] + rng.integers(0, 3, n)),
        "D15": nan_unless(masks["d15"], since[:, 3]),
    }
    return masks, cols


def _match_flags(rng: Rng, rows: Rows) -> dict[str, Column]:
    """M1..M9: W rows only, except M4 which C rows carry too (M2 there, more so in fraud)."""
    n, f = len(rows), rows.fraud
    w, c = rows.product == W, rows.product == C
    u = rng.random((n, 14))
    m13 = w & (u[:, 0] < 0.727)
    m79 = w & (u[:, 1] < 0.556)
    m4_p = np.where(c, 0.95, np.where(w, 0.554, 0.0))
    m4_w = pick_by(u[:, 2], f, np.array([0.74, 0.16, 0.10]), np.array([0.55, 0.2, 0.25]))
    m4_c = pick_by(u[:, 2], f, np.array([0.25, 0.2, 0.55]), np.array([0.12, 0.13, 0.75]))
    return {
        "M1": cat_unless(m13, flag_code(u[:, 3], 0.9999), M_FLAGS),
        "M2": cat_unless(m13, flag_code(u[:, 4], 0.893), M_FLAGS),
        "M3": cat_unless(m13, flag_code(u[:, 5], 0.788), M_FLAGS),
        "M4": cat_unless(u[:, 6] < m4_p, np.where(c, m4_c, m4_w), M4_VALUES),
        "M5": cat_unless(
            w & (u[:, 7] < 0.547), flag_code(u[:, 8], np.where(f, 0.62, 0.448)), M_FLAGS
        ),
        "M6": cat_unless(
            w & (u[:, 9] < 0.958), flag_code(u[:, 10], np.where(f, 0.34, 0.459)), M_FLAGS
        ),
        "M7": cat_unless(m79, flag_code(u[:, 11], 0.135), M_FLAGS),
        "M8": cat_unless(m79, flag_code(u[:, 12], 0.365), M_FLAGS),
        "M9": cat_unless(m79, flag_code(u[:, 13], 0.842), M_FLAGS),
    }


def _distances(rng: Rng, rows: Rows, home: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """dist1 on about half of W rows, dist2 on a quarter of the others, never both."""
    n = len(rows)
    far = np.where(rows.fraud, np.exp(rng.normal(1.0, 0.6, n)), 1.0)
    dist = np.round(home * np.exp(rng.normal(0.0, 0.3, n)) * far)
    u = rng.random(n)
    w = rows.product == W
    return (
        nan_unless(w & (u < 0.542), np.minimum(dist, 10286.0)),
        nan_unless(~w & (u < 0.249), np.minimum(dist, 11623.0)),
    )


def transaction_columns(
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
    return cols, vesta_columns(rng, rows, masks, identity, amount), identity
