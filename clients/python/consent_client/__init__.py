"""consentd's backend client and local consent mirror (issue #15), standard library only."""
from .client import ConsentClient, Event, Verdict
from .core import Core
from .errors import ConsentError, CoreError
from .mirror import Mirror

__all__ = ["ConsentClient", "ConsentError", "Core", "CoreError", "Event", "Mirror", "Verdict"]
