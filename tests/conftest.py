"""Shared test set-up: Qt offscreen by default (pytest-qt creates the app lazily)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
