"""Matchmaking-day scheduling: which requested meetings happen, in which slot, at which table.

A matchmaking day has numbered time slots and numbered tables; a meeting is one buyer and
one supplier at one table for one slot. The solver places meetings so that the total
value (the meetings' weights: mutual requests and high priorities weigh most, then the
match score) is as large as possible, with no participant or table used twice in a slot,
participants only in slots they can attend, at most ``max_meetings_per_participant``
meetings each, and meetings an officer has locked (``pinned``) exactly where they are.

Why not one big model. The natural model, x[m, s] = 1 when meeting m is in slot s, has
about 125,000 binaries and 24,000 rows on the benchmark (6,000 requests, 24 slots);
HiGHS (through scipy) had not finished its root LP relaxation after 60 s on two cores,
and the slots are interchangeable, so branching would drown in symmetry anyway. The
schedule is therefore built in steps, each exact or measured:

1. Selection (HiGHS through ``scipy.optimize.milp``). One binary y[m] per meeting:
   a participant's meetings fit their cap and the number of slots they can still
   attend; all meetings fit the free tables (slots × tables − pinned); and, for every
   set of slots C that some meeting is confined to by availability, the meetings
   confined to C fit the tables in C (globally and per participant: a Hall condition).
   Every schedule satisfies these rows, so this is a relaxation of the scheduling
   problem and its optimum (or HiGHS's dual bound, if the time limit stops it) is a
   proven upper bound on any schedule's value. It is small (one variable per meeting)
   and nearly integral: without availability limits and between two sides (buyers
   and suppliers) it is a flow problem, and by the equitable edge-colouring theorem
   for bipartite graphs (de Werra) every selection it allows can be put into slots.
   Where it is not exact (availability, meetings between two buyers: odd cycles),
   the bound can be above the best schedule and the status stays "feasible".
2. Slots. The selected meetings are put into slots, most constrained first, each
   where it adds the fewest idle slots; a meeting that does not fit is inserted by an
   ejection chain (move the meetings in its way to other slots, which generalises the
   Kempe-chain swaps of König's edge-colouring proof to availability lists and table
   counts). Meetings that still do not fit are dropped, and unselected meetings fill
   what is left, heaviest first. When everything selected is placed, the schedule
   reaches the bound: "optimal" (on the benchmark this is the usual case).
3. Polishing, only while a gap remains: a large-neighbourhood search in which HiGHS
   re-solves the x[m, s] model exactly for two to six slots at a time, everything
   outside them fixed, starting from the current schedule (which it can only improve).
4. Compactness. With the set of meetings fixed (so the value does not change),
   simulated annealing moves meetings (into a free table, or by swapping two slots
   along a Kempe chain) to fill participants' idle slots. Idle slots before and after
   are reported in ``SolveStats``.

Tables are interchangeable except for pins, so they are handed out last, slot by slot:
pinned tables first, then a participant keeps the table of their previous meeting when
it is free, so fewer people walk across the hall between meetings.

A greedy schedule (heaviest meeting first, first slot where it fits) is built first.
It is the fallback when the time limit leaves no MILP answer (then polished and
compacted like any other), and the schedule returned is never worse than it. scipy's
``milp`` takes no starting solution, so the greedy schedule cannot seed HiGHS's search
directly; the selection model does not need it (well under a second on the benchmark),
and the polishing models start from the schedule in hand by construction.

Plain Python, numpy and scipy: no web framework in here. The Flask command and the
Celery task call ``parse_instance`` and ``solve``; hand edits are checked with
``find_conflicts``, and re-solving around locked meetings means pinning them.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

OPTIMAL, FEASIBLE = "optimal", "feasible"
# Relative gap under which the schedule counts as proven optimal.
OPTIMALITY_TOLERANCE = 1e-6

Progress = Callable[[str, float], None]
ParticipantId = str | int
MeetingId = str | int


class InstanceError(ValueError):
    """The instance cannot be scheduled as given; the message names what is wrong."""


@dataclass(frozen=True)
class Pin:
    """Where an officer locked a meeting; the solver places it exactly there."""

    slot: int
    table: int


@dataclass(frozen=True)
class Participant:
    """A buyer or supplier; the solver does not need to know which side."""

    id: ParticipantId
    available: frozenset[int]  # slots the participant can attend (all slots if not given)


@dataclass(frozen=True)
class Meeting:
    """A requested meeting and its value (``weight``, at least 0)."""

    id: MeetingId
    a: ParticipantId
    b: ParticipantId
    weight: float
    pinned: Pin | None = None


@dataclass(frozen=True)
class Instance:
    """A checked instance (see ``parse_instance``): ids known, pins consistent.

    Frozen, so a web page can keep it while checking one hand edit after another.
    """

    slots: int
    tables: int
    max_meetings_per_participant: int | None
    participants: tuple[Participant, ...]
    meetings: tuple[Meeting, ...]
    by_id: dict[ParticipantId, Participant] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {p.id: p for p in self.participants})


@dataclass(frozen=True)
class Assignment:
    """One placed meeting. Slots and tables are numbered from 0."""

    meeting: MeetingId
    slot: int
    table: int


@dataclass
class SolveStats:
    """What a run did, for the officer's report and the benchmark (not in ``as_dict``)."""

    seconds: float = 0.0
    requested: int = 0
    placed: int = 0
    method: str = ""  # "milp" or "greedy" (fallback when the MILP gave nothing usable)
    milp_status: str = ""
    milp_seconds: float = 0.0
    greedy_objective: float = 0.0
    selected: int = 0  # meetings the selection model chose
    dropped: int = 0  # selected meetings that could not be put into slots
    polished: int = 0  # neighbourhoods re-solved with HiGHS that raised the value
    idle_slots_before: float = 0.0  # mean idle slots per participant before compaction
    idle_slots_after: float = 0.0
    idle_gaps_before: float = 0.0  # mean runs of idle slots per participant
    idle_gaps_after: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in vars(self).items()}


