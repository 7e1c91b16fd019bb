"""Event contracts: each event type's versioned payload model, owned by the service that
produces it, one module per producing service (``contracts.<service>``, types
``<service>.<entity>.<verb>``). Every service may import any of them; a service defines
contracts only in its own module. The machinery (registry, ``@contract``, ``Payload``,
JSON Schema export) is :mod:`kit.events.contracts`.

Importing this package registers every contract (``fnet events schemas`` relies on it).
The import rules are contracts in pyproject.toml ([tool.importlinter]): this package
imports only kit, and its modules import none of each other.
"""

from contracts import donations, network, partners

__all__ = ["donations", "network", "partners"]
