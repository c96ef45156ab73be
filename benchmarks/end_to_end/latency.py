"""The latency run: a steady load with wall-clock stamps, and how long each transaction took
to its prediction, apart for those joined to an identity row and those left unmatched."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from benchmarks.end_to_end.figures import Latency
from benchmarks.end_to_end.traffic import first_timestamps, now_ms, replay
from benchmarks.topics import Offsets, Topic, wait_for_records
from common.avro.decoder import AvroDecoder
from emulator.config import Settings
from emulator.demo import PREDICTIONS_TOPIC
from producers.synthetic import FIRST_TRANSACTION_DT, GeneratedFiles

# The steady load's TransactionIDs start past the throughput run's, so the two never join.
STEADY_ID_OFFSET = 10_000_000
# An unmatched transaction comes out once the watermark passes the end of its one-minute join
# window; only those sent at least this long before the load ended are sure to be out.
UNMATCHED_SETTLE_MS = 90_000


def steady_copy(source: GeneratedFiles, target: Path) -> Path:
    """The files with TransactionIDs moved past the throughput run's, and one transaction per
    TransactionDT second: replayed with speedup R, that is R transactions a second, evenly
    (the generator's own TransactionDT follows the day's rhythm)."""
    target.mkdir(parents=True, exist_ok=True)
    with (
        source.transaction_path.open() as rows,
        (target / source.transaction_path.name).open("w") as out,
    ):
        header = rows.readline()
        if not header.startswith("TransactionID,isFraud,TransactionDT,"):
            raise ValueError(f"unexpected header in {source.transaction_path}")
        out.write(header)
        for index, line in enumerate(rows):
            transaction, label, _dt, rest = line.split(",", 3)
            dt = FIRST_TRANSACTION_DT + index
            out.write(f"{int(transaction) + STEADY_ID_OFFSET},{label},{dt},{rest}")
    with source.identity_path.open() as rows, (target / source.identity_path.name).open("w") as out:
        out.write(rows.readline())
        for line in rows:
            transaction, rest = line.split(",", 1)
            out.write(f"{int(transaction) + STEADY_ID_OFFSET},{rest}")
    return target


def _latencies(
    sent_at: dict[int, int], scored_at: dict[int, int], ids: Iterable[int]
) -> tuple[list[int], int]:
    """Milliseconds from transaction to prediction for `ids`, and how many were not scored."""
    found = [scored_at[t] - sent_at[t] for t in ids if t in scored_at]
    return found, sum(1 for t in ids if t not in scored_at)


def measure_latency(
    settings: Settings, data_dir: Path, rate: float, seconds: float, decode: AvroDecoder
) -> Latency:
    """Replay `data_dir` at `rate` transactions a second; latencies from the topics' timestamps."""
    topics = {name: Topic(settings, name) for name in ("transactions", "identities")}
    topics[PREDICTIONS_TOPIC] = Topic(settings, PREDICTIONS_TOPIC)
    starts: dict[str, Offsets] = {name: topic.end_offsets() for name, topic in topics.items()}
    sent, _identities = replay(settings, data_dir, timestamps="wall", speedup=rate)
    load_ended_ms = now_ms()
    wait_for_records(topics[PREDICTIONS_TOPIC], sent, starts[PREDICTIONS_TOPIC])
    read = {name: topic.read(starts[name]) for name, topic in topics.items()}
    for topic in topics.values():
        topic.close()
    sent_at = first_timestamps(read["transactions"], decode, "key")
    with_identity = set(first_timestamps(read["identities"], decode, "key"))
    scored_at = first_timestamps(read[PREDICTIONS_TOPIC], decode, "value")
    joined = [t for t in sent_at if t in with_identity]
    unmatched = [t for t in sent_at if t not in with_identity]
    settled = [t for t in unmatched if sent_at[t] <= load_ended_ms - UNMATCHED_SETTLE_MS]
    joined_ms, joined_missing = _latencies(sent_at, scored_at, joined)
    unmatched_ms, unmatched_missing = _latencies(sent_at, scored_at, settled)
    span = (max(sent_at.values()) - min(sent_at.values())) / 1000 if sent_at else 0.0
    return Latency(
        rate=rate,
        achieved=len(sent_at) / span if span else 0.0,
        seconds=seconds,
        joined_ms=joined_ms,
        unmatched_ms=unmatched_ms,
        joined_missing=joined_missing,
        unmatched_missing=unmatched_missing,
        unmatched_waiting=sum(1 for t in unmatched if t not in scored_at) - unmatched_missing,
    )


def steady_rate(measured: float, chosen: float | None) -> float:
    """The offered load: as chosen, else half the measured rate in two significant digits,
    at most 2,500/s (the steady replay's file grows with rate x duration)."""
    if chosen:
        return chosen
    half = min(measured / 2, 2_500.0)
    digits = max(0, len(str(int(half))) - 2)
    return max(10.0, float(int(half) // 10**digits * 10**digits))
