-- Every transaction with its identity row, when one arrives within a minute of it (on the
-- Kafka record time, $rowtime). LEFT: transactions without identity are kept; they are
-- emitted once the watermark passes the end of their join window.
--
-- No source idleness for this pipeline: `make up` replays months of TransactionDT in seconds,
-- with event-time record timestamps. With the default (sources idle after 15 s without data),
-- a partition that was quiet before the replay does not hold the watermark back until its
-- first record is read, and identity rows read a moment after their transactions are then
-- dropped as late. Without it, the join waits for every partition of both topics, and every
-- identity row is joined, on every run. The same SET works on Confluent Cloud for a backfill.

SET 'sql.tables.scan.idle-timeout' = '0';

CREATE TABLE transactions_enriched AS
SELECT
  t.*,
  i.id_01,
  i.id_02,
  i.id_03,
  i.id_04,
  i.id_05,
  i.id_06,
  i.id_07,
  i.id_08,
  i.id_09,
  i.id_10,
  i.id_11,
  i.id_12,
  i.id_13,
  i.id_14,
  i.id_15,
  i.id_16,
  i.id_17,
  i.id_18,
  i.id_19,
  i.id_20,
  i.id_21,
  i.id_22,
  i.id_23,
  i.id_24,
  i.id_25,
  i.id_26,
  i.id_27,
  i.id_28,
  i.id_29,
  i.id_30,
  i.id_31,
  i.id_32,
  i.id_33,
  i.id_34,
  i.id_35,
  i.id_36,
  i.id_37,
  i.id_38,
  i.DeviceType,
  i.DeviceInfo
FROM transactions t
LEFT JOIN identities i
  ON t.TransactionID = i.TransactionID
 AND i.$rowtime BETWEEN t.$rowtime - INTERVAL '1' MINUTE AND t.$rowtime + INTERVAL '1' MINUTE;
