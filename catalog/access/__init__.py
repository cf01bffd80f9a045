"""Who may do what: every access rule of KetNoi, in one place.

``can(user, action, target)`` answers for a signed-in ``User`` or ``None`` (anonymous).
The web pages and the API both ask it through one decorator, so a rule changed here
changes everywhere. The rules:

- a firm's users change only their firm, its capabilities, certifications and needs;
- officers act for their provinces: they edit and verify firms there and manage those
  firms' needs; an admin may do anything;
- a need is read according to the visibility its buyer chose (public, registered
  users, officers only, or invited suppliers only), and by suppliers asked for an
  introduction about it (written once in ``catalog.access.visibility``, which every list,
  export and job applies, and the session too);
- contact people are shown to a firm's own users, to officers of its province, and to
  the other side of an accepted introduction: consent first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import object_session

from ..models import (
    ApiToken,
    BackgroundJob,
    Capability,
    Certification,
    Deal,
    DealFile,
    Event,
    EventStatus,
    EvidenceFile,
    Firm,
    FirmClaim,
    Introduction,
    IntroductionStatus,
    JobKind,
    LineStatus,
    Meeting,
    MeetingRequest,
    Need,
    NeedPhoto,
    NeedStatus,
    Notification,
    Programme,
    Quote,
    QuoteRequestRecipient,
    Registration,
    SupplyRelationship,
    SupportApplication,
    SupportFile,
    SupportLine,
    User,
    UserRole,
    Verification,
)
from . import visibility


class OutOfScope(PermissionError):
    """A write refused because its target lies outside what the actor may change (another
    firm, another province). Raised where data is written (``catalog.access.scope``), before
    anything is: the web layer answers 403, an import rejects the row."""

    def __init__(self, message: str, province_ids: Any = (), target: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.province_ids = set(province_ids)
        self.target = target


def _member(user: User | None, firm_id: int | None) -> bool:
    return user is not None and user.role == UserRole.MEMBER and user.firm_id == firm_id


def _officer_for(user: User | None, province_id: int | None) -> bool:
    if user is None:
        return False
    if user.role == UserRole.ADMIN:
        return True
    return user.role == UserRole.OFFICER and province_id in user.province_ids


def _staff(user: User | None) -> bool:
    return user is not None and user.role in (UserRole.OFFICER, UserRole.ADMIN)


def _firm_of(target: Any) -> Firm:
    if isinstance(target, Firm):
        return target
    if isinstance(target, (Capability, Certification)):
        return target.firm
    if isinstance(target, Need):
        return target.buyer
    if isinstance(target, SupplyRelationship):
        return target.supplier
    if isinstance(target, Verification):
        return target.firm
    if isinstance(target, EvidenceFile):
        return target.verification.firm
    raise TypeError(f"no firm for {target!r}")


def edit_firm(user: User | None, target: Any) -> bool:
    """Change a firm's profile, capabilities or certifications (or a need's content)."""
    firm = _firm_of(target)
    return _member(user, firm.id) or _officer_for(user, firm.province_id)


def manage_firm(user: User | None, firm: Firm) -> bool:
    """Verify or delete a firm, manage its users: officers of its province and admins."""
    return _officer_for(user, firm.province_id)


def move_firm(user: User | None, from_province_id: int | None, to_province_id: int | None) -> bool:
    """Move a firm to another province: officers of both provinces and admins. Its own
    users may not take it out of its officers' sight."""
    return _officer_for(user, from_province_id) and _officer_for(user, to_province_id)


def manage_verification(user: User | None, target: Any) -> bool:
    """Record or withdraw checks: officers of the firm's province and admins."""
    return _officer_for(user, _firm_of(target).province_id)


def view_verification(user: User | None, target: Any) -> bool:
    """Open a check's evidence: the firm's own users and its province's officers; the
    files hold invoices, drawings and photos of the shop floor, never public."""
    firm = _firm_of(target)
    return _member(user, firm.id) or _officer_for(user, firm.province_id)


def _event_of(target: Any) -> Event:
    if isinstance(target, Event):
        return target
    if isinstance(target, Registration | Meeting | MeetingRequest):
        return target.event
    raise TypeError(f"no event for {target!r}")


def create_event(user: User | None, _: Any = None) -> bool:
    """Organise events: officers (in their provinces) and admins."""
    return _staff(user)


