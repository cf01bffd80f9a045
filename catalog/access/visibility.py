"""Which needs a reader may read: one rule, every reader, every place that lists needs.

A buyer chooses who reads each need (``NeedVisibility``): sourcing plans are
commercially sensitive. The rule is written once, below, as a list of grants; each
grant says in the same place how it reads in SQL (to select the needs a reader may
read) and in Python (to judge one need already loaded). A reader may read a need when
any grant applies:

- anyone: public needs;
- any signed-in user: needs for registered users;
- a firm's users: their own firm's needs; needs for invited suppliers when their firm
  was invited; any need their firm was asked to be introduced about (it has to know
  what it is accepting);
- officers: every need of a buyer in their provinces;
- admins: every need.

``needs_clause`` and ``may_read`` are the two forms; ``tests/test_need_visibility.py``
checks that they agree over every visibility and every kind of reader.

A rule that each list must remember is one the next route forgets, so the session
applies it too: ``set_reader`` (every web request, and every job that writes output
for a user) makes every top-level SELECT of the session that involves ``Need`` (as an
entity, a column, in a join or a subquery) carry the clause for that reader
(``with_loader_criteria``). A session without a reader (commands, the system's own
jobs) and an admin's are not filtered. Counts are filtered like lists: what a page
counts is what its reader may read (the home page's open needs, a supplier's gaps).
A statement may opt out with the execution option ``ALL_NEEDS``: the access
decorator's load by id, so that a need one may not read still answers 403, not 404.

What the session does not filter: needs reached through relationships
(``registration.needs``, ``meeting.need``, ``request.need``, ``introduction.need``),
which write paths must see whole (which need a meeting is about, which judgement an
outcome records). Lazy loads are never filtered, eager ones not reliably (a
``selectinload`` is, a ``joinedload`` is not): code that shows such needs to a reader
filters them itself with ``readable`` or ``readable_ids`` (one query per list).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, event, false, or_, select, true
from sqlalchemy.orm import ORMExecuteState, Session, object_session, with_loader_criteria

from ..models import Firm, Introduction, Need, NeedVisibility, User, UserRole, need_invitations

READER = "ketnoi.reader"  # session.info key: the Reader the session reads needs for
ALL_NEEDS = "ketnoi_all_needs"  # execution option: this statement is not filtered


@dataclass(frozen=True)
class Reader:
    """Who reads, as far as the rule needs to know: fixed when a request starts, so the
    filter never has to load anything while a statement runs.

    ``role`` is None for an anonymous visitor. ``firm_id`` is the firm a member acts
    for (only members act for a firm). ``province_ids`` are an officer's provinces.
    """

    role: UserRole | None
    firm_id: int | None = None
    province_ids: frozenset[int] = frozenset()

    @classmethod
    def of(cls, user: User | Reader | None) -> Reader:
        if isinstance(user, Reader):
            return user
        if user is None:
            return ANONYMOUS
        firm_id = user.firm_id if user.role == UserRole.MEMBER else None
        provinces = frozenset(user.province_ids) if user.role == UserRole.OFFICER else frozenset()
        return cls(user.role, firm_id, provinces)

    @classmethod
    def member_of(cls, firm_id: int) -> Reader:
        """Any user of this firm: what a supplier's own opportunities are made of."""
        return cls(UserRole.MEMBER, firm_id)

    @classmethod
    def officer_of(cls, province_ids: Iterable[int]) -> Reader:
        """Any officer of these provinces: what a province's shared report may show."""
        return cls(UserRole.OFFICER, None, frozenset(province_ids))

    @property
    def unrestricted(self) -> bool:
        return self.role == UserRole.ADMIN

    @property
    def signed_in(self) -> bool:
        return self.role is not None


ANONYMOUS = Reader(None)


# -- the rule ---------------------------------------------------------------------------


def _introduced(reader: Reader, need: Need) -> bool:
    session = object_session(need)
    if session is None or need.id is None:
        return False
    asked = select(Introduction.id).where(
        Introduction.need_id == need.id, Introduction.supplier_id == reader.firm_id
    )
    return session.scalar(asked.limit(1)) is not None


@dataclass(frozen=True)
class _Grant:
    """One reason to read a need, in SQL and in Python, for the readers it concerns."""

    name: str
    concerns: Callable[[Reader], bool]
    sql: Callable[[Reader], ColumnElement[bool]]
    test: Callable[[Reader, Need], bool]


def _member(reader: Reader) -> bool:
    return reader.firm_id is not None


