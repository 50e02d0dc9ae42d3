"""Imports every preset module so each registers itself; order here is detection order.

Order matters only on ties (``detect`` keeps the first best score): provider and gateway
formats with distinctive keys come first, the generic access logs last.
"""

from . import bedrock, vertex, azure, litellm, langfuse  # noqa: F401
from . import helicone, openrouter, cloudflare  # noqa: F401
from . import nginx, envoy  # noqa: F401

__all__: list[str] = []
