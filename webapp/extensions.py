"""Flask extensions, created once here and bound to an app in the factory."""

from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from catalog.models import Base


def _client_and_account() -> str:
    """Rate-limit sign-in per client address and e-mail, so one attacker cannot use up
    another client's allowance for the same account."""
    email = (request.form.get("email") or "").strip().lower()
    return f"{get_remote_address()}|{email}"


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
limiter = Limiter(key_func=_client_and_account)