@dataclass
class Schedule:
    """A solver run's answer: ``as_dict`` is the command's JSON output, ``report`` adds
    the run's statistics for the event page."""

    status: str  # "optimal" (value reaches the proven bound) or "feasible"
    objective: float
    upper_bound: float
    assignments: list[Assignment]
    stats: SolveStats = field(default_factory=SolveStats)

    @property
    def gap(self) -> float:
        """Relative distance to the proven bound: 0.01 means within 1 % of optimal."""
        if self.upper_bound <= 0:
            return 0.0
        return max(0.0, (self.upper_bound - self.objective) / self.upper_bound)

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "objective": self.objective,
            "upper_bound": self.upper_bound,
            "assignments": [
                {"meeting": x.meeting, "slot": x.slot, "table": x.table} for x in self.assignments
            ],
        }

    def report(self) -> dict[str, Any]:
        """Summary for ``Event.solver_report``: status, value, bound, gap and run statistics."""
        return {
            "status": self.status,
            "objective": self.objective,
            "upper_bound": self.upper_bound,
            "gap_percent": round(100 * self.gap, 4),
            **self.stats.as_dict(),
        }


# --------------------------------------------------------------------------- parsing


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_id(value: Any) -> bool:
    return (isinstance(value, str) and value != "") or _is_int(value)


def _positive_int(data: Mapping[str, Any], key: str, *, required: bool = True) -> int | None:
    if key not in data or data[key] is None:
        if required:
            raise InstanceError(f'"{key}" is missing')
        return None
    value = data[key]
    if not _is_int(value) or value < 1:
        raise InstanceError(f'"{key}" must be a whole number of at least 1, not {value!r}')
    return value


def parse_instance(data: Mapping[str, Any]) -> Instance:
    """Check and read an instance given as JSON data (see the module docs for the format).

    Raises ``InstanceError`` naming the offending participant or meeting: unknown
    participant, a meeting with one participant on both sides, a slot or table out of
    range, or pins that cannot all hold (two on one table, a participant pinned twice
    in a slot or in a slot they cannot attend, more pins than the cap).
    """
    if not isinstance(data, Mapping):
        raise InstanceError("the instance must be a JSON object")
    slots = _positive_int(data, "slots")
    tables = _positive_int(data, "tables")
    cap = _positive_int(data, "max_meetings_per_participant", required=False)
    assert slots is not None and tables is not None
    all_slots = frozenset(range(slots))

    raw_participants = data.get("participants")
    if not isinstance(raw_participants, list):
        raise InstanceError('"participants" must be a list')
    participants: dict[ParticipantId, Participant] = {}
    for i, raw in enumerate(raw_participants):
        if not isinstance(raw, Mapping) or not _is_id(raw.get("id")):
            raise InstanceError(f"participant #{i + 1} needs an id (a string or a number)")
        pid = raw["id"]
        if pid in participants:
            raise InstanceError(f"participant {pid!r} is listed twice")
        available = raw.get("available")
        if available is None:
            slot_set = all_slots
        else:
            if not isinstance(available, list):
                raise InstanceError(f'participant {pid!r}: "available" must be a list of slots')
            for s in available:
                if not _is_int(s) or not 0 <= s < slots:
                    raise InstanceError(
                        f"participant {pid!r}: available slot {s!r} is out of range "
                        f"(slots are numbered 0 to {slots - 1})"
                    )
            slot_set = frozenset(available)
        participants[pid] = Participant(pid, slot_set)

    raw_meetings = data.get("meetings")
    if not isinstance(raw_meetings, list):
        raise InstanceError('"meetings" must be a list')
    meetings: list[Meeting] = []
    seen: set[MeetingId] = set()
    for i, raw in enumerate(raw_meetings):
        if not isinstance(raw, Mapping) or not _is_id(raw.get("id")):
            raise InstanceError(f"meeting #{i + 1} needs an id (a string or a number)")
        mid = raw["id"]
        if mid in seen:
            raise InstanceError(f"meeting {mid!r} is listed twice")
        seen.add(mid)
        for side in ("a", "b"):
            if raw.get(side) not in participants:
                raise InstanceError(
                    f'meeting {mid!r}: participant {raw.get(side)!r} ("{side}") is unknown'
                )
        a, b = raw["a"], raw["b"]
        if a == b:
            raise InstanceError(f"meeting {mid!r}: participant {a!r} cannot meet themselves")
        weight = raw.get("weight", 1.0)
        if (
            isinstance(weight, bool)
            or not isinstance(weight, int | float)
            or not math.isfinite(weight)
            or weight < 0
        ):
            raise InstanceError(
                f"meeting {mid!r}: weight must be a number of at least 0, not {weight!r}"
            )
        pin = None
        if raw.get("pinned") is not None:
            pin = _parse_pin(mid, raw["pinned"], slots, tables)
        meetings.append(Meeting(mid, a, b, float(weight), pin))

    instance = Instance(slots, tables, cap, tuple(participants.values()), tuple(meetings))
    _check_pins(instance)
    return instance


def _parse_pin(mid: MeetingId, raw: Any, slots: int, tables: int) -> Pin:
    if not isinstance(raw, Mapping):
        raise InstanceError(f'meeting {mid!r}: "pinned" must be {{"slot": …, "table": …}}')
    slot, table = raw.get("slot"), raw.get("table")
    if not _is_int(slot) or not 0 <= slot < slots:
        raise InstanceError(
            f"meeting {mid!r}: pinned slot {slot!r} is out of range "
            f"(slots are numbered 0 to {slots - 1})"
        )
    if not _is_int(table) or not 0 <= table < tables:
        raise InstanceError(
            f"meeting {mid!r}: pinned table {table!r} is out of range "
            f"(tables are numbered 0 to {tables - 1})"
        )
    return Pin(slot, table)


def _check_pins(instance: Instance) -> None:
    pinned = [(m.id, m.pinned.slot, m.pinned.table) for m in instance.meetings if m.pinned]
    problems = find_conflicts(instance, pinned)
    if problems:
        raise InstanceError("pinned meetings conflict: " + "; ".join(problems))


