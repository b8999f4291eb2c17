"""Synthetic data with planted truths: a housing survey and a tenant panel (``veerkracht synth``)."""
