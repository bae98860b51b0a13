"""The registry's declarations, one module per system (``orchestration/datasets.py`` lists them)."""
