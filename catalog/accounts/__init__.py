"""Accounts: registration, throttled sign-in, two-factor sign-in, password changes and
resets, sessions that end, API tokens.

Passwords are hashed with scrypt (Werkzeug's default KDF). Sign-in is never locked:
after a few failures for an e-mail address every further attempt for it waits a short,
capped delay before the password is checked (``Throttle``), so guessing slows down
while the owner, with the right password, still gets in after a few seconds at worst.
The answer and the work done are the same whether or not the address has an account.
Limits per client address live in the web layer (Flask-Limiter).

A user's ``session_version`` is part of the id kept in session cookies: raising it (on
sign-out, a password change or reset, turning two-factor sign-in on) ends every session
of the account. A reset also revokes the account's API tokens. Reset links are signed
and expire; they carry a fingerprint of the current password hash, so a link stops
working the moment it has been used (or the password changed any other way).

Officers and admins may add a second factor (TOTP, RFC 6238, with pyotp): each code is
accepted once, and ten one-time recovery codes, stored as digests, stand in for a lost
phone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from ..access import audit
from ..i18n import N_
from ..models import ApiToken, Firm, Province, User, UserRole, as_utc, utcnow
from ..models.accounts import SignInFailure, TokenScope
from ..services import create_firm
from ..validation import EMAIL_RE, ValidationError, clean_field, clean_text

MIN_PASSWORD = 10
RESET_MAX_AGE = 3600  # seconds
TOKEN_PREFIX = "kn_"
TOKEN_DAYS = (30, 90, 365)  # the lifetimes a token may be given
DEFAULT_TOKEN_DAYS = 90
TOTP_ISSUER = "KetNoi"
RECOVERY_CODES = 10
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
    try:
        name = clean_text(name or "")
    except ValueError as exc:
        errors["name"] = exc.args[0]
    if errors:
        raise ValidationError(errors)
    user = User(email=email, name=name[:120], role=role, firm=firm)
    user.provinces = list(provinces)
    user.password_hash = generate_password_hash(password) if password else ""
    session.add(user)
    if commit:
        session.commit()
    return user


def register(session: Session, data: Mapping[str, Any], locale: str | None = None) -> User:
    """Self-registration: a new supplier or buyer firm and its first user, in one commit.

    A tax code the catalogue already holds creates no firm and joins none: the account
    is created with a claim on that firm (``catalog.claims``, message ``claim_message``)
    for the officers of its province to decide, and acts for no firm until then. So
    nobody takes a firm by registering its tax code first, and its owner is never
    refused. ``locale`` is the language the account's mail is written in."""
    from ..claims import file_claim, firm_with_tax_code

    errors: dict[str, str] = {}
    email = normalize_email(data.get("email", ""))
    password = data.get("password", "")
    if password != data.get("password2", password):
        errors["password2"] = N_("The two passwords differ.")
    if data.get("firm_role") not in ("supplier", "buyer"):
        errors["firm_role"] = N_("Choose supplier or buyer.")
    claimed = firm_with_tax_code(session, data.get("tax_code", ""))
    firm = None
    if claimed is None:
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
    user = None
    try:
        # A claimant is checked as the claimed firm's user would be, then holds no firm
        # until the claim is approved.
        user = create_user(
            session, email, password, data.get("name", ""), firm=firm or claimed, commit=False
        )
    except ValidationError as exc:  # e-mail and password; "firm" is reported above
        errors.update({k: v for k, v in exc.errors.items() if k != "firm"})
    if user is not None and claimed is not None:
        user.firm = None
        try:
            file_claim(session, user, claimed, data.get("claim_message", ""), commit=False)
        except ValidationError as exc:
            renamed = {"message": "claim_message"}
            errors.update({renamed.get(k, k): v for k, v in exc.errors.items()})
    if errors:
        session.rollback()
        raise ValidationError(errors)
    if user is not None and locale in ("vi", "en"):
        user.locale = locale
    session.commit()
    return user


# Sign-in, throttled per e-mail address ----------------------------------------------