def manage_event(user: User | None, target: Any) -> bool:
    """Run an event (approve, schedule, check in): officers of its province, admins."""
    return _officer_for(user, _event_of(target).province_id)


def view_event(user: User | None, event: Event) -> bool:
    """Drafts are the organisers' own; an announced event is public."""
    return event.status != EventStatus.DRAFT or manage_event(user, event)


def take_part(user: User | None, event: Event) -> bool:
    """Register one's firm for an event, or send meeting requests at it."""
    return firm_member(user) and view_event(user, event)


def own_registration(user: User | None, reg: Registration) -> bool:
    """A registration's agenda and answers: its firm's users and the organisers."""
    return _member(user, reg.firm_id) or manage_event(user, reg)


def answer_request(user: User | None, req: MeetingRequest) -> bool:
    return _member(user, req.receiver.firm_id)


def view_dashboard(user: User | None, _: Any = None) -> bool:
    """The programme's figures and reports: officers (their provinces) and admins."""
    return _staff(user)


def create_firm(user: User | None, _: Any = None) -> bool:
    return _staff(user)


def post_need(user: User | None, _: Any = None) -> bool:
    if _staff(user):
        return True
    return (
        user is not None
        and user.firm is not None
        and user.firm.role.value
        in (
            "buyer",
            "both",
        )
    )


def posting_firm(user: User, requested: Firm | None) -> Firm | None:
    """The firm a need that ``user`` posts belongs to, whether posted on the page or
    through the API: a firm user posts for their own firm (naming it, or naming none);
    an officer or admin for the buyer firm they name. None when they name none.

    Whether the user may post for the firm returned is ``firm.edit`` on it (a firm user
    naming another firm is refused there, never silently given their own)."""
    if user.firm is not None and (requested is None or requested.id == user.firm_id):
        return user.firm
    return requested


def manage_need(user: User | None, need: Need) -> bool:
    """Edit a need, see its ranked matches, shortlist, record outcomes, export."""
    return edit_firm(user, need)


def view_need(user: User | None, need: Need) -> bool:
    """Read a need: the one visibility rule (``catalog.access.visibility``), as lists apply it."""
    return visibility.may_read(user, need)


def see_contact(user: User | None, firm: Firm) -> bool:
    """A firm's contact person: its own users, its officers, or an accepted introduction."""
    if user is None:
        return False
    if _member(user, firm.id) or _officer_for(user, firm.province_id):
        return True
    if user.firm_id is None:
        return False
    session = object_session(firm)
    if session is None:
        return False
    pair = [(user.firm_id, firm.id), (firm.id, user.firm_id)]
    return (
        session.scalar(
            select(Introduction.id)
            .where(Introduction.status == IntroductionStatus.ACCEPTED)
            .where(
                or_(
                    *[
                        (Introduction.supplier_id == s) & (Introduction.buyer_id == b)
                        for s, b in pair
                    ]
                )
            )
            .limit(1)
        )
        is not None
    )


def decide_introduction(user: User | None, intro: Introduction) -> bool:
    """Accept or decline: the supplier's own users (the side whose consent is asked)."""
    return _member(user, intro.supplier_id)


def consent_for_firm(user: User | None, intro: Introduction) -> bool:
    """Record a firm's consent on its behalf (``catalog.notifications.consent``): the
    officers of the supplier's province and admins; the firm's own users answer instead."""
    return _officer_for(user, intro.supplier.province_id)


def invite_claimant(user: User | None, firm: Firm) -> bool:
    """Invite a firm's contact to claim its profile (``catalog.notifications.invitations``):
    officers of the firm's province and admins, whose invitation is their approval."""
    return _officer_for(user, firm.province_id)


def own_notification(user: User | None, note: Notification) -> bool:
    """A notification is its recipient's alone."""
    return user is not None and note.user_id == user.id


def view_introduction(user: User | None, intro: Introduction) -> bool:
    return (
        _member(user, intro.supplier_id)
        or _member(user, intro.buyer_id)
        or _officer_for(user, intro.buyer.province_id)
        or _officer_for(user, intro.supplier.province_id)
    )


