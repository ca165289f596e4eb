"""What one request did that webhooks care about.

WC_Webhook::process() skips a resource it already queued in the same request, so a topic fires
once per resource per request however many times the resource was saved.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Events:
    items: list[tuple[str, int]] = field(default_factory=list)

    def add(self, topic: str, resource_id: int) -> None:
        if (topic, resource_id) not in self.items:
            self.items.append((topic, resource_id))