@dataclass(frozen=True)
class Throttle:
    """How sign-in slows down for an e-mail address that keeps failing.

    The first ``free`` failures within ``window`` cost nothing; from then on every
    attempt for that address, right or wrong, for an account or not, first waits
    ``base`` seconds, doubling with each further failure up to ``cap``, and only then
    is the password checked. So the owner's right password always signs in, a few
    seconds late at worst, while a guesser gets one try per ``cap`` seconds per
    connection (the per-address limits of the web layer bound the connections). A
    failure older than ``window`` is forgotten; a success forgets them all.
    """

    free: int = 5
    base: float = 1.0
    cap: float = 5.0
    window: timedelta = timedelta(minutes=15)

    def delay(self, failures: int) -> float:
        """Seconds to wait before checking a password after ``failures`` recent failures."""
        if failures < self.free:
            return 0.0
        return min(self.base * 2 ** min(failures - self.free, 30), self.cap)


DEFAULT_THROTTLE = Throttle()
Sleep = Callable[[float], Any]


def _failure_key(email: str) -> str:
    return hashlib.sha256(normalize_email(email).encode()).hexdigest()


def recent_failures(session: Session, email: str, throttle: Throttle = DEFAULT_THROTTLE) -> int:
    """Failed attempts for ``email`` within the throttle's window (0 when none)."""
    row = session.execute(
        select(SignInFailure.failures, SignInFailure.last_at).where(
            SignInFailure.key == _failure_key(email)
        )
    ).first()
    if row is None or as_utc(row.last_at) < utcnow() - throttle.window:
        return 0
    return row.failures


def _wait_for_turn(session: Session, email: str, throttle: Throttle, sleep: Sleep) -> None:
    wait = throttle.delay(recent_failures(session, email, throttle))
    if wait > 0:
        sleep(wait)


def _province_of(user: User | None) -> int | None:
    if user is None:
        return None
    if user.firm is not None:
        return user.firm.province_id
    return user.provinces[0].id if user.provinces else None


def record_failure(
    session: Session,
    email: str,
    throttle: Throttle = DEFAULT_THROTTLE,
    user: User | None = None,
    client: str | None = None,
) -> int:
    """Count one failed attempt for ``email`` (a wrong password or second-factor code);
    returns the failures within the window, this one included.

    When the count reaches the point where sign-in slows down, and every ten times that
    many after, an alert goes to the audit log (under the account's province, so its
    officers see it; unknown addresses go to the admins).
    """
    key, now = _failure_key(email), utcnow()
    session.execute(delete(SignInFailure).where(SignInFailure.last_at < now - throttle.window))
    bump = (
        update(SignInFailure)
        .where(SignInFailure.key == key)
        .values(failures=SignInFailure.failures + 1, last_at=now)
        .execution_options(synchronize_session=False)
    )
    if session.execute(bump).rowcount == 0:
        try:
            session.execute(
                SignInFailure.__table__.insert().values(key=key, failures=1, last_at=now)
            )
        except IntegrityError:  # another request counted the first failure meanwhile
            session.rollback()
            session.execute(bump)
    count = session.scalar(select(SignInFailure.failures).where(SignInFailure.key == key)) or 1
    if count == throttle.free or (count > throttle.free and count % (10 * throttle.free) == 0):
        audit.alert(
            session,
            "sign_in_throttled",
            N_(
                "%(count)s failed sign-ins for %(email)s: each attempt now waits first.",
                count=count,
                email=normalize_email(email)[:200],
            ),
            province_id=_province_of(user),
            actor=client or None,
            details={"failures": count, "client": client, "account": user is not None},
        )
    session.commit()
    return count


def clear_failures(session: Session, email: str) -> None:
    session.execute(delete(SignInFailure).where(SignInFailure.key == _failure_key(email)))


def authenticate(
    session: Session,
    email: str,
    password: str,
    throttle: Throttle = DEFAULT_THROTTLE,
    sleep: Sleep = time.sleep,
    client: str | None = None,
) -> User | None:
    """The active user with this e-mail and password, or None.

    Never a lock, and one answer for every failure: an unknown address, an account
    without a password yet, a deactivated one and a wrong password all cost the same
    wait, the same password hash and the same failure count, so neither the answer nor
    its timing tells which addresses have accounts. Success is not recorded here: for a
    user with a second factor, sign-in is complete only after the code
    (``record_sign_in``).
    """
    email = normalize_email(email)
    _wait_for_turn(session, email, throttle, sleep)
    user = find_user(session, email)
    usable = user is not None and bool(user.password_hash)
    right = check_password_hash(user.password_hash if usable else _DUMMY_HASH, password or "")
    if usable and right and user.is_active:
        return user
    record_failure(session, email, throttle, user=user, client=client)
    return None