def manage_user(user: User | None, target: User) -> bool:
    """Admins manage everyone; officers manage officers and firm users of their provinces."""
    if user is None:
        return False
    if user.role == UserRole.ADMIN:
        return True
    if user.role != UserRole.OFFICER or target.role == UserRole.ADMIN:
        return False
    if target.role == UserRole.OFFICER:
        return bool(target.province_ids) and target.province_ids <= user.province_ids
    return target.firm is not None and target.firm.province_id in user.province_ids


def manage_users(user: User | None, _: Any = None) -> bool:
    return _staff(user)


def use_two_factor(user: User | None, _: Any = None) -> bool:
    """Two-factor sign-in is offered to officers and admins, who hold the most power."""
    return _staff(user)


def file_claim(user: User | None, _: Any = None) -> bool:
    """Claim a firm the catalogue holds (``catalog.claims``): a firm user who acts for
    no firm yet. A pending claim opens nothing of the firm: it is not membership."""
    return user is not None and user.role == UserRole.MEMBER and user.firm_id is None


def review_claims(user: User | None, _: Any = None) -> bool:
    """List claims on firms: officers (their provinces' firms) and admins."""
    return _staff(user)


def decide_claim(user: User | None, claim: FirmClaim) -> bool:
    """Approve or reject a claim: officers of the claimed firm's province and admins."""
    return _officer_for(user, claim.firm.province_id)


def view_audit(user: User | None, _: Any = None) -> bool:
    return _staff(user)


def own_token(user: User | None, token: ApiToken) -> bool:
    return user is not None and token.user_id == user.id


def own_job(user: User | None, job: BackgroundJob) -> bool:
    """Follow a background job (its progress, its files): its owner, whatever their
    role (a report holds what its owner may read, not what another officer may). A
    survey import is also followed by the officers of the provinces it belongs to and by
    admins: it is part of those provinces' import history, and its rejected rows hold
    only what the file said about firms there."""
    if user is None:
        return False
    if job.owner_id is not None and job.owner_id == user.id:
        return True
    if job.kind != JobKind.IMPORT:
        return False
    provinces = (job.params or {}).get("provinces") or []
    return user.role == UserRole.ADMIN or any(_officer_for(user, p) for p in provinces)


def firm_member(user: User | None, _: Any = None) -> bool:
    return user is not None and user.role == UserRole.MEMBER and user.firm_id is not None


def programme_of(target: Any) -> Programme:
    """The programme a programme record belongs to."""
    if isinstance(target, Programme):
        return target
    if isinstance(target, SupportLine):
        return target.programme
    if isinstance(target, SupportApplication):
        return target.line.programme
    if isinstance(target, SupportFile):
        return target.application.line.programme
    raise TypeError(f"no programme for {target!r}")


def manage_programme(user: User | None, target: Any = None) -> bool:
    """Set up and run a province's programmes (lines, budgets, targets, decisions,
    payments, results): its officers and admins; with no target, whether the user
    may set one up at all (in the provinces they serve)."""
    if target is None:
        return _staff(user)
    return _officer_for(user, programme_of(target).province_id)


def apply_for_support(user: User | None, line: SupportLine) -> bool:
    """Apply to a support line: the users of a firm, while the line is open (whether
    the firm is eligible is the application's own check, with its reasons)."""
    return firm_member(user) and line.status == LineStatus.OPEN


def view_application(user: User | None, target: Any) -> bool:
    """A support application and its files: the firm's own users, and the officers of
    the programme's province (who decide it), never another firm."""
    application = target.application if isinstance(target, SupportFile) else target
    return _member(user, application.firm_id) or manage_programme(user, application)


def own_application(user: User | None, application: SupportApplication) -> bool:
    """Withdraw an application: the firm's own users."""
    return _member(user, application.firm_id)


def signed_in(user: User | None, _: Any = None) -> bool:
    return user is not None


def anyone(user: User | None, _: Any = None) -> bool:
    return True


def view_need_photo(user: User | None, photo: NeedPhoto) -> bool:
    return view_need(user, photo.need)


def manage_need_photo(user: User | None, photo: NeedPhoto) -> bool:
    return manage_need(user, photo.need)


def answer_need(user: User | None, need: Need) -> bool:
    """Answer an open need (interest or a quote): a supplier firm's users who may read
    it, never the buyer's own."""
    return (
        user is not None
        and user.role == UserRole.MEMBER
        and user.firm is not None
        and user.firm.is_supplier
        and user.firm_id != need.buyer_id
        and need.status == NeedStatus.OPEN
        and view_need(user, need)
    )


