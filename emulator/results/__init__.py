"""Predictions as rows: read them (topic or export file), diff two runs, score one run.

The platform knows no pipeline: topic and column names are parameters. The front ends
(`ccflink compare`, `ccflink evaluate`) supply the demo's names as their defaults.
"""
