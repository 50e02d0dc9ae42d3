"""Imports every preset module so each registers itself; order here is detection order."""
