"""Whether this process is draining: it was told to stop, and fails readiness while it still
serves, so that load balancers move its traffic before it stops accepting connections."""

from dataclasses import dataclass


@dataclass
class DrainState:
    # A plain flag: the server's signal handler sets it, and a signal handler must not
    # take a lock that the code it interrupted may hold.
    draining: bool = False


_state = DrainState()


def begin_draining() -> None:
    """Mark this process as draining (once set, it stays set until the process exits)."""
    _state.draining = True


def is_draining() -> bool:
    return _state.draining
