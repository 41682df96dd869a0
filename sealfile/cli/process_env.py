"""The one change the command line makes to its own process environment, and why."""
from __future__ import annotations

import os

__all__ = ["quiet_grpc"]


def quiet_grpc() -> None:
    """Keep gRPC's C core (GCP KMS) from printing connection trouble to stderr, which helm-secrets merges
    into values; the per-key report already says what failed.

    The core reads ``GRPC_VERBOSITY`` from the C environment when it loads.  ``os.putenv`` sets it
    there without adding it to ``os.environ``, so the environment exec-env hands its command stays
    the user's, and the library (which programs import) never touches the process environment.
    """
    if "GRPC_VERBOSITY" not in os.environ:
        os.putenv("GRPC_VERBOSITY", "NONE")
