"""The emulator's misbehaviour knobs (faults, latency) and its counters, as a mixin.

``WorkfrontEmulator`` inherits these; they only need its ``faults`` and ``counters``.
"""

from __future__ import annotations

from typing import overload

from django_workfront_oauth.constants import PROVIDER_ADOBE_IMS, PROVIDER_ADOBE_IMS_S2S

from .common import CLIENT_CREDENTIALS, SERVERS
from .faults import API, IMS, TOKEN, FaultPlan
from .stats import Stats, StatsRecorder


class LatencyKnob:
    """A read/write attribute: the seconds added before every response on one fault channel."""

    def __init__(self, channel: str, doc: str) -> None:
        self.channel = channel
        self.__doc__ = doc

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> LatencyKnob: ...

    @overload
    def __get__(self, obj: FaultKnobs, objtype: type | None = None) -> float: ...

    def __get__(self, obj: FaultKnobs | None, objtype: type | None = None) -> LatencyKnob | float:
        """The channel's latency (the knob itself on the class)."""
        if obj is None:
            return self
        return obj.faults.latency(self.channel)

    def __set__(self, obj: FaultKnobs, seconds: float) -> None:
        """Change the channel's latency."""
        obj.faults.set_latency(self.channel, seconds)


class FaultKnobs:
    """Injected faults, latency and counters of a running emulator (a mixin)."""

    faults: FaultPlan
    counters: StatsRecorder

    token_latency = LatencyKnob(TOKEN, "Seconds added before every token response.")
    api_latency = LatencyKnob(API, "Seconds added before every API response.")
    ims_latency = LatencyKnob(
        IMS, "Seconds added before every IMS token, revoke and userinfo response."
    )

    def inject_token_fault(
        self,
        kind: str,
        count: int = 1,
        *,
        grant_type: str | None = None,
        provider: str | None = None,
    ) -> None:
        """Answer the next ``count`` token requests (of ``grant_type`` only) with a fault.

        ``provider="workfront"`` or ``"adobe_ims"`` limits it to one token endpoint; by
        default it is served by whichever token endpoint is asked first. ``"adobe_ims_s2s"``
        is short for ``"adobe_ims"`` with ``grant_type="client_credentials"``.
        """
        if provider == PROVIDER_ADOBE_IMS_S2S:
            if grant_type not in (None, CLIENT_CREDENTIALS):
                raise ValueError(f"the Server-to-Server credential never asks for {grant_type}")
            provider, grant_type = PROVIDER_ADOBE_IMS, CLIENT_CREDENTIALS
        if provider is not None and provider not in SERVERS:
            known = " or ".join(repr(server) for server in (*SERVERS, PROVIDER_ADOBE_IMS_S2S))
            raise ValueError(f"unknown provider {provider!r}; use {known}")
        self.faults.inject(TOKEN, kind, count, grant_type, provider)

    def inject_api_fault(self, kind: str, count: int = 1) -> None:
        """Answer the next ``count`` API requests with a fault."""
        self.faults.inject(API, kind, count)

    def clear_faults(self) -> None:
        """Drop every fault not served yet."""
        self.faults.clear()

    @property
    def stats(self) -> Stats:
        """A snapshot of the counters."""
        return self.counters.snapshot()

    def reset_stats(self) -> None:
        """Zero every counter."""
        self.counters.reset()
