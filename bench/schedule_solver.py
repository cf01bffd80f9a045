"""Scheduling a large matchmaking day: time, value and the gap to the proven bound.

    .venv/bin/python -m bench.schedule_solver [--seed N] [--time-limit 60] [--save DIR]
        [--compact-budget 10]

Generates the issue's benchmark instance (200 buyers, 600 suppliers, 24 slots, 80
tables, 6,000 requests), solves it with ``matching.events.scheduling.solve``, runs the tests'
independent checker on the JSON output, and prints one JSON line: seconds (in all,
and until the value was final, before compaction), meetings placed and requested,
objective, proven upper bound, gap in percent, status, and mean idle slots and idle
runs per participant before and after compaction.

The instance is made to look like a real day, so that supplier caps, the number of
tables and availability all bind:

* supplier popularity follows a Zipf-like law (rank^-0.8), so a few suppliers are
  asked by most buyers and their cap of 12 meetings decides who sees them;
* each buyer asks for about 30 suppliers (normal, sd 8, at least 5; 6,000 in all);
* weights follow the product rule "mutual requests and high priorities first, then
  match score": 4 for a mutual request (the supplier asked the buyer too), plus 0, 1
  or 2 for the buyer's priority (low, medium, high), plus the match score in (0, 1);
  about 12 % of pairs are mutual;
* about 20 % of participants cannot stay all day: half of them come for the morning
  or the afternoon only, the others miss a block of 2 to 6 slots;
* a few meetings (10) are pinned, as an officer's locked meetings would be.

The instance is a pure function of the seed; ``--save DIR`` writes it and the
schedule as JSON so that the ``flask events solve`` command can be timed on the same
input.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from pathlib import Path
from typing import Any


def generate(
    seed: int = 1,
    *,
    buyers: int = 200,
    suppliers: int = 600,
    slots: int = 24,
    tables: int = 80,
    requests: int = 6000,
    cap: int = 12,
    pins: int = 10,
    partial_share: float = 0.2,
    mutual_share: float = 0.12,
) -> dict[str, Any]:
    """A realistic instance as JSON data (the format ``parse_instance`` reads)."""
    rng = random.Random(seed)
    buyer_ids = [f"B{i + 1}" for i in range(buyers)]
    supplier_ids = [f"S{i + 1}" for i in range(suppliers)]
    popularity = [1.0 / (rank + 1) ** 0.8 for rank in range(suppliers)]
    rng.shuffle(popularity)
    per_buyer = requests / buyers
    low, high = max(1, min(5, suppliers)), min(suppliers, int(per_buyer * 2) + 1)
    counts = [min(high, max(low, round(rng.gauss(per_buyer, per_buyer * 0.27)))) for _ in buyer_ids]
    while sum(counts) != requests:
        i = rng.randrange(buyers)
        if sum(counts) > requests and counts[i] > low:
            counts[i] -= 1
        elif sum(counts) < requests and counts[i] < high:
            counts[i] += 1

    meetings: list[dict[str, Any]] = []
    for buyer, count in zip(buyer_ids, counts, strict=True):
        chosen: set[int] = set()
        while len(chosen) < count:
            chosen.update(rng.choices(range(suppliers), weights=popularity, k=count - len(chosen)))
        for j in sorted(chosen):
            score = rng.betavariate(4, 3)
            priority = rng.choices((1, 2, 3), weights=(3, 5, 2))[0]
            mutual = rng.random() < mutual_share
            weight = 4 * mutual + (priority - 1) + score
            meetings.append(
                {
                    "id": f"M{len(meetings) + 1}",
                    "a": buyer,
                    "b": supplier_ids[j],
                    "weight": round(weight, 4),
                }
            )

    participants: list[dict[str, Any]] = []
    for pid in buyer_ids + supplier_ids:
        entry: dict[str, Any] = {"id": pid}
        if rng.random() < partial_share:
            if rng.random() < 0.5:
                half = range(0, slots // 2) if rng.random() < 0.5 else range(slots // 2, slots)
                entry["available"] = list(half)
            else:
                length = rng.randint(2, min(6, slots - 1))
                start = rng.randrange(slots - length + 1)
                entry["available"] = [s for s in range(slots) if not start <= s < start + length]
        participants.append(entry)

    # Pins: distinct tables, participants free and available, as a locked schedule is.
    available = {p["id"]: set(p.get("available", range(slots))) for p in participants}
    taken_tables: set[tuple[int, int]] = set()
    busy: set[tuple[str, int]] = set()
    for meeting in rng.sample(meetings, min(pins * 5, len(meetings))):
        if pins == 0:
            break
        a, b = meeting["a"], meeting["b"]
        common = sorted(available[a] & available[b])
        if not common:
            continue
        slot = rng.choice(common)
        table = rng.randrange(tables)
        if (slot, table) in taken_tables or (a, slot) in busy or (b, slot) in busy:
            continue
        taken_tables.add((slot, table))
        busy.update({(a, slot), (b, slot)})
        meeting["pinned"] = {"slot": slot, "table": table}
        pins -= 1
    return {
        "slots": slots,
        "tables": tables,
        "max_meetings_per_participant": cap,
        "participants": participants,
        "meetings": meetings,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument(
        "--compact-budget", type=float, default=10.0, help="seconds for compactness at most"
    )
    parser.add_argument("--save", type=Path, help="write instance and schedule JSON here")
    args = parser.parse_args()

    from matching.events.scheduling import parse_instance, solve
    from tests.test_scheduling import check_schedule

    data = generate(args.seed)
    phases: dict[str, float] = {}
    started = time.perf_counter()

    def progress(phase: str, fraction: float) -> None:
        phases.setdefault(phase, time.perf_counter() - started)

    instance = parse_instance(data)
    schedule = solve(
        instance, time_limit=args.time_limit, progress=progress, compact_budget=args.compact_budget
    )
    seconds = time.perf_counter() - started
    output = json.loads(json.dumps(schedule.as_dict()))
    problems = check_schedule(data, output)
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        (args.save / f"instance-{args.seed}.json").write_text(json.dumps(data))
        (args.save / f"schedule-{args.seed}.json").write_text(json.dumps(output))
    stats = schedule.stats
    result = {
        "seed": args.seed,
        "time_limit": args.time_limit,
        "seconds": round(seconds, 2),
        "milp_seconds": round(stats.milp_seconds, 2),
        # Everything before compaction: the value is final from here on.
        "seconds_to_value": round(phases.get("compaction", seconds), 2),
        "placed": len(output["assignments"]),
        "requested": len(data["meetings"]),
        "capacity": data["slots"] * data["tables"],
        "objective": round(output["objective"], 4),
        "upper_bound": round(output["upper_bound"], 4),
        "gap_percent": round(100 * schedule.gap, 4),
        "status": output["status"],
        "greedy_objective": round(stats.greedy_objective, 4),
        "selected": stats.selected,
        "dropped": stats.dropped,
        "idle_slots_before": round(stats.idle_slots_before, 3),
        "idle_slots_after": round(stats.idle_slots_after, 3),
        "idle_gaps_before": round(stats.idle_gaps_before, 3),
        "idle_gaps_after": round(stats.idle_gaps_after, 3),
        "checker": "ok" if not problems else problems[:5],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
    }
    print(json.dumps(result))
    if problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