def find_conflicts(
    instance: Instance, assignments: Iterable[Assignment | tuple[MeetingId, int, int]]
) -> list[str]:
    """Everything wrong with a set of placements, one sentence each (empty when it holds).

    Used for pins when reading an instance and by the web pages to refuse a hand edit
    (lock, move) that double-books a table or a participant, puts someone in a slot
    they cannot attend or over their cap. Placements are (meeting, slot, table).
    """
    meetings = {m.id: m for m in instance.meetings}
    participants = instance.by_id
    cap = instance.max_meetings_per_participant
    problems: list[str] = []
    tables_used: dict[tuple[int, int], MeetingId] = {}
    busy: dict[tuple[ParticipantId, int], MeetingId] = {}
    load: dict[ParticipantId, int] = {}
    placed: set[MeetingId] = set()
    for item in assignments:
        mid, slot, table = (
            (item.meeting, item.slot, item.table) if isinstance(item, Assignment) else item
        )
        meeting = meetings.get(mid)
        if meeting is None:
            problems.append(f"meeting {mid!r} is unknown")
            continue
        if mid in placed:
            problems.append(f"meeting {mid!r} is placed twice")
            continue
        placed.add(mid)
        if not 0 <= slot < instance.slots or not 0 <= table < instance.tables:
            problems.append(f"meeting {mid!r}: slot {slot} or table {table} is out of range")
            continue
        other = tables_used.setdefault((slot, table), mid)
        if other != mid:
            problems.append(f"meetings {other!r} and {mid!r} both use table {table} in slot {slot}")
        for pid in (meeting.a, meeting.b):
            if slot not in participants[pid].available:
                problems.append(
                    f"meeting {mid!r}: participant {pid!r} is not available in slot {slot}"
                )
            other = busy.setdefault((pid, slot), mid)
            if other != mid:
                problems.append(
                    f"participant {pid!r} has meetings {other!r} and {mid!r} both in slot {slot}"
                )
            load[pid] = load.get(pid, 0) + 1
            if cap is not None and load[pid] == cap + 1:
                problems.append(f"participant {pid!r} has more than {cap} meetings")
    return problems


# --------------------------------------------------------------------------- model


class _Board:
    """The schedule being built, in integer indices for speed.

    Participants and meetings are numbered; availability and each meeting's possible
    slots (``choices``: both can attend, neither is pinned elsewhere then) are lists
    and bit masks. ``busy[p][s]`` is the meeting participant p has in slot s, or -1.
    """

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.S = S = instance.slots
        pindex = {p.id: i for i, p in enumerate(instance.participants)}
        self.P = P = len(pindex)
        self.M = len(instance.meetings)
        self.a = [pindex[m.a] for m in instance.meetings]
        self.b = [pindex[m.b] for m in instance.meetings]
        self.w = [m.weight for m in instance.meetings]
        self.pinned = [m.pinned is not None for m in instance.meetings]
        cap = instance.max_meetings_per_participant
        self.cap_p = [S if cap is None else min(cap, S)] * P
        self.avail_mask = [sum(1 << s for s in p.available) for p in instance.participants]
        self.cap_s = [instance.tables] * S
        self.count = [0] * S
        self.busy = [[-1] * S for _ in range(P)]
        self.load = [0] * P
        self.slot_of = [-1] * self.M
        self.in_slot: list[set[int]] = [set() for _ in range(S)]
        for j, m in enumerate(instance.meetings):
            if m.pinned is not None:
                self.place(j, m.pinned.slot)
        pinned_mask = [0] * P
        for j, m in enumerate(instance.meetings):
            if m.pinned is not None:
                pinned_mask[self.a[j]] |= 1 << m.pinned.slot
                pinned_mask[self.b[j]] |= 1 << m.pinned.slot
        self.free_mask = [self.avail_mask[p] & ~pinned_mask[p] for p in range(P)]
        open_slots = sum(1 << s for s in range(S) if self.count[s] < self.cap_s[s])
        self.choice_mask = [0] * self.M
        self.choices: list[list[int]] = [[] for _ in range(self.M)]
        # Meetings the solver may place: not pinned, some value, some common free slot,
        # and room under both caps after the pins.
        self.free: list[int] = []
        for j in range(self.M):
            if self.pinned[j] or self.w[j] <= 0:
                continue
            a, b = self.a[j], self.b[j]
            mask = self.free_mask[a] & self.free_mask[b] & open_slots
            if not mask or self.load[a] >= self.cap_p[a] or self.load[b] >= self.cap_p[b]:
                continue
            self.choice_mask[j] = mask
            self.choices[j] = [s for s in range(S) if mask >> s & 1]
            self.free.append(j)

    def place(self, j: int, s: int) -> None:
        a, b = self.a[j], self.b[j]
        self.busy[a][s] = j
        self.busy[b][s] = j
        self.load[a] += 1
        self.load[b] += 1
        self.count[s] += 1
        self.slot_of[j] = s
        self.in_slot[s].add(j)

    def remove(self, j: int) -> None:
        s = self.slot_of[j]
        a, b = self.a[j], self.b[j]
        self.busy[a][s] = -1
        self.busy[b][s] = -1
        self.load[a] -= 1
        self.load[b] -= 1
        self.count[s] -= 1
        self.slot_of[j] = -1
        self.in_slot[s].discard(j)

    def move(self, j: int, s: int) -> None:
        if self.slot_of[j] >= 0:
            self.remove(j)
        if s >= 0:
            self.place(j, s)

    def fits(self, j: int, s: int) -> bool:
        """Can j go into slot s as things stand (both free, a table left)?"""
        return (
            self.busy[self.a[j]][s] < 0
            and self.busy[self.b[j]][s] < 0
            and self.count[s] < self.cap_s[s]
        )

    def under_caps(self, j: int) -> bool:
        return self.load[self.a[j]] < self.cap_p[self.a[j]] and (
            self.load[self.b[j]] < self.cap_p[self.b[j]]
        )

    def placed(self) -> list[int]:
        return [j for j in range(self.M) if self.slot_of[j] >= 0]

    def value(self) -> float:
        return math.fsum(self.w[j] for j in range(self.M) if self.slot_of[j] >= 0)

    def snapshot(self) -> list[int]:
        return list(self.slot_of)

    def restore(self, slot_of: Sequence[int]) -> None:
        for j in range(self.M):
            if self.slot_of[j] != slot_of[j]:
                self.move(j, -1)
        for j in range(self.M):
            if slot_of[j] >= 0 and self.slot_of[j] < 0:
                self.place(j, slot_of[j])

    # idle time -----------------------------------------------------------------

    def span(self, p: int) -> tuple[int, int]:
        """p's first and last busy slot, (-1, -1) when p has no meeting yet."""
        row = self.busy[p]
        first = next((s for s in range(self.S) if row[s] >= 0), -1)
        if first < 0:
            return -1, -1
        return first, next(s for s in range(self.S - 1, -1, -1) if row[s] >= 0)

    def idle(self, p: int) -> tuple[int, int]:
        """Idle slots and runs of idle slots between p's first and last meeting.

        A slot the participant cannot attend is not idle: they are elsewhere.
        """
        row = self.busy[p]
        first = next((s for s in range(self.S) if row[s] >= 0), -1)
        if first < 0:
            return 0, 0
        last = max(s for s in range(self.S) if row[s] >= 0)
        avail = self.avail_mask[p]
        slots = runs = 0
        in_run = False
        for s in range(first + 1, last):
            if row[s] < 0 and avail >> s & 1:
                slots += 1
                if not in_run:
                    runs += 1
                in_run = True
            elif row[s] >= 0:
                in_run = False
        return slots, runs

    def idle_means(self) -> tuple[float, float]:
        """Mean idle slots and idle runs over participants with at least one meeting."""
        people = [p for p in range(self.P) if self.load[p] > 0]
        if not people:
            return 0.0, 0.0
        totals = [self.idle(p) for p in people]
        return (
            sum(t[0] for t in totals) / len(people),
            sum(t[1] for t in totals) / len(people),
        )


