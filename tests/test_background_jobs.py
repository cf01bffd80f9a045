"""Background jobs recorded in one table (``jobs.records``): owned by the user who started
them, followed from any browser they sign in with, and only by them; the record says how
a job ended after the task queue's result has expired."""

from __future__ import annotations

from catalog.dashboard import Period
from catalog.models import BackgroundJob, JobKind, JobState
from webapp.extensions import db


def _newest_report(client, period: str) -> str:
    page = client.get(f"/dashboard/?province=VP&period={period}").get_data(as_text=True)
    return page.split('data-status="/dashboard/reports/')[1].split(".json")[0]


def test_a_report_job_is_recorded_for_its_owner_and_outlives_the_queue(app, people, client_as):
    period = Period.current("year").previous().label
    officer = client_as("officer")
    assert officer.post(f"/dashboard/reports?province=VP&period={period}").status_code == 302
    job_id = _newest_report(officer, period)
    with app.app_context():
        job = db.session.get(BackgroundJob, job_id)
        assert (job.owner_id, job.kind, job.state) == (
            people.users["officer"],
            JobKind.REPORT,
            JobState.DONE,
        )
        assert job.params == {"province": "PT", "period": period}
        assert set(job.files) == {"xlsx", "pdf"} and job.finished_at is not None
        db.session.remove()
    # Another browser of the same officer follows it: nothing is kept in the cookie.
    elsewhere = client_as("officer")
    assert _newest_report(elsewhere, period) == job_id
    assert elsewhere.get(f"/dashboard/reports/{job_id}.pdf").data.startswith(b"%PDF")
    # The task queue's result expires; the record still says the report is ready.
    with app.app_context():
        app.extensions["celery"].AsyncResult(job_id).forget()
    assert elsewhere.get(f"/dashboard/reports/{job_id}.json").json["state"] == "SUCCESS"
    # Nobody else follows it, whatever their role; not even an admin.
    for role in ("other_officer", "admin"):
        other = client_as(role)
        assert other.get(f"/dashboard/reports/{job_id}.json").status_code == 404
        assert other.get(f"/dashboard/reports/{job_id}.xlsx").status_code == 404


def test_a_job_of_another_kind_is_not_found_under_this_one(app, people, client_as):
    with app.app_context():
        db.session.merge(
            BackgroundJob(
                id="schedule-of-officer", owner_id=people.users["officer"], kind=JobKind.SCHEDULE
            )
        )
        db.session.commit()
        db.session.remove()
    officer = client_as("officer")
    assert officer.get("/dashboard/reports/schedule-of-officer.json").status_code == 404
    assert officer.get("/imports/jobs/schedule-of-officer.json").status_code == 404
