"""The scenario (Monte Carlo) model for probabilistic benefits: docs/METHOD.md section 4."""