# --------------------------------------------------------------------------- greedy


def _greedy(board: _Board) -> None:
    """Heaviest meeting first, into the first slot where it fits: fast and never stuck."""
    order = sorted(board.free, key=lambda j: -board.w[j])
    for j in order:
        if not board.under_caps(j):
            continue
        for s in board.choices[j]:
            if board.fits(j, s):
                board.place(j, s)
                break


def greedy_schedule(instance: Instance) -> Schedule:
    """The greedy schedule alone, with the cheap bound: the fallback ``solve`` starts from."""
    started = time.perf_counter()
    board = _Board(instance)
    bound = _cheap_bound(board)  # counts room around the pins: before placing anything
    _greedy(board)
    return _finish(board, bound, SolveStats(method="greedy"), started)


def _cheap_bound(board: _Board) -> float:
    """A bound that needs no solver: every meeting is counted at both of its ends.

    Each participant keeps at most their cap of their heaviest meetings, so the value is
    at most half the sum over participants; and at most the heaviest meetings that fit
    the free tables. The smaller of the two holds for every schedule.
    """
    pinned_value = math.fsum(board.w[j] for j in range(board.M) if board.pinned[j])
    by_person: list[list[float]] = [[] for _ in range(board.P)]
    for j in board.free:
        by_person[board.a[j]].append(board.w[j])
        by_person[board.b[j]].append(board.w[j])
    ends = 0.0
    for p, ws in enumerate(by_person):
        room = min(board.cap_p[p] - board.load[p], bin(board.free_mask[p]).count("1"))
        ends += math.fsum(sorted(ws, reverse=True)[: max(room, 0)])
    room = sum(board.cap_s) - sum(board.count)
    tables = math.fsum(sorted((board.w[j] for j in board.free), reverse=True)[:room])
    return pinned_value + min(ends / 2, tables)


# --------------------------------------------------------------------------- selection


@dataclass
class _Selection:
    chosen: list[int]
    bound: float | None  # proven upper bound on the value of the free meetings
    status: str
    seconds: float
    solved: bool = False  # HiGHS returned a selection (optimal or not)


def _select(board: _Board, time_limit: float) -> _Selection:
    """Solve the selection relaxation with HiGHS (see the module docs for the rows)."""
    started = time.perf_counter()
    free = board.free
    n = len(free)
    if n == 0:
        return _Selection([], 0.0, "nothing to select", 0.0, True)
    S = board.S
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    upper: list[float] = []

    def add(members: Sequence[int], rhs: float) -> None:
        rows.append(np.full(len(members), len(upper), dtype=np.int64))
        cols.append(np.asarray(members, dtype=np.int64))
        upper.append(rhs)

    by_person: dict[int, list[int]] = {}
    for k, j in enumerate(free):
        by_person.setdefault(board.a[j], []).append(k)
        by_person.setdefault(board.b[j], []).append(k)
    room = [board.cap_s[s] - board.count[s] for s in range(S)]
    add(range(n), sum(room))
    for p, ks in by_person.items():
        degree = min(board.cap_p[p] - board.load[p], bin(board.free_mask[p]).count("1"))
        if len(ks) > degree:
            add(ks, degree)
        # Hall: p's meetings confined to the slots C fit into |C| slots.
        by_mask: dict[int, int] = {}
        for k in ks:
            by_mask[board.choice_mask[free[k]]] = by_mask.get(board.choice_mask[free[k]], 0) + 1
        for mask in by_mask:
            size = bin(mask).count("1")
            if size >= degree:
                continue
            inside = [k for k in ks if board.choice_mask[free[k]] & ~mask == 0]
            if len(inside) > size:
                add(inside, size)
    # Tables: meetings confined to the slots C fit the tables free in C.
    masks: dict[int, list[int]] = {}
    for k, j in enumerate(free):
        masks.setdefault(board.choice_mask[j], []).append(k)
    distinct = sorted(masks, key=lambda mk: -len(masks[mk]))[:300]
    for mask in distinct:
        tables = sum(room[s] for s in range(S) if mask >> s & 1)
        inside = [k for other in masks if other & ~mask == 0 for k in masks[other]]
        if len(inside) > tables and len(inside) < n:
            add(inside, tables)

    matrix = sparse.csr_matrix(
        (np.ones(sum(len(c) for c in cols)), (np.concatenate(rows), np.concatenate(cols))),
        shape=(len(upper), n),
    )
    weights = np.array([board.w[j] for j in free])
    result = milp(
        -weights,
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
        constraints=LinearConstraint(matrix, -np.inf, np.array(upper)),
        options={"time_limit": max(time_limit, 0.1), "mip_rel_gap": OPTIMALITY_TOLERANCE / 10},
    )
    chosen: list[int] = []
    if result.x is not None:
        chosen = [free[k] for k in np.flatnonzero(result.x > 0.5)]
    bound = None
    dual = getattr(result, "mip_dual_bound", None)
    if dual is not None and math.isfinite(dual):
        bound = -float(dual)
    elif result.status == 0 and result.fun is not None:
        bound = -float(result.fun)
    seconds = time.perf_counter() - started
    return _Selection(chosen, bound, result.message, seconds, result.x is not None)


