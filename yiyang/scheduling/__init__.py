"""Scheduling: the rostering optimiser (visits to caregivers, routed)."""
