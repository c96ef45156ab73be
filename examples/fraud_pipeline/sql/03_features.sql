-- Time features: TransactionDT counts seconds from an undisclosed start, taken as
-- 2017-11-30 00:00:00 as in most public work on this dataset.

CREATE TABLE transactions_features AS
SELECT
  *,
  EXTRACT(DOY FROM TIMESTAMPADD(SECOND, CAST(TransactionDT AS INTEGER), TIMESTAMP '2017-11-30 00:00:00')) AS DT_D,
  EXTRACT(DOW FROM TIMESTAMPADD(SECOND, CAST(TransactionDT AS INTEGER), TIMESTAMP '2017-11-30 00:00:00')) AS DT_W,
  EXTRACT(MONTH FROM TIMESTAMPADD(SECOND, CAST(TransactionDT AS INTEGER), TIMESTAMP '2017-11-30 00:00:00')) AS DT_M
FROM transactions_enriched;
