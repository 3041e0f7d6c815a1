"""Generator of the example delivery dataset shipped in the template.

The generated projects ship this data so the whole path runs on day one. It is synthetic, made
here with a fixed seed and only ``random.random()`` so the output is the same on every Python
version; ``tests/test_example_data.py`` checks the shipped CSVs still match.

Regenerate after changing this file:  ``uv run python tests/example_data.py``
"""

from __future__ import annotations

import csv
import io
import math
import random
from pathlib import Path

ROWS = 1000
SEED = 20261121
REGIONS = ("centre", "north", "south", "east", "west")
REGION_DELAY = {"centre": 0.0, "north": 4.0, "south": 2.0, "east": 6.0, "west": 3.0}
LATE_AFTER_MINUTES = 30.0
TEMPLATE_DATA = Path(__file__).resolve().parents[1] / "template" / "data" / "example"
FILES = {
    "classification": TEMPLATE_DATA
    / "{% if problem_type == 'classification' %}deliveries.csv{% endif %}",
    "regression": TEMPLATE_DATA / "{% if problem_type == 'regression' %}deliveries.csv{% endif %}",
}


def _normal(rng: random.Random) -> float:
    """Standard normal draw by Box-Muller, from ``random()`` only (stable across versions)."""
    u1 = 1.0 - rng.random()
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * rng.random())


def _rows(rng: random.Random) -> list[dict[str, object]]:
    rows = []
    for order_id in range(1, ROWS + 1):
        region = REGIONS[int(rng.random() * len(REGIONS))]
        distance = round(min(25.0, max(0.2, math.exp(1.2 + 0.6 * _normal(rng)))), 1)
        items = 1 + min(19, int(-3.0 * math.log(1.0 - rng.random())))
        hour = 8 + int(rng.random() * 15)
        rating = None if rng.random() < 0.08 else round(3.0 + 2.0 * rng.random(), 1)
        rush = 7.0 if hour in (12, 13, 18, 19, 20) else 0.0
        skill = 0.0 if rating is None else 2.0 * (rating - 4.0)
        minutes = 8.0 + 2.4 * distance + 0.8 * items + REGION_DELAY[region] + rush - skill
        minutes = round(max(5.0, minutes + 4.0 * _normal(rng)), 1)
        rows.append(
            {
                "order_id": order_id,
                "region": region,
                "distance_km": distance,
                "items": items,
                "hour": hour,
                "courier_rating": "" if rating is None else rating,
                "delivery_minutes": minutes,
                "arrival": "late" if minutes > LATE_AFTER_MINUTES else "on_time",
            }
        )
    return rows


def render(problem_type: str) -> str:
    """The CSV text for one problem type: same features, the target differs."""
    target = {"classification": "arrival", "regression": "delivery_minutes"}[problem_type]
    dropped = {"arrival", "delivery_minutes"} - {target}
    out = io.StringIO()
    rows = _rows(random.Random(SEED))
    fields = [name for name in rows[0] if name not in dropped]
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


if __name__ == "__main__":
    for kind, path in FILES.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(kind), encoding="utf-8")
        print(f"wrote {path.relative_to(TEMPLATE_DATA.parents[2])}")