# --------------------------------------------------------------------------- slots


class _Placer:
    """Puts meetings into slots, moving others aside when needed (ejection chains)."""

    def __init__(self, board: _Board, rng: random.Random) -> None:
        self.board = board
        self.rng = rng

    def direct(self, j: int, compact: bool = False) -> int:
        """A slot where j fits without moving anything, or -1.

        With ``compact``, prefer the slot that adds the fewest idle slots to the two
        participants' days (next to their meetings, or in a hole between them); then,
        as always, the emptiest slot: an even spread leaves room in every slot for the
        meetings still to come.
        """
        board = self.board
        best, best_key = -1, (0, 0)
        spans = (board.span(board.a[j]), board.span(board.b[j])) if compact else ()
        for s in board.choices[j]:
            if board.fits(j, s):
                added = 0
                for first, last in spans:
                    if first >= 0:
                        # Idle slots the meeting adds to this day; -1 when it fills a hole.
                        added += s - last - 1 if s > last else first - s - 1 if s < first else -1
                key = (added, board.count[s])
                if best < 0 or key < best_key:
                    best, best_key = s, key
        return best

    def _alternative(self, j: int, avoid: int) -> bool:
        board = self.board
        return any(s != avoid and board.fits(j, s) for s in board.choices[j])

    def insert(self, j: int, max_steps: int) -> bool:
        """Place j, moving the meetings in its way to other slots; undo all if it fails.

        Each step places one homeless meeting in the slot that displaces the fewest
        meetings that have nowhere else to go (a displaced meeting with a free
        alternative costs nothing), then takes up one of the displaced meetings. A
        short tabu list stops meetings from going straight back where they came from.
        """
        board, rng = self.board, self.rng
        journal: list[tuple[int, int]] = []  # (meeting, slot before)
        homeless = [j]
        tabu: dict[tuple[int, int], int] = {}
        step = 0
        while homeless:
            step += 1
            if step > max_steps:
                self._undo(journal)
                return False
            e = homeless.pop()
            a, b = board.a[e], board.b[e]
            best_cost, best = 999, []
            for s in board.choices[e]:
                ca, cb = board.busy[a][s], board.busy[b][s]
                if (ca >= 0 and board.pinned[ca]) or (cb >= 0 and board.pinned[cb]):
                    continue
                # A tabu slot is a last resort, not forbidden: a chain must not stall.
                cost = 10 if tabu.get((e, s), 0) >= step else 0
                leaving = 0
                for c in {ca, cb}:
                    if c >= 0:
                        leaving += 1
                        cost += 2 if not self._alternative(c, s) else 1
                if board.count[s] - leaving >= board.cap_s[s]:
                    if len(board.in_slot[s]) - leaving <= 0 or all(
                        board.pinned[c] for c in board.in_slot[s]
                    ):
                        continue
                    cost += 2
                if cost < best_cost:
                    best_cost, best = cost, [s]
                elif cost == best_cost:
                    best.append(s)
            if not best:
                self._undo(journal)
                return False
            s = rng.choice(best)
            victims = [c for c in {board.busy[a][s], board.busy[b][s]} if c >= 0]
            for c in victims:
                journal.append((c, s))
                board.remove(c)
            if board.count[s] >= board.cap_s[s]:
                victims.append(self._make_room(s, journal))
            journal.append((e, board.slot_of[e]))
            board.move(e, s)
            for c in victims:
                tabu[(c, s)] = step + rng.randint(3, 10)
                t = self.direct(c)
                if t >= 0:
                    journal.append((c, -1))
                    board.place(c, t)
                else:
                    homeless.append(c)
        return True

    def _make_room(self, s: int, journal: list[tuple[int, int]]) -> int:
        """Take a movable meeting out of full slot s, preferring one that fits elsewhere."""
        board = self.board
        movable = [c for c in board.in_slot[s] if not board.pinned[c]]
        easy = [c for c in movable if self._alternative(c, s)]
        c = self.rng.choice(easy or movable)
        journal.append((c, s))
        board.remove(c)
        return c

    def _undo(self, journal: list[tuple[int, int]]) -> None:
        for c, slot in reversed(journal):
            self.board.move(c, slot)


def _assign(board: _Board, chosen: list[int], placer: _Placer, deadline: float) -> list[int]:
    """Put the chosen meetings into slots, most constrained first; return those left out."""
    degree = [0] * board.P
    for j in chosen:
        degree[board.a[j]] += 1
        degree[board.b[j]] += 1
    order = sorted(
        chosen,
        key=lambda j: (
            len(board.choices[j]),
            -(degree[board.a[j]] + degree[board.b[j]]),
            -board.w[j],
        ),
    )
    left: list[int] = []
    for j in order:
        s = placer.direct(j, compact=True)
        if s >= 0:
            board.place(j, s)
        else:
            left.append(j)
    return _repair(board, left, placer, deadline)


