"""What a confluent-kafka consumer has fetched, handed over as soon as there is any.

librdkafka's `consume(n, timeout)` waits out its timeout unless `n` messages came, which would
hold every small read (the registry's log on start, a live view's refresh) for the whole
timeout; `poll` returns on the first message, and what is already fetched follows at once.
"""

from __future__ import annotations

from confluent_kafka import Consumer, KafkaError, KafkaException, Message


def arrived(consumer: Consumer, timeout: float, limit: int = 10_000) -> list[Message]:
    """Up to `limit` messages, waiting at most `timeout` seconds for the first.

    Errors come as messages too: a fatal one is raised, the end of a partition (with
    `enable.partition.eof`) is kept to tell a reader it caught up, and the others (a broker
    out of reach for a while) are left to librdkafka, which retries on its own.
    """
    first = consumer.poll(timeout)
    if first is None:
        return []
    batch = [first, *consumer.consume(num_messages=limit - 1, timeout=0)]
    kept = []
    for message in batch:
        error = message.error()
        if error is not None and error.fatal():
            raise KafkaException(error)
        if error is None or error.code() == KafkaError._PARTITION_EOF:
            kept.append(message)
    return kept
