"""What a commit sets off (``jobs.after_commit``): a judgement recorded anywhere, by a
service or a job, asks the reranker whether it is due for training, once the commit
stands; a rolled-back one asks nothing. (The re-index entry is tested in test_index.)"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from celery.signals import task_prerun
from sqlalchemy import select

from catalog import services
from catalog.models import Firm, FirmRole, MatchJudgement, Need, NeedStatus, Outcome

TRAIN = "ketnoi.train_reranker"


@contextlib.contextmanager
def tasks_run() -> Iterator[list[str]]:
    """The names of the tasks run meanwhile (eagerly, in this process)."""
    names: list[str] = []

    def seen(sender=None, **_kwargs) -> None:
        names.append(sender.name)

    task_prerun.connect(seen, weak=False)
    try:
        yield names
    finally:
        task_prerun.disconnect(seen)


def _need_and_supplier(session) -> tuple[Need, Firm]:
    need = session.scalar(select(Need).where(Need.status == NeedStatus.OPEN).order_by(Need.id))
    suppliers = select(Firm).where(Firm.role == FirmRole.SUPPLIER, Firm.id != need.buyer_id)
    supplier = session.scalar(suppliers.order_by(Firm.id))
    return need, supplier


def test_a_judgement_recorded_through_the_service_queues_retraining(session):
    need, supplier = _need_and_supplier(session)
    with tasks_run() as ran:
        services.record_outcome(session, need, supplier, "meeting", source="test")
    assert ran.count(TRAIN) == 1


def test_a_judgement_recorded_by_any_code_queues_retraining_on_commit(session):
    """No caller has to remember it (a meeting's outcome records its judgement itself)."""
    need, supplier = _need_and_supplier(session)
    with tasks_run() as ran:
        session.add(
            MatchJudgement(need=need, firm_id=supplier.id, outcome=Outcome.MEETING, source="test")
        )
        session.flush()
        assert TRAIN not in ran  # not before the commit
        session.commit()
    assert ran.count(TRAIN) == 1


def test_a_rolled_back_judgement_queues_nothing(session):
    need, supplier = _need_and_supplier(session)
    with tasks_run() as ran:
        session.add(
            MatchJudgement(need=need, firm_id=supplier.id, outcome=Outcome.DEAL, source="test")
        )
        session.flush()
        session.rollback()
        session.commit()  # an empty transaction after it: nothing left to queue
    assert TRAIN not in ran


def test_a_judgement_in_a_savepoint_rolled_back_queues_nothing(session):
    need, supplier = _need_and_supplier(session)
    with tasks_run() as ran:
        savepoint = session.begin_nested()
        session.add(
            MatchJudgement(need=need, firm_id=supplier.id, outcome=Outcome.DEAL, source="test")
        )
        session.flush()
        savepoint.rollback()
        session.commit()
    assert TRAIN not in ran
