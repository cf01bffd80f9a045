"""Flask extensions, created once here and bound to an app in the factory."""

from __future__ import annotations

from flask import Flask, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from catalog.models import Base


def client_address() -> str:
    """The client's address: the connection's peer, or, behind ``KETNOI_PROXY_FIX``
    trusted proxies, the address they saw (``apply_proxy_fix``). Never a header the
    client could write itself when no proxy is declared."""
    return request.remote_addr or "unknown"


def _client_and_account() -> str:
    """Registration and reset requests: per client address and e-mail, so one client
    cannot use up another client's allowance for an address. Sign-in is limited per
    address alone (``webapp.accounts``): that is what slows password spraying."""
    email = (request.form.get("email") or "").strip().lower()
    return f"{client_address()}|{email}"


def proxy_hops(value: str | int | bool | None) -> int:
    """``KETNOI_PROXY_FIX``: how many reverse proxies in front of the app to trust
    ("1"/"true" for one, a number for a chain, unset/"0"/"false" for none)."""
    text = str(value if value is not None else "").strip().lower()
    if text in {"", "0", "false", "no", "off"}:
        return 0
    if text in {"true", "yes", "on"}:
        return 1
    return max(0, int(text)) if text.isdigit() else 0


def apply_proxy_fix(app: Flask) -> None:
    """Behind trusted proxies, take the client address and scheme from the
    ``X-Forwarded-For`` and ``X-Forwarded-Proto`` they add (ProxyFix), so per-address
    limits count clients, not the proxy, and secure cookies know they are on HTTPS.
    The Host is not taken from ``X-Forwarded-Host``: the proxy must pass ``Host``."""
    hops = proxy_hops(app.config.get("PROXY_FIX"))
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
limiter = Limiter(key_func=_client_and_account)