def record_sign_in(session: Session, user: User) -> None:
    """A complete sign-in: the address's failures are forgotten."""
    clear_failures(session, user.email)
    user.last_login_at = utcnow()
    session.commit()


def password_matches(
    session: Session,
    user: User,
    password: str,
    throttle: Throttle = DEFAULT_THROTTLE,
    sleep: Sleep = time.sleep,
    client: str | None = None,
) -> bool:
    """Check a signed-in user's password again (to change it, to turn off the second
    factor), throttled and counted like a sign-in: a stolen session cookie is no faster
    way to guess the password."""
    _wait_for_turn(session, user.email, throttle, sleep)
    if user.password_hash and check_password_hash(user.password_hash, password or ""):
        return True
    record_failure(session, user.email, throttle, user=user, client=client)
    return False


# Sessions -----------------------------------------------------------------------------


def end_sessions(session: Session, user: User, commit: bool = True) -> None:
    """End every session of the account: cookies issued before carry the old version."""
    user.session_version = (user.session_version or 0) + 1
    if commit:
        session.commit()


def _set_new_password(session: Session, user: User, password: str) -> None:
    user.password_hash = generate_password_hash(password)
    user.password_changed_at = utcnow()
    end_sessions(session, user, commit=False)
    clear_failures(session, user.email)


def change_password(
    session: Session,
    user: User,
    current: str,
    password: str,
    password2: str,
    throttle: Throttle = DEFAULT_THROTTLE,
    sleep: Sleep = time.sleep,
    client: str | None = None,
) -> None:
    """A signed-in user changes their password, giving the current one. Every session
    of the account ends (the caller starts a new one for the user at hand)."""
    errors: dict[str, str] = {}
    if not password_matches(session, user, current, throttle, sleep, client):
        errors["current_password"] = N_("The current password is wrong.")
    _check_password(password, errors)
    if password != password2:
        errors["password2"] = N_("The two passwords differ.")
    if errors:
        raise ValidationError(errors)
    _set_new_password(session, user, password)
    session.commit()


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


def reset_password(session: Session, user: User, password: str, password2: str) -> int:
    """Set the password chosen through a reset link. Whoever had the account may have
    had more than the password: every session ends and every API token is revoked.
    Returns how many tokens were revoked."""
    errors: dict[str, str] = {}
    _check_password(password, errors)
    if password != password2:
        errors["password2"] = N_("The two passwords differ.")
    if errors:
        raise ValidationError(errors)
    _set_new_password(session, user, password)
    revoked = revoke_all_tokens(session, user, commit=False)
    session.commit()
    return revoked


# Personal access tokens -------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(
    session: Session,
    user: User,
    name: str,
    days: int | str = DEFAULT_TOKEN_DAYS,
    scope: TokenScope | str = TokenScope.WRITE,
) -> tuple[ApiToken, str]:
    """A new token that expires after ``days`` (30, 90 or 365) and may only read
    (``scope="read"``) or do all the user may; the plain text is returned once and
    never stored."""
    errors: dict[str, str] = {}
    try:
        name = clean_field("name", name)
    except ValidationError as exc:
        errors.update(exc.errors)
    else:
        if not name or len(name) > 80:
            errors["name"] = N_("Give the token a name (up to 80 characters).")
    days = int(days) if str(days).strip().isdigit() else 0
    if days not in TOKEN_DAYS:
        errors["days"] = N_("Choose how long the token works: 30, 90 or 365 days.")
    if scope not in {s.value for s in TokenScope}:
        errors["scope"] = N_("Choose read-only or read-write.")
    if errors:
        raise ValidationError(errors)
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        prefix=plain[:10],
        token_hash=_digest(plain),
        expires_at=utcnow() + timedelta(days=days),
        scope=TokenScope(scope),
    )
    session.add(token)
    session.commit()
    return token, plain


def token_expired(token: ApiToken, now: datetime | None = None) -> bool:
    expires = as_utc(token.expires_at)
    return expires is None or expires <= (now or utcnow())


