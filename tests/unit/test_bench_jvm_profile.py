"""`--profile-jvm`'s reading of a JFR recording: the execution samples `jfr print` writes,
counted per kind of thread and per method, by self and by total samples."""

from __future__ import annotations

from benchmarks.end_to_end.jvm_profile import by_thread, samples, top_frames_text

JOIN = "IntervalJoin[5] -> Calc[6] -> ConstraintEnforcer[7] -> transactions_enriched[8]: Writer"


def _sample(thread: str, *frames: str, truncated: bool = False) -> str:
    lines = [
        "jdk.ExecutionSample {",
        "  startTime = 14:19:10.607",
        f'  sampledThread = "{thread}" (javaThreadId = 145)',
        '  state = "STATE_RUNNABLE"',
        "  stackTrace = [",
        *[f"    {frame}" for frame in frames],
        *(["    ..."] if truncated else []),
        "  ]",
        "}",
        "",
    ]
    return "\n".join(lines)


RECORDING = "".join(
    [
        _sample(
            f"{JOIN} (1/1)#0",
            "org.apache.avro.io.BinaryDecoder.readDouble() line: 259",
            "org.apache.avro.generic.GenericDatumReader.readWithoutConversion(Object, Schema,"
            " ResolvingDecoder) line: 188",
            "org.apache.flink.streaming.runtime.tasks.StreamTask.runMailboxLoop() line: 970",
            truncated=True,
        ),
        _sample(
            f"{JOIN} (1/1)#0",
            "org.apache.flink.formats.avro.AvroToRowDataConverters$$Lambda$1.convert(Object)",
            "org.apache.avro.generic.GenericDatumReader.readWithoutConversion(Object, Schema,"
            " ResolvingDecoder) line: 190",
            "org.apache.flink.streaming.runtime.tasks.StreamTask.runMailboxLoop() line: 970",
        ),
        _sample(
            f"{JOIN} (1/1)#0",
            "org.apache.flink.streaming.api.operators.TimerHeapInternalTimer.comparePriorityTo"
            "(InternalTimer) line: 102",
            "org.apache.flink.table.runtime.operators.join.interval.RowTimeIntervalJoin.onTimer"
            "(OnTimerContext, Collector)",
            "org.apache.flink.streaming.runtime.tasks.StreamTask.runMailboxLoop() line: 970",
        ),
        _sample(
            "kafka-producer-network-thread | producer-join-3",
            "sun.nio.ch.SocketDispatcher.write0(FileDescriptor, long, int)",
        ),
    ]
)


def test_samples_are_read_with_their_thread_and_frames_from_the_top() -> None:
    read = list(samples(RECORDING.splitlines()))
    assert [thread for thread, _ in read] == [f"{JOIN} (1/1)#0"] * 3 + [
        "kafka-producer-network-thread | producer-join-3"
    ]
    assert read[0][1] == [
        "org.apache.avro.io.BinaryDecoder.readDouble",
        "org.apache.avro.generic.GenericDatumReader.readWithoutConversion",
        "org.apache.flink.streaming.runtime.tasks.StreamTask.runMailboxLoop",
    ]


def test_samples_count_per_kind_of_thread_by_self_and_total() -> None:
    profiles = by_thread(RECORDING.splitlines())
    join = profiles["IntervalJoin -> Calc -> ConstraintEnforcer -> transactions_enriched"]
    assert join.samples == 3
    assert join.self_counts["org.apache.avro.io.BinaryDecoder.readDouble"] == 1
    assert (
        join.total_counts["org.apache.avro.generic.GenericDatumReader.readWithoutConversion"] == 2
    )
    assert profiles["kafka-producer-network-thread"].samples == 1


def test_the_text_names_the_busiest_threads_and_their_top_frames_without_the_run_loop() -> None:
    text = top_frames_text(by_thread(RECORDING.splitlines()), threads=1, frames=1)
    assert text.splitlines() == [
        "JFR execution samples of the TaskManager JVM: 4 in all.",
        "",
        "IntervalJoin -> Calc -> ConstraintEnforcer -> transactions_enriched: 3 samples (75%)",
        "  by self:",
        "     33%  org.apache.avro.io.BinaryDecoder.readDouble",
        "  by total:",
        "     67%  org.apache.avro.generic.GenericDatumReader.readWithoutConversion",
    ]
