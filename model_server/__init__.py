"""Azure ML online-endpoint look-alike hosting Azure ML scoring scripts; model training.

`server/` is the endpoint (laid out like azureml-inference-server-http's `server` package),
`__main__` runs it under gunicorn, `score.py` is the fraud model's scoring script, and
`train.py` / `features.py` build that model.
"""
