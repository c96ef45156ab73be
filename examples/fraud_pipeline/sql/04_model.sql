-- The fraud model behind an Azure ML online endpoint. The connection holds the endpoint URL
-- and its key (`ccflink flink connection create`, or CREATE CONNECTION); `make up` points it at
-- the local endpoint, Confluent Cloud at the real one: the statement is the same.

CREATE MODEL fraud_detection
INPUT (
  TransactionAmt DOUBLE,
  card1          DOUBLE,
  card2          DOUBLE,
  card3          DOUBLE,
  card5          DOUBLE,
  addr1          DOUBLE,
  addr2          DOUBLE,
  dist1          DOUBLE,
  dist2          DOUBLE,
  C1             DOUBLE,
  C2             DOUBLE,
  C4             DOUBLE,
  C5             DOUBLE,
  C6             DOUBLE,
  C9             DOUBLE,
  C11            DOUBLE,
  C13            DOUBLE,
  C14            DOUBLE,
  D1             DOUBLE,
  D4             DOUBLE,
  D10            DOUBLE,
  D15            DOUBLE,
  id_01          DOUBLE,
  id_02          DOUBLE,
  id_05          DOUBLE,
  id_06          DOUBLE,
  id_11          DOUBLE,
  id_13          DOUBLE,
  id_17          DOUBLE,
  id_19          DOUBLE,
  id_20          DOUBLE,
  DT_D           DOUBLE,
  DT_W           DOUBLE,
  DT_M           DOUBLE,
  ProductCD      STRING,
  card4          STRING,
  card6          STRING,
  P_emaildomain  STRING,
  R_emaildomain  STRING,
  M4             STRING,
  M5             STRING,
  M6             STRING,
  DeviceType     STRING,
  DeviceInfo     STRING,
  id_12          STRING,
  id_15          STRING,
  id_31          STRING,
  id_38          STRING
)
OUTPUT (
  predicted_fraud   INT,
  fraud_probability DOUBLE
)
COMMENT 'Gradient-boosted fraud classifier (ONNX) served by an Azure ML scoring script'
WITH (
  'provider' = 'azureml',
  'task' = 'classification',
  'azureml.connection' = 'fraud-detection-endpoint'
);
