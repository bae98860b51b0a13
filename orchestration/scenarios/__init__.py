"""The scenario (Monte Carlo) model for probabilistic benefits: ../shared/ROI-METHOD.md section 4."""
