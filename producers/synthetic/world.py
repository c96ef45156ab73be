"""The plan of a whole file: who transacts when, and which transactions are fraud.

Drawn before any wide row, from O(rows) small arrays, so the labels follow Vesta's rule across
chunks: once a client's card is reported, every later transaction of that client is fraud.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from producers.synthetic.identity_tables import RING_ID19, RING_ID20
from producers.synthetic.population import Cards, Clients, draw_cards, draw_clients
from producers.synthetic.sampling import Rng, pick
from producers.synthetic.transaction_tables import (
    DAY,
    FIRST_TRANSACTION_DT,
    FRAUD_HOURS,
    LEGIT_HOURS,
    PRODUCT_FRAUD,
    TRANSACTIONS_PER_DAY,
    W,
)


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

    def rows(self, index: np.ndarray) -> Rows:
        """The context the transactions at `index` are drawn from."""
        client = self.client[index]
        product = self.clients.product[client]
        return Rows(index, client, self.fraud[index], self.dt[index], product)


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
    cards = draw_cards(rng)
    clients = draw_clients(rng, max(50, rows // 3), days, cards)
    client = rng.choice(len(clients.weight), size=rows, p=clients.weight / clients.weight.sum())
    day = clients.start_day[client] + (rng.random(rows) * clients.span_days[client]).astype(int)
    reported, fraud = _reported_clients(rng, clients, client, day)
    _reported_traits(rng, clients, reported)
    u = rng.random(rows)
    hour = np.where(fraud, pick(u, FRAUD_HOURS), pick(u, LEGIT_HOURS))
    dt = (day + 1) * DAY + hour * 3600 + rng.integers(0, 3600, rows)
    order = np.argsort(dt, kind="stable")
    client, dt, fraud = client[order], dt[order], fraud[order]
    dt[0] = FIRST_TRANSACTION_DT
    return World(cards, clients, client, dt, fraud, _gaps(client, dt))
