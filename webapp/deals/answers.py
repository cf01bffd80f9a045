"""Suppliers answer needs, and both firms talk on the deal's page.

Thin views over ``catalog.deals.conversation`` and ``catalog.deals.quotes``: the answer
form (interest with a short message, or a quotation), the deal's page (need, both
firms, the conversation with its files, the quotes, the pipeline), messages, asking the
province's officers in, withdrawing a quote, the files as downloads, and "My deals".
Who may do what is ``catalog.access`` ("need.answer", "deal.view", "deal.supply",
"deal_file.view"); nothing here shows a contact person unless ``firm.contact`` allows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import func, select

from catalog.access.visibility import readable_ids
from catalog.deals import conversation, deals_query, quotes
from catalog.deals.pipeline import STAGE_LABELS, find_deal
from catalog.files import ATTACHMENT_EXTENSIONS
from catalog.models import Deal, DealFile, DealMessage, Need, Quote, Side
from catalog.text import detect_language
from catalog.validation import ValidationError
from jobs.runtime import runtime

from ..access import actor, can, rule
from ..errors import back_to
from ..extensions import db
from ..helpers import stored_download, uploads, uploads_dir
from ..i18n import current_locale
from ..renderings import rendering
from . import bp

QUOTE_FIELDS = (
    "unit_price",
    "currency",
    "min_order_qty",
    "lead_time_days",
    "capacity_per_month",
    "valid_until",
    "note",
)


def files_root() -> Path:
    """Where the deals' attachments are kept (with the other uploads, backed up whole)."""
    return uploads_dir("deals")


def my_deal(need: Need) -> Deal | None:
    """The signed-in supplier's deal on ``need``, if its firm answered it already."""
    user = actor()
    if user is None or user.firm_id is None:
        return None
    return find_deal(db.session, need, user.firm_id)


def concept_tags(text: str | None, language: str | None = None) -> list[str]:
    """The concepts of a text written in the other language, named in the reader's,
    when no rendering of it is available (``webapp.renderings``); else nothing."""
    if not text or not text.strip():
        return []
    source = language if language in ("vi", "en") else detect_language(text)
    if source == current_locale() or rendering(text, language) is not None:
        return []
    tagger = runtime().engine.tagger
    labels = []
    for hit in tagger.tag(text):
        info = tagger.info(hit.concept_id)
        if info is not None:
            labels.append(info.label(current_locale()))
    return labels


def price(value: Any) -> str:
    """A unit price the locale's way, with the decimals it has (up to four)."""
    if value is None:
        return "—"
    return format_decimal(value, format="#,##0.####")


@bp.app_context_processor
def deal_helpers() -> dict[str, Any]:
    """``my_deal`` for the need and opportunities pages' "Open the deal" link."""
    return {"my_deal": my_deal, "concept_tags": concept_tags, "price": price}


@bp.route("/needs/<int:need_id>/answer", methods=["GET", "POST"])
@rule("need.answer", Need)
def answer(need: Need):
    """Express interest with a short message, or send a quotation."""
    user = actor()
    tab = request.args.get("tab", "interest")
    values: dict[str, Any] = {"currency": "VND"}
    errors: dict[str, str] = {}
    if request.method == "POST":
        tab = "quote" if request.form.get("kind") == "quote" else "interest"
        sent = uploads()
        if tab == "quote":
            values = {f: request.form.get(f, "") for f in QUOTE_FIELDS}
            values["capability_ids"] = request.form.getlist("capability_ids")
            values["certification_ids"] = request.form.getlist("certification_ids")
        else:
            values = {"currency": "VND", "message": request.form.get("message", "")}
        try:
            if tab == "quote":
                quote = quotes.submit_quote(
                    db.session, need, user.firm, user, values, sent, root=files_root()
                )
                deal_id = quote.deal_id
            else:
                message = conversation.answer(
                    db.session, need, user.firm, user, values["message"], sent, root=files_root()
                )
                deal_id = message.deal_id
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            db.session.commit()
            flash(
                _("Your quotation was sent to the buyer.")
                if tab == "quote"
                else _("Your answer was sent to the buyer."),
                "success",
            )
            return redirect(url_for("deals.show", deal_id=deal_id))
    firm = user.firm
    page = render_template(
        "deals/answer.html",
        need=need,
        firm=firm,
        deal=my_deal(need),
        values=values,
        errors=errors,
        tab=tab,
        currencies=quotes.CURRENCIES,
        capabilities=[(str(c.id), c.title) for c in firm.capabilities],
        certifications=[(str(c.id), c.standard) for c in firm.certifications],
        accept=ATTACHMENT_EXTENSIONS,
        max_files=conversation.MAX_FILES,
        max_mb=conversation.MAX_FILE_BYTES // (1024 * 1024),
    )
    return page, 422 if errors else 200