def _asked_in(user: User | None, deal: Deal) -> bool:
    """An officer (of either firm's province) or admin, once one side asked them in."""
    return deal.officers_asked_at is not None and (
        _officer_for(user, deal.buyer.province_id) or _officer_for(user, deal.supplier.province_id)
    )


def _deal_of(target: Any) -> Deal:
    """The deal a quote or a request's recipient belongs to (their routes name them)."""
    if isinstance(target, Quote | QuoteRequestRecipient):
        return target.deal
    return target


def view_deal(user: User | None, deal: Deal) -> bool:
    """Read a deal's conversation, quotes and files: the two firms' users, and the
    provinces' officers only once one side asked them in."""
    deal = _deal_of(deal)
    return _member(user, deal.supplier_id) or _member(user, deal.buyer_id) or _asked_in(user, deal)


def supply_deal(user: User | None, deal: Deal) -> bool:
    """Act as the supplier of a deal (send a quote, accept a non-disclosure agreement)."""
    return _member(user, _deal_of(deal).supplier_id)


def manage_deal(user: User | None, deal: Deal) -> bool:
    """Move a deal through its stages, order, decline, rate: whoever manages the need
    (the buyer's users, and the officers of the buyer's province, for events). This
    shows the stages, not the conversation (``view_deal``)."""
    return manage_need(user, _deal_of(deal).need)


def view_deal_file(user: User | None, file: DealFile) -> bool:
    """A file of a deal: whoever reads the deal. A need's own drawing: whoever manages
    the need, and the suppliers a request for quotation sent it to (once they accepted
    its non-disclosure agreement, when it has one)."""
    if file.deal is not None:
        return view_deal(user, file.deal)
    if file.need is None:
        return False
    if manage_need(user, file.need):
        return True
    from ..deals.requests import may_read_need_files  # the request's own rule

    return may_read_need_files(user, file.need)


RULES: dict[str, Callable[[User | None, Any], bool]] = {
    "anyone": anyone,
    "signed_in": signed_in,
    "firm.member": firm_member,
    "firm.create": create_firm,
    "firm.edit": edit_firm,
    "firm.manage": manage_firm,
    "firm.contact": see_contact,
    "verification.manage": manage_verification,
    "dashboard.view": view_dashboard,
    "event.create": create_event,
    "event.manage": manage_event,
    "event.view": view_event,
    "event.take_part": take_part,
    "registration.own": own_registration,
    "request.answer": answer_request,
    "verification.view": view_verification,
    "need.post": post_need,
    "need.view": view_need,
    "need.manage": manage_need,
    "need_photo.view": view_need_photo,
    "need_photo.manage": manage_need_photo,
    "need.answer": answer_need,
    "deal.view": view_deal,
    "deal.supply": supply_deal,
    "deal.manage": manage_deal,
    "deal_file.view": view_deal_file,
    "introduction.view": view_introduction,
    "introduction.decide": decide_introduction,
    "introduction.consent": consent_for_firm,
    "claim.invite": invite_claimant,
    "notification.own": own_notification,
    "users.manage": manage_users,
    "user.manage": manage_user,
    "audit.view": view_audit,
    "claim.file": file_claim,
    "claims.review": review_claims,
    "claim.decide": decide_claim,
    "token.own": own_token,
    "job.own": own_job,
    "two_factor.use": use_two_factor,
    "programme.view": anyone,  # a province's programme is a public decision
    "programme.manage": manage_programme,
    "support.apply": apply_for_support,
    "support.view": view_application,
    "support.decide": manage_programme,
    "support.own": own_application,
}


def can(user: User | None, action: str, target: Any = None) -> bool:
    """Whether ``user`` (None for anonymous) may do ``action`` to ``target``."""
    return RULES[action](user, target)


def visible_needs_clause(user: User | None):
    """A WHERE clause selecting the needs ``user`` may read (for lists and search): the
    same rule as ``view_need`` (``catalog.access.visibility``)."""
    return visibility.needs_clause(user)


def officer_province_ids(user: User | None) -> set[int] | None:
    """Provinces an officer sees in reports and the audit log; None means all (admin)."""
    if user is None:
        return set()
    if user.role == UserRole.ADMIN:
        return None
    return user.province_ids if user.role == UserRole.OFFICER else set()
