"""Accounts: registration, sign-in with temporary lock-out, password resets, API tokens.

Passwords are hashed with scrypt (Werkzeug's default KDF). Failed sign-ins lock an
account for a while that doubles with each further failure but is capped, so an
attacker can slow a user down but never lock them out for good. Reset links are signed
and expire; they carry a fingerprint of the current password hash, so a link stops
working the moment it has been used (or the password changed any other way).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from .i18n import N_
from .models import ApiToken, Firm, Province, User, UserRole, as_utc, utcnow
from .services import create_firm
from .validation import EMAIL_RE, ValidationError

MIN_PASSWORD = 10
LOCK_AFTER = 5  # failures before the first lock
LOCK_BASE = timedelta(seconds=30)
LOCK_MAX = timedelta(minutes=15)
RESET_MAX_AGE = 3600  # seconds
TOKEN_PREFIX = "kn_"
# A real hash to compare against when the e-mail is unknown, so that timing does not
# reveal which addresses have accounts.
_DUMMY_HASH = generate_password_hash("not-a-password")


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))


def _check_password(password: str, errors: dict[str, str], field: str = "password") -> None:
    if len(password or "") < MIN_PASSWORD:
        errors[field] = N_("Use at least 10 characters.")


def set_password(user: User, password: str) -> None:
    errors: dict[str, str] = {}
    _check_password(password, errors)
    if errors:
        raise ValidationError(errors)
    user.password_hash = generate_password_hash(password)


def create_user(
    session: Session,
    email: str,
    password: str | None,
    name: str = "",
    role: UserRole = UserRole.MEMBER,
    firm: Firm | None = None,
    provinces: Iterable[Province] = (),
    commit: bool = True,
) -> User:
    """A new account. ``password=None`` leaves it unusable until a reset link is followed
    (how colleagues and officers are invited)."""
    email = normalize_email(email)
    errors: dict[str, str] = {}
    if not EMAIL_RE.match(email) or len(email) > 200:
        errors["email"] = N_("Enter a valid e-mail address.")
    elif find_user(session, email) is not None:
        errors["email"] = N_("An account with this e-mail address already exists.")
    if password is not None:
        _check_password(password, errors)
    if role == UserRole.MEMBER and firm is None:
        errors["firm"] = N_("A firm user must belong to a firm.")
    if role == UserRole.OFFICER and not list(provinces):
        errors["provinces"] = N_("Choose at least one province.")
    if errors:
        raise ValidationError(errors)
    user = User(email=email, name=(name or "").strip()[:120], role=role, firm=firm)
    user.provinces = list(provinces)
    user.password_hash = generate_password_hash(password) if password else ""
    session.add(user)
    if commit:
        session.commit()
    return user


def register(session: Session, data: Mapping[str, Any]) -> User:
    """Self-registration: a new supplier or buyer firm and its first user, in one commit."""
    errors: dict[str, str] = {}
    email = normalize_email(data.get("email", ""))
    password = data.get("password", "")
    if password != data.get("password2", password):
        errors["password2"] = N_("The two passwords differ.")
    if data.get("firm_role") not in ("supplier", "buyer"):
        errors["firm_role"] = N_("Choose supplier or buyer.")
    firm_data = {
        "role": data.get("firm_role") or "supplier",
        "name_vi": data.get("firm_name", ""),
        "tax_code": data.get("tax_code", ""),
        "province": data.get("province", ""),
        "ownership": "fdi" if data.get("firm_role") == "buyer" else "domestic",
        "contact_name": data.get("name", ""),
        "contact_email": email,
    }
    try:
        firm = create_firm(session, firm_data, commit=False)
    except ValidationError as exc:
        renamed = {"name_vi": "firm_name"}
        errors.update({renamed.get(k, k): v for k, v in exc.errors.items()})
        firm = None
    try:
        user = create_user(session, email, password, data.get("name", ""), firm=firm, commit=False)
    except ValidationError as exc:  # e-mail and password; "firm" is reported above
        errors.update({k: v for k, v in exc.errors.items() if k != "firm"})
    if errors:
        session.rollback()
        raise ValidationError(errors)
    session.commit()
    return user


def authenticate(session: Session, email: str, password: str) -> tuple[User | None, str | None]:
    """``(user, None)`` on success, else ``(None, reason)``; reason is "locked" or "invalid".

    Every failure on a known account counts; from the fifth, the account is locked for
    30 s, doubling per failure up to 15 minutes. A success clears the count.
    """
    user = find_user(session, email)
    now = utcnow()
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password or "")
        return None, "invalid"
    locked_until = as_utc(user.locked_until)
    if locked_until and locked_until > now:
        return None, "locked"
    if not user.is_active or not check_password_hash(user.password_hash, password or ""):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= LOCK_AFTER:
            delay = min(LOCK_BASE * 2 ** (user.failed_logins - LOCK_AFTER), LOCK_MAX)
            user.locked_until = now + delay
        session.commit()
        return None, "invalid"
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    session.commit()
    return user, None


# Password reset links ---------------------------------------------------------------


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="ketnoi-password-reset")


def _fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "unset").encode()).hexdigest()[:16]


def reset_token(user: User, secret_key: str) -> str:
    return _serializer(secret_key).dumps({"uid": user.id, "fp": _fingerprint(user)})


def user_for_reset_token(
    session: Session, token: str, secret_key: str, max_age: int = RESET_MAX_AGE
) -> User | None:
    """The user a reset link is for, or None if it is forged, expired or already used."""
    try:
        data = _serializer(secret_key).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    user = session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or not user.is_active:
        return None
    if not hmac.compare_digest(_fingerprint(user), str(data.get("fp", ""))):
        return None
    return user


def reset_password(session: Session, user: User, password: str, password2: str) -> None:
    errors: dict[str, str] = {}
    _check_password(password, errors)
    if password != password2:
        errors["password2"] = N_("The two passwords differ.")
    if errors:
        raise ValidationError(errors)
    user.password_hash = generate_password_hash(password)
    user.failed_logins = 0
    user.locked_until = None
    session.commit()


# Personal access tokens -------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token; the plain text is returned once and never stored."""
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ValidationError({"name": N_("Give the token a name (up to 80 characters).")})
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, prefix=plain[:10], token_hash=_digest(plain))
    session.add(token)
    session.commit()
    return token, plain


def user_for_api_token(session: Session, plain: str) -> User | None:
    if not plain or not plain.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == _digest(plain))
        .options(joinedload(ApiToken.user))  # one round trip, not two, per API call
    )
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    now = utcnow()
    last = as_utc(token.last_used_at)
    if last is None or now - last > timedelta(minutes=1):
        # Bookkeeping only: a database that refuses writes for a moment (a locked
        # SQLite file) must not turn an API read into an error.
        token.last_used_at = now
        try:
            session.commit()
        except OperationalError:
            session.rollback()
    return token.user


def revoke_api_token(session: Session, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.commit()


def active_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.id)
        )
    )


def colleagues(session: Session, user: User) -> list[User]:
    """The other users of the user's firm."""
    if user.firm_id is None:
        return []
    return list(
        session.scalars(
            select(User).where(User.firm_id == user.firm_id, User.id != user.id).order_by(User.id)
        )
    )
