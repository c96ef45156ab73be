"""One chunk's train_identity columns, for the transactions that have an identity row.

Device, OS, browser, screen and the fingerprint ids are the client's (fixed in the plan);
what a fraud row changes is drawn here.
"""

from __future__ import annotations

import numpy as np

from producers.synthetic.csv_cells import Cat, Column
from producers.synthetic.identity_tables import (
    BROWSERS,
    DEVICE_DEPTH,
    DEVICE_INFO_CODE,
    DEVICE_INFOS,
    DEVICE_TYPE_CODE,
    DEVICE_TYPES,
    ID01,
    ID01_FRAUD_P,
    ID01_P,
    ID03_ODD,
    ID04_ODD,
    ID18,
    ID18_P,
    MATCH_STATUS,
    PROXIES,
    SCREENS,
    SYSTEMS,
)
from producers.synthetic.sampling import Rng, cat_unless, flag_code, nan_unless, pick, pick_by
from producers.synthetic.transaction_tables import FIRST_TRANSACTION_ID, M_FLAGS, C
from producers.synthetic.world import Rows, World


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
    cols: dict[str, Column] = {k: nan_unless(present, v) for k, v in values.items()}
    cols["id_23"] = cat_unless(present, pick(u[:, 5], np.array([0.675, 0.207, 0.118])), PROXIES)
    cols["id_27"] = cat_unless(present, (u[:, 6] >= 0.997).astype(np.int64), ("Found", "NotFound"))
    return cols


def identity_columns(rng: Rng, world: World, rows: Rows) -> dict[str, Column]:
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
        "id_01": ID01[pick_by(u[:, 8], f, ID01_P, ID01_FRAUD_P)].astype(float),
        "id_02": nan_unless(
            core & (u[:, 9] >= 0.001),
            np.clip(np.round(rng.lognormal(11.3, 0.9, m) * np.where(f, 1.5, 1.0)), 1, 999595),
        ),
        "id_03": nan_unless(u[:, 3] < 0.46, _small_values(u[:, 10], 0.9635, ID03_ODD)),
        "id_04": nan_unless(u[:, 3] < 0.46, _small_values(u[:, 11], 0.991, ID04_ODD)),
        "id_05": nan_unless(
            u[:, 12] >= 0.051,
            np.where(
                u[:, 13] < np.where(f, 0.55, 0.68), 0.0, np.minimum(rng.geometric(0.15, m), 52)
            ),
        ),
        "id_06": nan_unless(
            u[:, 12] >= 0.051,
            np.where(u[:, 14] < 0.667, 0.0, -np.minimum(rng.geometric(0.08, m), 100)),
        ),
        "id_09": nan_unless(shared_rare, _small_values(u[:, 10], 0.939, ID03_ODD)),
        "id_10": nan_unless(shared_rare, _small_values(u[:, 11], 0.973, ID04_ODD)),
        "id_11": nan_unless(core, id_11.astype(np.float32).astype(float)),
        "id_12": Cat(flag_code(u[:, 15], np.where(f, 0.92, 0.853)), ("NotFound", "Found")),
        "id_13": nan_unless(u[:, 16] >= 0.117, fixed[:, 0]),
        "id_14": nan_unless(system | (u[:, 17] < 0.02), fixed[:, 1]),
        "id_15": cat_unless(core, new_code, ("Found", "New", "Unknown")),
        "id_16": cat_unless(
            u[:, 18] >= 0.103, flag_code(u[:, 19], np.where(new, 0.25, 0.75)), ("Found", "NotFound")
        ),
        "id_17": nan_unless(dev, fixed[:, 2]),
        "id_18": nan_unless(u[:, 20] < 0.313, ID18[pick(u[:, 21], ID18_P)].astype(float)),
        "id_19": nan_unless(dev, fixed[:, 3]),
        "id_20": nan_unless(dev, fixed[:, 4]),
        "id_28": cat_unless(core, new.astype(np.int64), ("Found", "New")),
        "id_29": cat_unless(core, new.astype(np.int64), ("Found", "NotFound")),
        "id_30": cat_unless(system, cl.system[rows.client], SYSTEMS),
        "id_31": cat_unless(core & (u[:, 22] >= 0.005), cl.browser[rows.client], BROWSERS),
        "id_32": nan_unless(system, DEVICE_DEPTH[device]),
        "id_33": cat_unless(system & (u[:, 23] >= 0.05), cl.screen[rows.client], SCREENS),
        "id_34": cat_unless(
            system, pick(u[:, 28], np.array([0.771, 0.223, 0.0053, 4e-5])), MATCH_STATUS
        ),
        **{
            k: cat_unless(core, flag_code(u[:, 24 + i], np.where(f, pf, pl)), M_FLAGS)
            for i, (k, (pl, pf)) in enumerate(flags.items())
        },
        "id_38": cat_unless(core, flag_code(u[:, 27], np.where(f, 0.62, 0.476)), M_FLAGS),
        "DeviceType": cat_unless(device_type, DEVICE_TYPE_CODE[device], DEVICE_TYPES),
        "DeviceInfo": cat_unless(device_type, DEVICE_INFO_CODE[device], DEVICE_INFOS),
        **_proxy_block(rng, m),
    }
    return cols
