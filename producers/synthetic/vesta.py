"""One chunk's V1..V339: Vesta's engineered counts and sums, block by block.

Blocks share their presence with the D columns and the identity rows (as in the real file),
so this needs the masks the transaction columns drew.
"""

from __future__ import annotations

import numpy as np

from producers.synthetic.sampling import Rng
from producers.synthetic.vesta_tables import V_AMOUNT, V_MASKS, V_MAX, V_ONES
from producers.synthetic.world import Rows


def _v_masks(rng: Rng, masks: dict[str, np.ndarray], identity: np.ndarray) -> dict[str, np.ndarray]:
    """Each block's rows: the D columns' masks, plus those tied to identity or nearly all rows."""
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


def vesta_columns(
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