def _repair(board: _Board, left: list[int], placer: _Placer, deadline: float) -> list[int]:
    """Insert the left-out meetings by ejection chains, heaviest first, longer chains later."""
    left = sorted(left, key=lambda j: -board.w[j])
    for max_steps in (50, 200, 1000, 5000):
        still: list[int] = []
        for j in left:
            if time.perf_counter() > deadline or not board.under_caps(j):
                still.append(j)
                continue
            if not placer.insert(j, max_steps):
                still.append(j)
        left = still
        if not left:
            break
    return left


def _fill(board: _Board, candidates: Iterable[int], placer: _Placer, deadline: float) -> None:
    """Add unplaced meetings, heaviest first, while tables and caps allow."""
    room = sum(board.cap_s) - sum(board.count)
    for j in sorted(candidates, key=lambda j: -board.w[j]):
        if room <= 0 or time.perf_counter() > deadline:
            return
        if board.slot_of[j] >= 0 or not board.under_caps(j):
            continue
        s = placer.direct(j)
        if s >= 0:
            board.place(j, s)
        elif not placer.insert(j, 200):
            continue
        room -= 1


# --------------------------------------------------------------------------- polishing


def _polish(
    board: _Board,
    bound: float,
    rng: random.Random,
    deadline: float,
    tick: Callable[[float], None] | None = None,
) -> tuple[int, float]:
    """Large-neighbourhood search with HiGHS while a gap to the bound remains.

    Pick a few slots K; keep every meeting outside K where it is; re-solve exactly
    (x[m, s] for s in K, as a MILP) which meetings go into K, among the ones there now
    and every unplaced meeting whose participants still have room. The current
    placement is one solution of that model, so the value never goes down; the model
    is small (a few slots) where the full x[m, s] model is not. Slots are chosen
    around a heavy unplaced meeting half of the time, at random otherwise, and more
    slots are taken at once when small neighbourhoods stop paying off. When the
    neighbourhood grows to every slot (days of up to six slots) the model is the whole
    problem, and its dual bound replaces the selection's, which can be weaker there.

    Returns the number of neighbourhoods that improved the schedule and the bound.
    """
    S = board.S
    improved = failures = 0
    size = 2
    tolerance = OPTIMALITY_TOLERANCE * max(1.0, abs(bound))
    pinned_value = math.fsum(board.w[j] for j in range(board.M) if board.pinned[j])
    started = time.perf_counter()
    while time.perf_counter() < deadline - 0.2 and bound - board.value() > tolerance:
        if tick is not None:
            tick((time.perf_counter() - started) / max(deadline - started, 1e-3))
        if failures >= 2 * S:
            if size >= min(S, 6):
                break
            size, failures = size + 1, 0
        slots = _neighbourhood(board, size, rng)
        solved = _resolve_slots(board, slots, deadline)
        if solved is None:
            break
        gained, proven = solved
        if len(slots) == S and proven is not None:
            bound = min(bound, pinned_value + proven)
        if gained > 1e-9:
            improved += 1
            failures = 0
        elif size >= S:
            break  # that was the whole model, solved: nothing left to find
        else:
            failures += 1
    return improved, bound


def _neighbourhood(board: _Board, size: int, rng: random.Random) -> list[int]:
    S = board.S
    size = min(size, S)
    slots: set[int] = set()
    if rng.random() < 0.5:
        waiting = [j for j in board.free if board.slot_of[j] < 0]
        if waiting:
            heavy = max(rng.sample(waiting, min(8, len(waiting))), key=lambda j: board.w[j])
            options = board.choices[heavy]
            slots.update(rng.sample(options, min(len(options), max(1, size - 1))))
    while len(slots) < size:
        slots.add(rng.randrange(S))
    return sorted(slots)


def _resolve_slots(
    board: _Board, slots: list[int], deadline: float
) -> tuple[float, float | None] | None:
    """Re-solve which meetings go into ``slots`` (see ``_polish``).

    Returns the value gained and HiGHS's proven bound on the unpinned meetings in
    ``slots`` given everything outside them (None if there is none), or None when
    the deadline leaves no time to solve.
    """
    in_k = 0
    for s in slots:
        in_k |= 1 << s
    inside = [j for s in slots for j in board.in_slot[s] if not board.pinned[j]]
    outside_load = list(board.load)
    for j in inside:
        outside_load[board.a[j]] -= 1
        outside_load[board.b[j]] -= 1
    candidates = [
        j
        for j in board.free
        if board.choice_mask[j] & in_k
        and (board.slot_of[j] < 0 or board.slot_of[j] in slots)
        and outside_load[board.a[j]] < board.cap_p[board.a[j]]
        and outside_load[board.b[j]] < board.cap_p[board.b[j]]
    ]
    # A participant busy outside K in a slot is not affected; inside K only pins are fixed.
    col_j: list[int] = []
    col_s: list[int] = []
    for j in candidates:
        for s in slots:
            if board.choice_mask[j] >> s & 1:
                col_j.append(j)
                col_s.append(s)
    n = len(col_j)
    if n == 0:
        return 0.0, 0.0
    position = {s: i for i, s in enumerate(slots)}
    meeting_row = {j: i for i, j in enumerate(candidates)}
    people = sorted({board.a[j] for j in candidates} | {board.b[j] for j in candidates})
    person_row = {p: i for i, p in enumerate(people)}
    k = len(slots)
    # Rows: slot tables | (person, slot) | meeting once | person cap.
    base_ps = k
    base_m = base_ps + len(people) * k
    base_p = base_m + len(candidates)
    rows: list[int] = []
    cols: list[int] = []
    for c, (j, s) in enumerate(zip(col_j, col_s, strict=True)):
        a, b, i = person_row[board.a[j]], person_row[board.b[j]], position[s]
        rows += [i, base_ps + a * k + i, base_ps + b * k + i, base_m + meeting_row[j]]
        rows += [base_p + a, base_p + b]
        cols += [c] * 6
    pinned_here = [sum(1 for j in board.in_slot[s] if board.pinned[j]) for s in slots]
    upper = (
        [board.cap_s[s] - pinned_here[i] for i, s in enumerate(slots)]
        + [1] * (len(people) * k)
        + [1] * len(candidates)
        + [board.cap_p[p] - outside_load[p] for p in people]
    )
    matrix = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(upper), n))
    weights = np.array([board.w[j] for j in col_j])
    current = math.fsum(board.w[j] for j in inside)
    limit = deadline - time.perf_counter()
    if limit < 0.2:
        return None
    result = milp(
        -weights,
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
        constraints=LinearConstraint(matrix, -np.inf, np.array(upper, dtype=float)),
        options={"time_limit": min(limit, 10.0), "mip_rel_gap": OPTIMALITY_TOLERANCE / 10},
    )
    dual = getattr(result, "mip_dual_bound", None)
    proven = -float(dual) if dual is not None and math.isfinite(dual) else None
    if result.x is None:
        return 0.0, proven
    picked = [c for c in np.flatnonzero(result.x > 0.5)]
    value = math.fsum(weights[c] for c in picked)
    if value <= current + 1e-9:
        return 0.0, proven
    for j in inside:
        board.remove(j)
    for c in picked:
        board.place(col_j[c], col_s[c])
    return value - current, proven


