"""Azure ML online-endpoint look-alike hosting Azure ML scoring scripts; model training."""
