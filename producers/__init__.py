"""CSV (real Kaggle files or synthetic) -> Avro in Confluent wire format -> Kafka."""