# --------------------------------------------------------------------------- compaction


def _compact(
    board: _Board,
    rng: random.Random,
    deadline: float,
    tick: Callable[[float], None] | None = None,
) -> None:
    """Fill participants' idle slots without changing which meetings take place.

    Simulated annealing over one kind of move: for a participant with an idle slot t
    inside their day, one of their meetings m (usually the first or the last of the
    day, which shortens it) goes to t, directly when the partner is free and a table
    is left, otherwise by exchanging slots slot(m) and t along the Kempe chain through
    m (the meetings in the two slots linked by shared participants, which keeps
    everyone single-booked). A participant's cost is idle slots plus runs of idle
    slots, so one long wait is better than several short ones. Moves that add cost
    are accepted with a probability that falls as the deadline nears; the best
    schedule seen is kept. Pinned meetings never move, meetings only go to slots both
    people can attend, and the set of meetings, hence the value, never changes.
    """
    people = [p for p in range(board.P) if board.load[p] > 1]
    if not people or time.perf_counter() >= deadline:
        return
    cost = [sum(board.idle(p)) for p in range(board.P)]
    total = best_total = sum(cost)
    best = board.snapshot()
    started = time.perf_counter()
    budget = max(deadline - started, 1e-3)
    hot, cold = 0.6, 0.03
    temperature = hot
    moves = last_best = 0
    # Small events settle in a fraction of a second: stop when a long run of moves has
    # found nothing better, rather than spin until the deadline.
    patience = 1000 * len(people)
    while best_total > 0 and moves - last_best < patience:
        moves += 1
        if moves % 200 == 0:
            now = time.perf_counter()
            if now >= deadline:
                break
            done = (now - started) / budget
            temperature = hot * (cold / hot) ** done
            if tick is not None and moves % 20_000 == 0:
                tick(done)
        p = rng.choice(people)
        if cost[p] == 0:
            continue
        row = board.busy[p]
        taken = [s for s in range(board.S) if row[s] >= 0]
        first, last = taken[0], taken[-1]
        avail = board.avail_mask[p]
        idle = [s for s in range(first + 1, last) if row[s] < 0 and avail >> s & 1]
        if not idle:
            continue
        t = rng.choice(idle)
        ends = [s for s in (first, last) if not board.pinned[row[s]]]
        if not ends or rng.random() < 0.3:
            ends = [s for s in taken if not board.pinned[row[s]]]
            if not ends:
                continue
        delta = _try_move(board, row[rng.choice(ends)], t, cost, temperature, rng)
        if delta is None:
            continue
        total += delta
        if total < best_total:
            best_total = total
            best = board.snapshot()
            last_best = moves
    board.restore(best)


def _try_move(
    board: _Board, m: int, t: int, cost: list[int], temperature: float, rng: random.Random
) -> int | None:
    """Move meeting m to slot t (directly or along a Kempe chain) if the annealing
    accepts the change in cost; return that change, or None when nothing moved."""
    if not board.choice_mask[m] >> t & 1 or board.pinned[m]:
        return None
    alpha = board.slot_of[m]
    a, b = board.a[m], board.b[m]
    if board.busy[a][t] < 0 and board.busy[b][t] < 0:
        if board.count[t] >= board.cap_s[t]:
            return None
        chain = [m]
    else:
        chain = _kempe(board, m, alpha, t)
        if chain is None:
            return None
    moves = [(c, t if board.slot_of[c] == alpha else alpha) for c in chain]
    gained = sum(1 for _, s in moves if s == t) - sum(1 for _, s in moves if s == alpha)
    if board.count[t] + gained > board.cap_s[t] or board.count[alpha] - gained > board.cap_s[alpha]:
        return None
    affected = {board.a[c] for c in chain} | {board.b[c] for c in chain}
    before = sum(cost[p] for p in affected)
    for c, _ in moves:
        board.remove(c)
    for c, s in moves:
        board.place(c, s)
    after_costs = {p: sum(board.idle(p)) for p in affected}
    delta = sum(after_costs.values()) - before
    if delta > 0 and rng.random() >= math.exp(-delta / temperature):
        for c, _ in moves:
            board.remove(c)
        for c, s in moves:
            board.place(c, t if s == alpha else alpha)
        return None
    for p, value in after_costs.items():
        cost[p] = value
    return delta