def api_token(session: Session, plain: str) -> ApiToken | None:
    """The token with this plain text if it still works (not revoked, not expired, its
    user active), its last use noted; else None."""
    if not plain or not plain.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == _digest(plain))
        .options(joinedload(ApiToken.user))  # one round trip, not two, per API call
    )
    now = utcnow()
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    if token_expired(token, now):
        return None
    last = as_utc(token.last_used_at)
    if last is None or now - last > timedelta(minutes=1):
        # Bookkeeping only: a database that refuses writes for a moment (a locked
        # SQLite file) must not turn an API read into an error.
        token.last_used_at = now
        try:
            session.commit()
        except OperationalError:
            session.rollback()
    return token


def user_for_api_token(session: Session, plain: str) -> User | None:
    token = api_token(session, plain)
    return token.user if token is not None else None


def revoke_api_token(session: Session, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.commit()


def revoke_all_tokens(session: Session, user: User, commit: bool = True) -> int:
    """Revoke every working token of ``user``; returns how many."""
    now = utcnow()
    tokens = list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        )
    )
    for token in tokens:
        token.revoked_at = now
    if commit:
        session.commit()
    return sum(1 for t in tokens if not token_expired(t, now))


def active_tokens(session: Session, user: User) -> list[ApiToken]:
    """The user's tokens not revoked (expired ones included, to be shown as such)."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.id)
        )
    )


# Two-factor sign-in (TOTP) -------------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def totp_uri(secret: str, email: str) -> str:
    """The ``otpauth://`` address an authenticator app reads (typed or scanned)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)


def _totp_step(secret: str, code: str, after: int | None, now: float | None = None) -> int | None:
    """The time step ``code`` belongs to (this one or one either side, for clock drift),
    if it is later than ``after``: a code is accepted once."""
    code = re.sub(r"\s", "", code or "")
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // totp.interval)
    for step in (current - 1, current, current + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _normalize_recovery(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def _new_recovery_codes() -> list[str]:
    """Ten codes of 80 random bits each, as ``abcd-efgh-ijkl-mnop``."""
    codes = []
    for _i in range(RECOVERY_CODES):
        raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    return codes


def enable_two_factor(session: Session, user: User, secret: str, code: str) -> list[str]:
    """Turn on the second factor once the user proves their app has ``secret`` (a code
    from it); returns the recovery codes, to be shown once. Other sessions end."""
    if not re.fullmatch(r"[A-Z2-7]{16,64}", secret or ""):
        raise ValidationError({"code": N_("Start the set-up again.")})
    step = _totp_step(secret, code, None)
    if step is None:
        raise ValidationError(
            {"code": N_("That code is not right. Check the time on your phone and try again.")}
        )
    codes = _new_recovery_codes()
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    user.recovery_codes = [_digest(_normalize_recovery(c)) for c in codes]
    end_sessions(session, user, commit=False)
    session.commit()
    return codes


def disable_two_factor(session: Session, user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.recovery_codes = []
    session.commit()


def check_second_factor(
    session: Session,
    user: User,
    code: str,
    throttle: Throttle = DEFAULT_THROTTLE,
    sleep: Sleep = time.sleep,
    client: str | None = None,
) -> bool:
    """A code from the user's app, or one of their unused recovery codes (then spent).
    Throttled and counted with the address's password failures."""
    _wait_for_turn(session, user.email, throttle, sleep)
    if user.two_factor_enabled:
        step = _totp_step(user.totp_secret or "", code, user.totp_last_step)
        if step is not None:
            user.totp_last_step = step
            session.commit()
            return True
        digest = _digest(_normalize_recovery(code))
        if len(_normalize_recovery(code)) == 16 and digest in (user.recovery_codes or []):
            user.recovery_codes = [d for d in user.recovery_codes if d != digest]
            session.commit()
            return True
    record_failure(session, user.email, throttle, user=user, client=client)
    return False


def colleagues(session: Session, user: User) -> list[User]:
    """The other users of the user's firm."""
    if user.firm_id is None:
        return []
    return list(
        session.scalars(
            select(User).where(User.firm_id == user.firm_id, User.id != user.id).order_by(User.id)
        )
    )
