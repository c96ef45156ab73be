"""A Confluent-compatible Schema Registry: REST API, schemas stored in a compacted topic."""