def _kempe(board: _Board, m: int, alpha: int, beta: int, limit: int = 40) -> list[int] | None:
    """The meetings in slots alpha and beta linked to m by shared participants, if movable."""
    chain = [m]
    seen = {m}
    i = 0
    both = (1 << alpha) | (1 << beta)
    while i < len(chain):
        c = chain[i]
        i += 1
        if board.pinned[c] or board.choice_mask[c] & both != both:
            return None
        for p in (board.a[c], board.b[c]):
            for s in (alpha, beta):
                d = board.busy[p][s]
                if d >= 0 and d not in seen:
                    seen.add(d)
                    chain.append(d)
                    if len(chain) > limit:
                        return None
    return chain


# --------------------------------------------------------------------------- tables


def _tables(board: _Board) -> list[Assignment]:
    """Hand out tables slot by slot: pins first, then each meeting keeps a table one of
    its participants sat at in the previous slot when it is free, else the lowest free."""
    meetings = board.instance.meetings
    result: list[Assignment] = []
    table_of: dict[int, int] = {}  # participant -> table in the previous slot
    for s in range(board.S):
        js = sorted(board.in_slot[s])
        used: set[int] = set()
        here: dict[int, int] = {}
        for j in js:
            pin = meetings[j].pinned
            if pin is not None:
                here[j] = pin.table
                used.add(pin.table)
        for j in js:
            if j in here:
                continue
            for p in (board.a[j], board.b[j]):
                k = table_of.get(p)
                if k is not None and k not in used:
                    here[j] = k
                    used.add(k)
                    break
        free_tables = (k for k in range(board.instance.tables) if k not in used)
        for j in js:
            if j not in here:
                here[j] = next(free_tables)
        table_of = {}
        for j, k in here.items():
            table_of[board.a[j]] = k
            table_of[board.b[j]] = k
            result.append(Assignment(meetings[j].id, s, k))
    result.sort(key=lambda x: (x.slot, x.table))
    return result


# --------------------------------------------------------------------------- solve


def _finish(board: _Board, bound: float, stats: SolveStats, started: float) -> Schedule:
    objective = board.value()
    upper = max(bound, objective)
    if upper - objective <= 1e-9 * max(1.0, abs(upper)):
        upper = objective  # the same number up to rounding in a different summation order
    status = (
        OPTIMAL if upper - objective <= OPTIMALITY_TOLERANCE * max(1.0, abs(upper)) else FEASIBLE
    )
    assignments = _tables(board)
    stats.requested = board.M
    stats.placed = len(assignments)
    stats.seconds = time.perf_counter() - started
    return Schedule(status, objective, upper, assignments, stats)


def solve(
    instance: Instance,
    time_limit: float = 60,
    progress: Progress | None = None,
    *,
    seed: int = 0,
    compact_budget: float = 10.0,
) -> Schedule:
    """Schedule the instance's meetings within about ``time_limit`` seconds.

    ``progress(phase, fraction)`` is called as the run advances, with phases
    "greedy", "selection", "slots", "polishing" (only while a gap remains),
    "compaction", "tables" and "done", and the fraction of the whole run done (0 to 1,
    never decreasing), so a background task can show a progress bar. The result is
    "optimal" when its value reaches the proven bound, else "feasible" with the bound
    it was measured against. ``compact_budget`` caps the seconds spent on compactness,
    within the time limit; ``seed`` makes the randomised steps repeatable. Meetings of
    weight 0 are placed only when pinned; meetings not placed are absent.
    """
    started = time.perf_counter()
    deadline = started + time_limit

    def report(phase: str, fraction: float) -> None:
        if progress is not None:
            progress(phase, fraction)

    def left() -> float:
        return deadline - time.perf_counter()

    report("greedy", 0.0)
    rng = random.Random(seed)
    board = _Board(instance)
    stats = SolveStats(method="milp")
    pinned_value = board.value()
    pins_only = board.snapshot()
    cheap = _cheap_bound(board)
    _greedy(board)
    greedy_slots = board.snapshot()
    stats.greedy_objective = board.value()
    greedy_value = stats.greedy_objective

    # The selection model counts room around the pins alone. The rest of the run needs
    # time too: keep a share of the limit for it.
    report("selection", 0.05)
    board.restore(pins_only)
    selection = _select(board, min(left() * 0.7, left() - 1.0))
    board.restore(greedy_slots)
    stats.milp_status = selection.status
    stats.milp_seconds = selection.seconds
    bound = cheap
    if selection.bound is not None:
        bound = min(bound, pinned_value + selection.bound)

    placer = _Placer(board, rng)
    slots_done = started + time_limit * 0.5
    if selection.solved:
        report("slots", 0.4)
        board.restore(pins_only)
        stats.selected = len(selection.chosen)
        dropped = _assign(board, selection.chosen, placer, slots_done)
        stats.dropped = len(dropped)
        _fill(board, [j for j in board.free if board.slot_of[j] < 0], placer, slots_done)
        if board.value() < greedy_value:
            board.restore(greedy_slots)
            stats.method = "greedy"
    else:
        stats.method = "greedy"
        report("slots", 0.4)
        _fill(board, board.free, placer, slots_done)

    if bound - board.value() > OPTIMALITY_TOLERANCE * max(1.0, abs(bound)):
        report("polishing", 0.5)
        stats.polished, bound = _polish(
            board,
            bound,
            rng,
            started + time_limit * 0.8,
            lambda f: report("polishing", 0.5 + 0.3 * f),
        )

    report("compaction", 0.8)
    stats.idle_slots_before, stats.idle_gaps_before = board.idle_means()
    _compact(
        board,
        rng,
        min(started + time_limit * 0.95, time.perf_counter() + compact_budget),
        lambda f: report("compaction", 0.8 + 0.15 * f),
    )
    stats.idle_slots_after, stats.idle_gaps_after = board.idle_means()

    report("tables", 0.95)
    schedule = _finish(board, bound, stats, started)
    report("done", 1.0)
    return schedule