@bp.get("/<int:deal_id>")
@rule("deal.view", Deal)
def show(deal: Deal):
    """The deal's page: the need, both firms, the conversation, the quotes, the pipeline."""
    side = conversation.side_of(actor(), deal)
    return render_template(
        "deals/show.html",
        deal=deal,
        side=side.value if side else None,
        may_ask=side in (Side.BUYER, Side.SUPPLIER) and deal.officers_asked_at is None,
        need_readable=can("need.view", deal.need),
        stage_labels=STAGE_LABELS,
        status_labels=quotes.STATUS_LABELS,
        accept=ATTACHMENT_EXTENSIONS,
        max_files=conversation.MAX_FILES,
        max_mb=conversation.MAX_FILE_BYTES // (1024 * 1024),
    )


@bp.post("/<int:deal_id>/messages")
@rule("deal.view", Deal)
def post_message(deal: Deal):
    back_to(url_for("deals.show", deal_id=deal.id, _anchor="message-form"))
    message = conversation.post_message(
        db.session, deal, actor(), request.form.get("body", ""), uploads(), root=files_root()
    )
    db.session.commit()
    flash(_("Message sent."), "success")
    return redirect(url_for("deals.show", deal_id=deal.id, _anchor=f"message-{message.id}"))


@bp.post("/<int:deal_id>/officers")
@rule("deal.view", Deal)
def ask_officers(deal: Deal):
    """One of the two firms asks the provinces' officers into the conversation."""
    asked = conversation.ask_officers(db.session, deal, actor())
    db.session.commit()
    if asked:
        flash(_("The province's officers are asked in: they can now read this deal."), "success")
    return redirect(url_for("deals.show", deal_id=deal.id))


@bp.post("/quotes/<int:quote_id>/withdraw")
@rule("deal.supply", Quote)
def withdraw_quote(quote: Quote):
    back = back_to(url_for("deals.show", deal_id=quote.deal_id, _anchor=f"quote-{quote.id}"))
    quotes.withdraw_quote(db.session, quote, actor())
    db.session.commit()
    flash(_("Quotation withdrawn."), "success")
    return redirect(back)


@bp.get("/files/<int:file_id>")
@rule("deal_file.view", DealFile)
def file(file: DealFile):
    """A deal's file, as a download."""
    return send_deal_file(file)


def send_deal_file(file: DealFile) -> Response:
    """A deal's file, as every stored upload: a download with its checked type."""
    return stored_download(files_root(), file)


@bp.get("/")
@rule("signed_in")
def index():
    """My deals: those the signed-in user may read, newest first."""
    page = db.paginate(
        deals_query(actor()), page=request.args.get("page", 1, type=int), per_page=50
    )
    # The need of a deal an officer was asked into may be one they may not read.
    readable = readable_ids(db.session, actor(), (d.need_id for d in page.items))
    ids = [d.id for d in page.items]
    written = dict(
        db.session.execute(
            select(DealMessage.deal_id, func.max(DealMessage.created_at))
            .where(DealMessage.deal_id.in_(ids or [-1]))
            .group_by(DealMessage.deal_id)
        ).all()
    )
    activity = {
        d.id: max(t for t in (d.updated_at, written.get(d.id)) if t is not None) for d in page.items
    }
    return render_template(
        "deals/index.html",
        page=page,
        readable=readable,
        activity=activity,
        stage_labels=STAGE_LABELS,
    )
