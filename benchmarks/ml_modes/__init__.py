"""The parts of `benchmarks/ml_predict_modes.py`: one scoring job per way PyFlink runs
ML_PREDICT, and its rate and CPU."""
