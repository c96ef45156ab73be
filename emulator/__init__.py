"""The local "Confluent Cloud": services (Kafka, Schema Registry, Flink) and the SQL dialect."""
