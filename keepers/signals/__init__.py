"""Signals: market features, a strategy-selector network in numpy, target-weight strategies, and
the out-of-sample evaluation that says how good (or not) the model is."""
