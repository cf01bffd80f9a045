"""Administration: officers and admins manage users, and read the audit log."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from catalog import accounts, queries
from catalog.access import officer_province_ids
from catalog.access.audit import (
    ACTION_LABELS,
    ALERT,
    ENTITY_LABELS,
    alert_message,
    describe,
    entries_query,
)
from catalog.models import AuditEntry, Firm, Province, User, UserRole
from catalog.validation import ValidationError, clean_text, record_id

from .access import actor, authorize, can, rule
from .accounts import send_reset_link
from .extensions import db
from .helpers import translate
from .i18n import current_locale

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _users_query():
    me = actor()
    query = select(User).order_by(User.role, User.email)
    scope = officer_province_ids(me)
    if scope is not None:
        officers = select(User.id).join(User.provinces).where(Province.id.in_(scope or {-1}))
        firms = select(Firm.id).where(Firm.province_id.in_(scope or {-1}))
        query = query.where(User.id.in_(officers) | User.firm_id.in_(firms))
    return query


@bp.get("/users")
@rule("users.manage")
def users():
    page = db.paginate(_users_query(), page=request.args.get("page", 1, type=int), per_page=50)
    return render_template("admin/users.html", page=page, values={}, errors={}, **_choices())


def _choices() -> dict:
    me = actor()
    provinces = queries.provinces(db.session)
    scope = officer_province_ids(me)
    if scope is not None:
        provinces = [p for p in provinces if p.id in scope]
    roles = [UserRole.MEMBER, UserRole.OFFICER] + ([UserRole.ADMIN] if me.is_admin else [])
    names = {
        UserRole.MEMBER: _("Firm user"),
        UserRole.OFFICER: _("Provincial officer"),
        UserRole.ADMIN: _("Administrator"),
    }
    return {
        "provinces": provinces,
        "roles": roles,
        "role_options": [(r.value, names[r]) for r in roles],
    }


@bp.post("/users")
@rule("users.manage")
def create_user():
    """Create an officer (for one's own provinces), a firm user or, for admins, an admin.
    The new user gets an e-mailed link to choose a password."""
    form = request.form
    values = form.to_dict()
    errors: dict[str, str] = {}
    role = form.get("role", "officer")
    if role not in {r.value for r in _choices()["roles"]}:
        errors["role"] = _("Choose a role you may grant.")
    allowed = {p.code: p for p in _choices()["provinces"]}
    provinces = [allowed[c] for c in form.getlist("provinces") if c in allowed]
    firm = None
    if role == "member":
        firm = db.session.get(Firm, form.get("firm_id", type=record_id) or 0)
        if firm is None or not can("firm.manage", firm):
            errors["firm_id"] = _("Give the id of a firm in your provinces.")
    if not errors:
        try:
            user = accounts.create_user(
                db.session,
                form.get("email", ""),
                None,
                form.get("name", ""),
                role=UserRole(role),
                firm=firm,
                provinces=provinces if role == "officer" else (),
                commit=False,
            )
            authorize("user.manage", user)
            db.session.commit()
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
    if errors:
        page = db.paginate(_users_query(), page=1, per_page=50)
        return render_template(
            "admin/users.html", page=page, values=values, errors=errors, **_choices()
        ), 422
    send_reset_link(user, invitation=True)
    flash(
        _("Account created; %(email)s was sent a link to choose a password.", email=user.email),
        "success",
    )
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>")
@rule("user.manage", User)
def update_user(user: User):
    """Deactivate or reactivate an account (nobody deactivates themselves)."""
    if user.id == actor().id:
        flash(_("You cannot change your own account here."), "error")
    else:
        user.active = request.form.get("active") == "1"
        db.session.commit()
        flash(_("Account updated."), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@rule("user.manage", User)
def edit_user(user: User):
    """Change a user's role and provinces. Officers grant only what they hold: roles up
    to officer, provinces of their own; nobody changes their own role."""
    choices = _choices()
    errors: dict[str, str] = {}
    values = {"role": user.role.value, "name": user.name}
    if request.method == "POST":
        values = request.form.to_dict()
        role = request.form.get("role", "")
        allowed = {p.code: p for p in choices["provinces"]}
        provinces = [allowed[c] for c in request.form.getlist("provinces") if c in allowed]
        if role not in {r.value for r in choices["roles"]}:
            errors["role"] = _("Choose a role you may grant.")
        elif user.id == actor().id and role != user.role.value:
            errors["role"] = _("You cannot change your own role.")
        elif role == UserRole.OFFICER.value and not provinces:
            errors["provinces"] = _("Choose at least one province.")
        elif role == UserRole.MEMBER.value and user.firm_id is None:
            errors["role"] = _("A firm user must belong to a firm.")
        try:
            name = clean_text(request.form.get("name", user.name))[:120]
        except ValueError as exc:
            errors["name"] = exc.args[0]
        if not errors:
            user.role = UserRole(role)
            user.name = name
            if role == UserRole.OFFICER.value:
                kept = [p for p in user.provinces if p.code not in allowed]  # not ours to drop
                user.provinces = kept + provinces
            else:
                user.provinces = []
            if role != UserRole.MEMBER.value:
                user.firm_id = None
            authorize("user.manage", user)  # the result must still be within one's scope
            db.session.commit()
            flash(_("Account updated."), "success")
            return redirect(url_for("admin.users"))
    page = render_template(
        "admin/user_form.html", user=user, values=values, errors=errors, **choices
    )
    return page, 422 if errors else 200


@bp.get("/audit")
@rule("audit.view")
def audit():
    """The log of one's provinces, newest first: what changed (field names in the
    reader's language, old → new, names rather than ids) and alerts (refusals outside
    an officer's provinces, lock-outs), which ``?entity=alert`` lists alone."""
    scope = officer_province_ids(actor())
    query = entries_query(scope)
    entity = request.args.get("entity")
    if entity:
        query = query.where(AuditEntry.entity == entity)
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=50)
    return render_template(
        "admin/audit.html",
        page=page,
        entity=entity,
        shown=describe(db.session, page.items, current_locale(), translate),
        provinces={p.id: p for p in queries.provinces(db.session)},
        entity_label=lambda name: translate(ENTITY_LABELS.get(name, name)),
        action_label=lambda name: translate(ACTION_LABELS.get(name, name)),
        alert_message=lambda e: alert_message(e, translate),
        ALERT=ALERT,
    )
