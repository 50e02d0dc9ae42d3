"""Scenario simulator: a synthetic LLM-API world with labelled distillation campaigns.

Nobody can ship a real provider's logs, so Hydrascope brings its own world to test and demo
in: developers, resellers, enterprises, evaluation bots, university labs and cloud-shared
accounts, plus hydra, low-and-slow and reseller-mixed campaigns. ``run_simulation`` writes the
export in any supported format and a truth file; nothing here imports Qt or touches the network.
"""

from .output import FORMATS
from .presets import PRESETS
from .run import SimSummary, run_simulation

__all__ = ["run_simulation", "PRESETS", "FORMATS", "SimSummary"]