GRANTS: tuple[_Grant, ...] = (
    _Grant(
        "public",
        lambda r: True,
        lambda r: Need.visibility == NeedVisibility.PUBLIC,
        lambda r, n: n.visibility == NeedVisibility.PUBLIC,
    ),
    _Grant(
        "registered",
        lambda r: r.signed_in,
        lambda r: Need.visibility == NeedVisibility.REGISTERED,
        lambda r, n: n.visibility == NeedVisibility.REGISTERED,
    ),
    _Grant(
        "own firm",
        _member,
        lambda r: Need.buyer_id == r.firm_id,
        lambda r, n: n.buyer_id == r.firm_id,
    ),
    _Grant(
        "invited",
        _member,
        lambda r: (
            (Need.visibility == NeedVisibility.INVITED)
            & Need.id.in_(
                select(need_invitations.c.need_id).where(need_invitations.c.firm_id == r.firm_id)
            )
        ),
        lambda r, n: (
            n.visibility == NeedVisibility.INVITED and r.firm_id in {f.id for f in n.invited}
        ),
    ),
    _Grant(
        "asked for an introduction",
        _member,
        lambda r: Need.id.in_(
            select(Introduction.need_id).where(Introduction.supplier_id == r.firm_id)
        ),
        _introduced,
    ),
    _Grant(
        "officer of the buyer's province",
        lambda r: r.role == UserRole.OFFICER and bool(r.province_ids),
        lambda r: Need.buyer_id.in_(
            select(Firm.id).where(Firm.province_id.in_(sorted(r.province_ids)))
        ),
        lambda r, n: n.buyer is not None and n.buyer.province_id in r.province_ids,
    ),
)


def needs_clause(user: User | Reader | None) -> ColumnElement[bool]:
    """A WHERE clause selecting the needs ``user`` (None: anonymous) may read."""
    reader = Reader.of(user)
    if reader.unrestricted:
        return true()
    clauses = [g.sql(reader) for g in GRANTS if g.concerns(reader)]
    return or_(*clauses) if clauses else false()


def may_read(user: User | Reader | None, need: Need) -> bool:
    """Whether ``user`` (None: anonymous) may read ``need``: ``needs_clause`` for one
    need already loaded (unsaved ones included)."""
    reader = Reader.of(user)
    if reader.unrestricted:
        return True
    return any(g.test(reader, need) for g in GRANTS if g.concerns(reader))


def readable_ids(
    session: Session, user: User | Reader | None, need_ids: Iterable[int | None]
) -> set[int]:
    """The ids among ``need_ids`` that ``user`` may read, in one query (and, in a
    session with a reader, that the reader may read too: never more)."""
    ids = {i for i in need_ids if i is not None}
    if not ids:
        return ids
    query = select(Need.id).where(Need.id.in_(sorted(ids)), needs_clause(user))
    return set(session.scalars(query))


_N = TypeVar("_N", bound=Need)


def readable(session: Session, user: User | Reader | None, needs: Iterable[_N]) -> list[_N]:
    """``needs`` (from a relationship, say) without those ``user`` may not read, in
    their order; one query for the lot."""
    needs = list(needs)
    shown = readable_ids(session, user, (n.id for n in needs))
    return [n for n in needs if n.id in shown]


# -- the session's reader ---------------------------------------------------------------


def set_reader(session: Session, user: User | Reader | None) -> None:
    """From now on ``session`` reads needs as ``user`` does (None: an anonymous visitor)."""
    session.info[READER] = Reader.of(user)


def clear_reader(session: Session) -> None:
    """No reader: the session reads every need (the system's own work)."""
    session.info.pop(READER, None)


def reader_of(session: Session) -> Reader | None:
    return session.info.get(READER)


@contextmanager
def reading_as(session: Session, user: User | Reader | None) -> Iterator[Session]:
    """Within the block, ``session`` reads needs as ``user`` (a job writing a report or
    a mail for someone); the previous reader, or none, is restored after."""
    missing = object()
    previous: Any = session.info.get(READER, missing)
    set_reader(session, user)
    try:
        yield session
    finally:
        if previous is missing:
            clear_reader(session)
        else:
            session.info[READER] = previous


def _filter(state: ORMExecuteState) -> None:
    reader = state.session.info.get(READER)
    if reader is None or reader.unrestricted:
        return
    if not state.is_select or state.is_column_load or state.is_relationship_load:
        return
    if state.execution_options.get(ALL_NEEDS):
        return
    # Not carried to the lazy loads of what this statement loads: relationships are
    # filtered where they are shown (see the module's docstring).
    state.statement = state.statement.options(
        with_loader_criteria(
            Need, needs_clause(reader), include_aliases=True, propagate_to_loaders=False
        )
    )


def filter_needs(target: object) -> None:
    """Register the filter on ``target`` (a Session class, sessionmaker or scoped
    session), once: app factories called again (tests) must not add it twice."""
    if not event.contains(target, "do_orm_execute", _filter):
        event.listen(target, "do_orm_execute", _filter)
