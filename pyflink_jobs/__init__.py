"""The pipeline: Confluent-dialect SQL files, the ML_PREDICT table function, job submission."""
