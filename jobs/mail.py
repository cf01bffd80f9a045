"""Sending e-mail (password-reset links, invitations) as a background task.

With ``MAIL_SERVER`` set, mail goes through that SMTP server (STARTTLS and login when
configured). Without it, as on a first ``make run``, each message is written to
``DATA_DIR/outbox/`` as an ``.eml`` file and logged, so a newcomer can still follow a
reset link.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import quote, urlsplit

from celery import shared_task
from flask import current_app

from catalog.text import literal_text

from .runtime import data_folder

log = logging.getLogger(__name__)


def public_url(endpoint: str, _anchor: str | None = None, **values: Any) -> str:
    """The absolute address of a page, for a link in a mail: always on the configured
    public address (``PUBLIC_URL``), never on the Host header of the request that led
    to the mail, which the client chooses: a forged Host would otherwise send a password
    reset link to the forger's site. Every link in every mail is built here, by a web
    view or a background job alike (both run inside the Flask app)."""
    base = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{quote(_anchor)}" if _anchor else url


def build_message(config: dict[str, Any], to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = config.get("MAIL_FROM") or "KetNoi <no-reply@ketnoi.local>"
    message["To"] = to
    # Subjects name stored things (an event, a capability): one line of literal text,
    # whatever an old row holds, or the header would be refused (or split).
    message["Subject"] = " ".join(literal_text(subject).split())
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="ketnoi.local")
    message.set_content(literal_text(body))
    return message


def deliver(config: dict[str, Any], message: EmailMessage) -> str:
    """Send ``message``; returns where it went ("smtp" or the file written)."""
    server = config.get("MAIL_SERVER")
    if not server:
        outbox = data_folder(config).outbox
        outbox.mkdir(parents=True, exist_ok=True)
        path = outbox / f"{message['Message-ID'].strip('<>').replace('@', '_')}.eml"
        path.write_bytes(bytes(message))
        log.warning("MAIL_SERVER is not set; mail to %s written to %s", message["To"], path)
        return str(path)
    port = int(config.get("MAIL_PORT") or 25)
    smtp_cls = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    with smtp_cls(server, port, timeout=30) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)
    return "smtp"


@shared_task(
    name="ketnoi.send_email",
    autoretry_for=(OSError, smtplib.SMTPException),
    retry_backoff=5,
    max_retries=6,
    acks_late=True,
)
def send_email(to: str, subject: str, body: str) -> str:
    config = current_app.config
    return deliver(config, build_message(config, to, subject, body))
