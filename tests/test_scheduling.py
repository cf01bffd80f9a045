"""Meeting scheduling: instance checks, and every schedule checked independently.

``check_schedule`` (with ``brute_force_optimum`` and ``mean_idle_slots``) is written
from the issue's rules, on the JSON input and output, and shares no code with
``matching.events.scheduling``: the tests call the solver's public functions and hand the JSON
they produce to the checker. The benchmark (``bench/schedule_solver.py``) runs the same
checker on its large instance.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections import Counter
from typing import Any

import pytest

from matching.events.scheduling import InstanceError, greedy_schedule, parse_instance, solve

# Nothing here reads the database: run in the first pass only (tests/conftest.py).
pytestmark = pytest.mark.no_database


def check_schedule(data: dict[str, Any], output: dict[str, Any]) -> list[str]:
    """Every rule a schedule must keep, one sentence per breach (empty when it holds)."""
    problems: list[str] = []
    if set(output) != {"status", "objective", "upper_bound", "assignments"}:
        problems.append(f"output keys are {sorted(output)}")
        return problems
    slots, tables = data["slots"], data["tables"]
    cap = data.get("max_meetings_per_participant")
    available = {
        p["id"]: set(p["available"]) if p.get("available") is not None else set(range(slots))
        for p in data["participants"]
    }
    meetings = {m["id"]: m for m in data["meetings"]}
    seen_meetings: set[Any] = set()
    seen_tables: set[tuple[int, int]] = set()
    seen_people: set[tuple[Any, int]] = set()
    load: Counter[Any] = Counter()
    total = 0.0
    for row in output["assignments"]:
        if set(row) != {"meeting", "slot", "table"}:
            problems.append(f"assignment keys are {sorted(row)}")
            continue
        mid, slot, table = row["meeting"], row["slot"], row["table"]
        if mid not in meetings:
            problems.append(f"unknown meeting {mid!r}")
            continue
        if mid in seen_meetings:
            problems.append(f"meeting {mid!r} placed twice")
        seen_meetings.add(mid)
        if type(slot) is not int or not 0 <= slot < slots:
            problems.append(f"meeting {mid!r}: slot {slot!r} out of range")
        if type(table) is not int or not 0 <= table < tables:
            problems.append(f"meeting {mid!r}: table {table!r} out of range")
        if (slot, table) in seen_tables:
            problems.append(f"table {table} double-booked in slot {slot}")
        seen_tables.add((slot, table))
        meeting = meetings[mid]
        for person in (meeting["a"], meeting["b"]):
            if (person, slot) in seen_people:
                problems.append(f"participant {person!r} double-booked in slot {slot}")
            seen_people.add((person, slot))
            if slot not in available[person]:
                problems.append(f"participant {person!r} is not available in slot {slot}")
            load[person] += 1
        pin = meeting.get("pinned")
        if pin and (pin["slot"], pin["table"]) != (slot, table):
            problems.append(f"pinned meeting {mid!r} moved to slot {slot}, table {table}")
        total += meeting["weight"]
    if cap is not None:
        for person, count in load.items():
            if count > cap:
                problems.append(f"participant {person!r} has {count} meetings, cap {cap}")
    for mid, meeting in meetings.items():
        if meeting.get("pinned") and mid not in seen_meetings:
            problems.append(f"pinned meeting {mid!r} is not placed")
    if not math.isclose(output["objective"], total, rel_tol=1e-9, abs_tol=1e-6):
        problems.append(f"objective {output['objective']} is not the placed weight {total}")
    if output["upper_bound"] < output["objective"] - 1e-6:
        problems.append(f"bound {output['upper_bound']} is below objective {output['objective']}")
    if output["status"] not in ("optimal", "feasible"):
        problems.append(f"status {output['status']!r}")
    if output["status"] == "optimal" and output["upper_bound"] - output["objective"] > 1e-4 * max(
        1.0, abs(output["upper_bound"])
    ):
        problems.append("status optimal with a gap to the bound")
    return problems


def mean_idle_slots(data: dict[str, Any], output: dict[str, Any]) -> float:
    """Idle slots (available, no meeting, between the first and last meeting) per person."""
    slots = data["slots"]
    available = {
        p["id"]: set(p["available"]) if p.get("available") is not None else set(range(slots))
        for p in data["participants"]
    }
    meetings = {m["id"]: m for m in data["meetings"]}
    busy: dict[Any, set[int]] = {}
    for row in output["assignments"]:
        meeting = meetings[row["meeting"]]
        for person in (meeting["a"], meeting["b"]):
            busy.setdefault(person, set()).add(row["slot"])
    if not busy:
        return 0.0
    idle = 0
    for person, taken in busy.items():
        idle += sum(
            1
            for s in range(min(taken), max(taken) + 1)
            if s not in taken and s in available[person]
        )
    return idle / len(busy)


def brute_force_optimum(data: dict[str, Any]) -> float:
    """The best value by trying every slot (or none) for every meeting: tiny instances only.

    Tables are interchangeable apart from pins, so a slot takes as many meetings as it
    has tables; pinned meetings are fixed where they are pinned.
    """
    slots, tables = data["slots"], data["tables"]
    cap = data.get("max_meetings_per_participant") or slots
    available = {
        p["id"]: set(p["available"]) if p.get("available") is not None else set(range(slots))
        for p in data["participants"]
    }
    used = [0] * slots
    busy: set[tuple[Any, int]] = set()
    load: Counter[Any] = Counter()
    fixed = 0.0
    free = []
    for m in data["meetings"]:
        if m.get("pinned"):
            s = m["pinned"]["slot"]
            used[s] += 1
            busy.update({(m["a"], s), (m["b"], s)})
            load.update([m["a"], m["b"]])
            fixed += m["weight"]
        else:
            free.append(m)
    best = 0.0

    def search(i: int, value: float) -> None:
        nonlocal best
        if value + sum(m["weight"] for m in free[i:]) <= best:
            return
        if i == len(free):
            best = value
            return
        m = free[i]
        a, b = m["a"], m["b"]
        if load[a] < cap and load[b] < cap:
            for s in available[a] & available[b]:
                if used[s] < tables and (a, s) not in busy and (b, s) not in busy:
                    used[s] += 1
                    busy.update({(a, s), (b, s)})
                    load.update([a, b])
                    search(i + 1, value + m["weight"])
                    used[s] -= 1
                    busy.difference_update({(a, s), (b, s)})
                    load.subtract([a, b])
        search(i + 1, value)

    search(0, 0.0)
    return fixed + best


def random_instance(
    seed: int,
    *,
    slots: int = 8,
    tables: int = 6,
    people: int = 20,
    meetings: int = 60,
    cap: int | None = 4,
    bipartite: bool = True,
    partial: float = 0.3,
    pins: int = 3,
) -> dict[str, Any]:
    """Random instance; pins are drawn so that they can all hold together."""
    rng = random.Random(seed)
    ids = [f"P{i}" if i % 3 else i for i in range(people)]  # ids may be numbers too
    participants: list[dict[str, Any]] = []
    for pid in ids:
        entry: dict[str, Any] = {"id": pid}
        if rng.random() < partial:
            entry["available"] = sorted(rng.sample(range(slots), rng.randint(1, slots)))
        participants.append(entry)
    half = people // 2
    rows: list[dict[str, Any]] = []
    for k in range(meetings):
        if bipartite:
            a, b = ids[rng.randrange(half)], ids[half + rng.randrange(people - half)]
        else:
            a, b = rng.sample(ids, 2)
        rows.append({"id": f"M{k}", "a": a, "b": b, "weight": round(rng.uniform(0.1, 6), 3)})
    available = {p["id"]: set(p.get("available", range(slots))) for p in participants}
    taken: set[tuple[int, int]] = set()
    busy: set[tuple[Any, int]] = set()
    load: Counter[Any] = Counter()
    for m in rng.sample(rows, len(rows)):
        if pins == 0:
            break
        a, b = m["a"], m["b"]
        common = sorted(available[a] & available[b])
        if not common or (cap is not None and max(load[a], load[b]) >= cap):
            continue
        s, t = rng.choice(common), rng.randrange(tables)
        if (s, t) in taken or (a, s) in busy or (b, s) in busy:
            continue
        taken.add((s, t))
        busy.update({(a, s), (b, s)})
        load.update([a, b])
        m["pinned"] = {"slot": s, "table": t}
        pins -= 1
    data: dict[str, Any] = {
        "slots": slots,
        "tables": tables,
        "participants": participants,
        "meetings": rows,
    }
    if cap is not None:
        data["max_meetings_per_participant"] = cap
    return data


def run(data: dict[str, Any], **kwargs: Any) -> tuple[dict[str, Any], Any]:
    """Solve as the command does: parse, solve, and the output through JSON."""
    kwargs.setdefault("time_limit", 5)
    kwargs.setdefault("compact_budget", 0.3)
    schedule = solve(parse_instance(data), **kwargs)
    return json.loads(json.dumps(schedule.as_dict())), schedule


# ----------------------------------------------------------------------------- parsing

EXAMPLE = {
    "slots": 4,
    "tables": 2,
    "max_meetings_per_participant": 3,
    "participants": [
        {"id": "B1", "available": [0, 1, 2]},
        {"id": "B2"},
        {"id": "S1"},
        {"id": "S2", "available": [1, 3]},
    ],
    "meetings": [
        {"id": "M1", "a": "B1", "b": "S1", "weight": 3.5, "pinned": {"slot": 1, "table": 1}},
        {"id": "M2", "a": "B1", "b": "S2", "weight": 2.0},
        {"id": "M3", "a": "B2", "b": "S1", "weight": 1.25},
        {"id": "M4", "a": "B2", "b": "S2", "weight": 0.5},
    ],
}


def with_changes(**changes: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(EXAMPLE))
    data.update(changes)
    return data


def test_example_parses_and_missing_availability_means_every_slot():
    instance = parse_instance(EXAMPLE)
    assert instance.slots == 4 and instance.tables == 2
    assert instance.max_meetings_per_participant == 3
    assert instance.by_id["B2"].available == frozenset(range(4))
    assert instance.by_id["S2"].available == frozenset({1, 3})
    assert instance.meetings[0].pinned is not None and instance.meetings[0].pinned.table == 1
    output, _ = run(EXAMPLE)
    assert check_schedule(EXAMPLE, output) == []
    assert output["status"] == "optimal"
    assert output["objective"] == pytest.approx(brute_force_optimum(EXAMPLE))
    assert {"meeting": "M1", "slot": 1, "table": 1} in output["assignments"]


def _meeting(mid: str, a: Any, b: Any, **extra: Any) -> dict[str, Any]:
    return {"id": mid, "a": a, "b": b, "weight": 1.0, **extra}


INVALID = {
    "unknown participant": (
        with_changes(meetings=[_meeting("M9", "B1", "S9")]),
        ("M9", "S9", "unknown"),
    ),
    "same participant on both sides": (
        with_changes(meetings=[_meeting("M9", "B1", "B1")]),
        ("M9", "B1"),
    ),
    "available slot out of range": (
        with_changes(participants=[{"id": "B1", "available": [0, 4]}]),
        ("B1", "4", "out of range"),
    ),
    "pinned slot out of range": (
        with_changes(meetings=[_meeting("M9", "B1", "S1", pinned={"slot": 7, "table": 0})]),
        ("M9", "7", "out of range"),
    ),
    "pinned table out of range": (
        with_changes(meetings=[_meeting("M9", "B2", "S1", pinned={"slot": 0, "table": 2})]),
        ("M9", "table", "out of range"),
    ),
    "two pins on one table": (
        with_changes(
            meetings=[
                _meeting("M8", "B1", "S1", pinned={"slot": 0, "table": 1}),
                _meeting("M9", "B2", "S2", pinned={"slot": 0, "table": 1}),
            ]
        ),
        ("M8", "M9", "table 1"),
    ),
    "participant pinned twice in a slot": (
        with_changes(
            meetings=[
                _meeting("M8", "B2", "S1", pinned={"slot": 3, "table": 0}),
                _meeting("M9", "B2", "S2", pinned={"slot": 3, "table": 1}),
            ]
        ),
        ("B2", "M8", "M9"),
    ),
    "pin in a slot the participant cannot attend": (
        with_changes(meetings=[_meeting("M9", "B1", "S2", pinned={"slot": 3, "table": 0})]),
        ("M9", "B1", "not available"),
    ),
    "pins over the cap": (
        with_changes(
            max_meetings_per_participant=1,
            meetings=[
                _meeting("M8", "B2", "S1", pinned={"slot": 0, "table": 0}),
                _meeting("M9", "B2", "S2", pinned={"slot": 1, "table": 0}),
            ],
        ),
        ("B2", "more than 1"),
    ),
    "meeting listed twice": (
        with_changes(meetings=[_meeting("M9", "B1", "S1"), _meeting("M9", "B2", "S1")]),
        ("M9", "twice"),
    ),
    "participant listed twice": (
        with_changes(participants=[{"id": "B1"}, {"id": "B1"}]),
        ("B1", "twice"),
    ),
    "no slots": (with_changes(slots=0), ("slots",)),
    "slots not a number": (with_changes(slots=True), ("slots",)),
    "tables missing": ({k: v for k, v in EXAMPLE.items() if k != "tables"}, ("tables",)),
    "negative weight": (
        with_changes(meetings=[{**_meeting("M9", "B1", "S1"), "weight": -1}]),
        ("M9", "weight"),
    ),
    "weight not a number": (
        with_changes(meetings=[{**_meeting("M9", "B1", "S1"), "weight": "high"}]),
        ("M9", "weight"),
    ),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_instances_are_refused_with_a_clear_message(case):
    data, words = INVALID[case]
    with pytest.raises(InstanceError) as error:
        parse_instance(data)
    for word in words:
        assert word in str(error.value), (case, str(error.value))


# ----------------------------------------------------------------------------- schedules

SHAPES = [
    {},
    {"bipartite": False},
    {"cap": None, "tables": 3},
    {"slots": 12, "tables": 10, "people": 40, "meetings": 200, "cap": 6, "pins": 8},
    {"slots": 4, "tables": 8, "cap": 4, "partial": 0.6, "bipartite": False},
    {"slots": 6, "tables": 2, "people": 10, "meetings": 40, "pins": 0},
    {"slots": 16, "tables": 30, "people": 80, "meetings": 400, "cap": 8, "partial": 0.5},
]


@pytest.mark.parametrize("shape", range(len(SHAPES)))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_schedules_pass_the_independent_checker(shape, seed):
    data = random_instance(seed * 100 + shape, **SHAPES[shape])
    output, schedule = run(data, time_limit=3)
    assert check_schedule(data, output) == []
    assert output["status"] in ("optimal", "feasible")
    # Never worse than the greedy schedule it starts from, which is valid on its own.
    greedy = json.loads(json.dumps(greedy_schedule(parse_instance(data)).as_dict()))
    assert check_schedule(data, greedy) == []
    assert output["objective"] >= greedy["objective"] - 1e-9
    assert output["upper_bound"] <= greedy["upper_bound"] + 1e-9
    # The idle time it reports is the idle time of the schedule it returns.
    assert schedule.stats.idle_slots_after == pytest.approx(mean_idle_slots(data, output))


@pytest.mark.parametrize("seed", range(16))
def test_tiny_instances_reach_the_brute_force_optimum_under_a_valid_bound(seed):
    rng = random.Random(seed)
    data = random_instance(
        seed,
        slots=rng.choice([2, 3, 4]),
        tables=rng.choice([1, 2, 3]),
        people=rng.choice([4, 5, 6]),
        meetings=rng.choice([5, 7, 9]),
        cap=rng.choice([None, 1, 2, 3]),
        bipartite=seed % 2 == 0,
        partial=0.4,
        pins=rng.choice([0, 1, 2]),
    )
    best = brute_force_optimum(data)
    output, _ = run(data, time_limit=3)
    assert check_schedule(data, output) == []
    assert output["upper_bound"] >= best - 1e-9
    assert output["objective"] == pytest.approx(best)
    if output["status"] == "optimal":
        assert output["upper_bound"] == pytest.approx(best)


def test_output_is_exactly_the_documented_format():
    output, schedule = run(EXAMPLE)
    assert list(output) == ["status", "objective", "upper_bound", "assignments"]
    assert all(list(row) == ["meeting", "slot", "table"] for row in output["assignments"])
    assert output == schedule.as_dict()
    assert schedule.report()["gap_percent"] == 0
    assert schedule.report()["placed"] == len(output["assignments"])


def test_meetings_that_cannot_or_need_not_happen_are_absent():
    data = with_changes(
        meetings=[
            _meeting("M1", "B1", "S2"),  # B1 comes in slots 0-2, S2 in 1 and 3: slot 1
            {**_meeting("M2", "B1", "S1"), "weight": 0},  # no value
            _meeting("M3", "B2", "S2"),
            {**_meeting("M4", "B1", "B2"), "weight": 2},  # buyer meets buyer: allowed
        ],
        participants=[
            {"id": "B1", "available": [0, 1]},
            {"id": "B2"},
            {"id": "S1"},
            {"id": "S2", "available": [3]},
        ],
    )
    output, _ = run(data)
    assert check_schedule(data, output) == []
    placed = {row["meeting"] for row in output["assignments"]}
    assert placed == {"M3", "M4"}  # M1: no common slot; M2: weight 0
    assert output["status"] == "optimal" and output["objective"] == pytest.approx(3.0)

    empty = {"slots": 3, "tables": 1, "participants": [], "meetings": []}
    output, _ = run(empty)
    assert output == {"status": "optimal", "objective": 0, "upper_bound": 0, "assignments": []}


def test_resolving_keeps_locked_meetings_where_they_are():
    """An officer locks some meetings where the solver put them, moves one by hand,
    removes another, and re-runs the solver around them."""
    data = random_instance(7, slots=10, tables=8, people=40, meetings=220, cap=5, pins=0)
    first, _ = run(data)
    assert check_schedule(data, first) == []
    rows = first["assignments"]
    locked = {row["meeting"]: row for row in rows[::4]}
    removed = rows[1]["meeting"]
    again = json.loads(json.dumps(data))
    again["meetings"] = [m for m in again["meetings"] if m["id"] != removed]
    for m in again["meetings"]:
        if m["id"] in locked:
            m["pinned"] = {"slot": locked[m["id"]]["slot"], "table": locked[m["id"]]["table"]}
    second, _ = run(again)
    assert check_schedule(again, second) == []
    where = {row["meeting"]: (row["slot"], row["table"]) for row in second["assignments"]}
    for mid, row in locked.items():
        assert where[mid] == (row["slot"], row["table"])
    assert removed not in where
    # The first schedule without the removed meeting still fits, so a proven optimum
    # cannot be worth less.
    weights = {m["id"]: m["weight"] for m in data["meetings"]}
    if second["status"] == "optimal":
        assert second["objective"] >= first["objective"] - weights[removed] - 1e-9


def test_progress_is_reported_in_order_up_to_done():
    calls: list[tuple[str, float]] = []
    data = random_instance(3, bipartite=False, tables=3)
    solve(
        parse_instance(data), time_limit=2, compact_budget=0.2, progress=lambda *a: calls.append(a)
    )
    phases = [phase for phase, _ in calls]
    fractions = [fraction for _, fraction in calls]
    assert phases[0] == "greedy" and calls[-1] == ("done", 1.0)
    assert {"selection", "slots", "compaction", "tables"} <= set(phases)
    assert fractions == sorted(fractions) and fractions[0] >= 0 and fractions[-1] <= 1


def test_find_conflicts_refuses_hand_edits_that_break_a_rule():
    from matching.events.scheduling import find_conflicts

    instance = parse_instance(with_changes(max_meetings_per_participant=1))
    good = [("M1", 1, 1), ("M4", 3, 0)]
    assert find_conflicts(instance, good) == []
    assert any("table 1" in p for p in find_conflicts(instance, [*good, ("M3", 1, 1)]))
    assert any("'S1'" in p for p in find_conflicts(instance, [*good, ("M3", 1, 0)]))
    assert any("not available" in p for p in find_conflicts(instance, [("M2", 3, 0)]))
    assert any("more than 1" in p for p in find_conflicts(instance, [*good, ("M2", 2, 0)]))
    assert any("unknown" in p for p in find_conflicts(instance, [("M7", 0, 0)]))


def test_without_a_milp_answer_the_greedy_schedule_is_returned(monkeypatch):
    """As when HiGHS reaches the time limit before finding any selection."""
    import matching.events.scheduling as scheduling

    class NoAnswer:
        x = None
        fun = None
        status = 1
        mip_dual_bound = None
        message = "Time limit reached."

    monkeypatch.setattr(scheduling, "milp", lambda *args, **kwargs: NoAnswer())
    data = random_instance(11, slots=6, tables=4, people=30, meetings=120, cap=4)
    output, schedule = run(data, time_limit=2)
    assert check_schedule(data, output) == []
    assert schedule.stats.method == "greedy"
    greedy = greedy_schedule(parse_instance(data))
    assert output["objective"] >= greedy.objective - 1e-9
    assert output["upper_bound"] == pytest.approx(greedy.upper_bound)  # the cheap bound


def test_compaction_keeps_the_value_and_shortens_the_days():
    from bench.schedule_solver import generate

    data = generate(3, buyers=40, suppliers=120, slots=12, tables=20, requests=900, cap=8)
    plain, plain_schedule = run(data, time_limit=20, compact_budget=0)
    compact, compact_schedule = run(data, time_limit=20, compact_budget=2)
    assert check_schedule(data, plain) == [] and check_schedule(data, compact) == []
    assert compact["objective"] == pytest.approx(plain["objective"])
    before, after = mean_idle_slots(data, plain), mean_idle_slots(data, compact)
    assert before == pytest.approx(compact_schedule.stats.idle_slots_before)
    assert after == pytest.approx(compact_schedule.stats.idle_slots_after)
    assert after < before


def test_a_scaled_down_benchmark_day_is_solved_within_one_percent():
    from bench.schedule_solver import generate

    data = generate(5, buyers=50, suppliers=150, slots=24, tables=20, requests=1500, cap=12)
    output, schedule = run(data, time_limit=20)
    assert check_schedule(data, output) == []
    assert output["upper_bound"] - output["objective"] <= 0.01 * output["upper_bound"]
    assert schedule.stats.placed == len(output["assignments"])


def test_the_time_limit_is_kept():
    data = random_instance(
        5, slots=8, tables=200, people=120, meetings=2000, cap=8, bipartite=False, partial=0.5
    )
    instance = parse_instance(data)
    started = time.perf_counter()
    schedule = solve(instance, time_limit=3)
    elapsed = time.perf_counter() - started
    assert elapsed < 3 * 1.5 + 1  # the two shared cores may be busy: some slack
    assert check_schedule(data, json.loads(json.dumps(schedule.as_dict()))) == []
