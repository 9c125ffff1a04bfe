"""Prometheus metrics, named `lantau_<process>_<what>`, served at `GET /metrics`.

A metric is a name, a help text and a function that reads its current value (a gauge read
at scrape time), so nothing has to be kept in step by hand. Services register theirs; the
text format is Prometheus' exposition format 0.0.4.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Callable, Mapping

log = logging.getLogger("lantau.metrics")

Labels = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Gauge:
    name: str
    help: str
    read: Callable[[], float | Mapping[tuple[tuple[str, str], ...], float]]


@dataclass
class MetricsRegistry:
    gauges: dict[str, Gauge] = field(default_factory=dict)

    def gauge(self, name: str, help_text: str, read: Callable[[], float | Mapping[tuple[tuple[str, str], ...], float]]) -> None:
        if not name.startswith("lantau_"):
            raise ValueError(f"metric {name!r} must be named lantau_<process>_<what>")
        self.gauges[name] = Gauge(name, help_text, read)

    def render(self) -> str:
        lines: list[str] = []
        for gauge in self.gauges.values():
            try:
                value = gauge.read()
            except Exception as exc:  # noqa: BLE001 - one broken reading must not hide the others
                log.debug("metric %s unavailable: %s", gauge.name, exc)
                continue
            lines.append(f"# HELP {gauge.name} {gauge.help}")
            lines.append(f"# TYPE {gauge.name} gauge")
            samples = value.items() if isinstance(value, Mapping) else [((), value)]
            for labels, number in samples:
                label_text = ",".join(f'{k}="{v}"' for k, v in labels)
                lines.append(f"{gauge.name}{{{label_text}}} {_number(number)}" if label_text else f"{gauge.name} {_number(number)}")
        return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return repr(int(value)) if float(value).is_integer() else repr(float(value))
