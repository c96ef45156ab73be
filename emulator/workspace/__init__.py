"""The browser workspace: cells of Confluent-dialect SQL run through the statement engine,
with the catalog, statements and topics beside them (`ccflink up` serves it on loopback)."""
