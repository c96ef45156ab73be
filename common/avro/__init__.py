"""Avro in Confluent's wire format, written once for every ccflink package.

`wire` is the 5-byte header, `encoder` writes whole batches, `decoder` reads messages with
their writer schemas fetched once by id, `schemas` turns Flink SQL column types into the Avro
records Confluent registers.
"""
