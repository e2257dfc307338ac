"""Pricing: rating usage under Orb's price models. Pure: no I/O, no storage, no clock."""

__all__: list[str] = []
