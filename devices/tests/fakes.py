"""A broker admin that records the commands it is given, for tests without a broker."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from devices.broker_admin import BrokerAdmin, BrokerAdminError
from devices.dynsec import Command


@dataclass(frozen=True)
class RecordingBroker(BrokerAdmin):
    host: str = "broker.test"
    port: int = 1883
    username: str = "autoforge-admin"
    password: str = field(default="admin-password", repr=False)
    reserved_usernames: frozenset[str] = frozenset({"autoforge-admin", "autoforge-ingest"})
    sent: list[list[Command]] = field(default_factory=list)
    #: When set, every call fails with it, as an unreachable broker does.
    failure: str = ""

    def run(self, commands: Sequence[Command]) -> list[dict]:
        if self.failure:
            raise BrokerAdminError(self.failure)
        self.sent.append(list(commands))
        return [{"command": command["command"]} for command in commands]
