"""Configuration from environment variables, with safe defaults for one machine.

Nothing here needs setting for a first run: the default is SQLite, a filesystem
Celery broker and an index folder, all under ``KETNOI_DATA_DIR`` (``./instance``).
Production sets ``DATABASE_URL`` (PostgreSQL), ``REDIS_URL`` and ``SECRET_KEY``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from celery.schedules import crontab

from matching.encoder import default_model


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(data_dir: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the data dir."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _trusted_hosts(public_url: str) -> list[str]:
    """The host names the site answers to: the public URL's, loopback (``make run``,
    health checks on the machine, tests) and any listed in ``KETNOI_TRUSTED_HOSTS``
    (comma-separated; ``.example.vn`` admits its subdomains). Any other Host header is
    refused with 400, so nothing built from a request's host can point elsewhere."""
    hosts = [urlsplit(public_url).hostname or "", "127.0.0.1", "localhost"]
    hosts += os.environ.get("KETNOI_TRUSTED_HOSTS", "").split(",")
    return list(dict.fromkeys(h.strip().lower() for h in hosts if h.strip()))


def _celery_config(data_dir: Path, redis_url: str | None) -> dict[str, Any]:
    common: dict[str, Any] = {
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_expires": 24 * 3600,
        "task_always_eager": _flag("CELERY_ALWAYS_EAGER"),
        "task_eager_propagates": True,
        "task_store_eager_result": True,  # eager runs (tests, CELERY_ALWAYS_EAGER) report too
        "broker_connection_retry_on_startup": True,
        # Daily housekeeping, run by ``celery beat`` (embedded in the worker of ``make run``).
        "beat_schedule": {
            "verification-expiry-notices": {
                "task": "ketnoi.send_expiry_notices",
                "schedule": 6 * 3600,
            },
            "cleanup-uploads": {"task": "ketnoi.cleanup_uploads", "schedule": 6 * 3600},
            "meeting-request-reminders": {
                "task": "ketnoi.remind_unanswered_requests",
                "schedule": 3600,
            },
            # Notifications of the day for those who chose a digest (jobs.notifications),
            # at 17:00 in Vietnam (10:00 UTC), the end of the working day.
            "notification-digest": {
                "task": "ketnoi.send_notification_digest",
                "schedule": crontab(hour=10, minute=0),
            },
            # A damaged or drifted index heals within minutes (cheap when all is well).
            "index-check": {"task": "ketnoi.check_index", "schedule": 5 * 60},
        },
        "beat_schedule_filename": str(data_dir / "celerybeat-schedule"),
    }
    if redis_url:
        return {**common, "broker_url": redis_url, "result_backend": redis_url}
    queue = data_dir / "broker"
    for sub in ("queue", "processed", "control"):
        (queue / sub).mkdir(parents=True, exist_ok=True)
    return {
        **common,
        "broker_url": "filesystem://",
        "broker_transport_options": {
            "data_folder_in": str(queue / "queue"),
            "data_folder_out": str(queue / "queue"),
            "processed_folder": str(queue / "processed"),
            "store_processed": False,
            # Broadcast tables (worker pings), else written to ./control in the cwd.
            "control_folder": str(queue / "control"),
        },
        "result_backend": f"db+sqlite:///{data_dir / 'celery-results.sqlite'}",
    }


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    overrides = overrides or {}
    data_dir = Path(
        overrides.get("DATA_DIR") or os.environ.get("KETNOI_DATA_DIR") or "instance"
    ).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    redis_url = overrides.get("REDIS_URL", os.environ.get("REDIS_URL"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir / 'ketnoi.sqlite'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    config: dict[str, Any] = {
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": _secret_key(data_dir),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        "ENCODER_MODEL": os.environ.get("ENCODER_MODEL") or default_model(),
        "INDEX_DIR": os.environ.get("INDEX_DIR") or str(data_dir / "index"),
        "EMBEDDING_CACHE": os.environ.get("EMBEDDING_CACHE") or str(data_dir / "embeddings.sqlite"),
        "PER_PAGE": 20,
        "MATCH_LIMIT": 20,
        # Load a newly published index in a thread, serving the previous one meanwhile
        # (set for gunicorn's workers in Procfile; see MatchEngine).
        "INDEX_RELOAD_IN_BACKGROUND": _flag("INDEX_RELOAD_IN_BACKGROUND"),
        # Warm the encoder, the index, templates and translations in create_app, before
        # the development server takes traffic (webapp.warmup; set it for that process
        # only). gunicorn's workers warm from gunicorn.conf.py unless it is set to 0.
        # Off by default: the tests make many apps.
        "WARM_ON_START": _flag("KETNOI_WARM_ON_START"),
        # Documents changed in the index's log since its base before the worker folds
        # them into a new base (matching.indexing.merge).
        "INDEX_MERGE_AT": int(os.environ.get("INDEX_MERGE_AT") or 2000),
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "JSON_SORT_KEYS": False,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE"),
        "WTF_CSRF_TIME_LIMIT": None,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute; 60 per hour"),
        # Sign-in: the longest wait before a password is checked for an address that
        # keeps failing (catalog.accounts.Throttle); sessions end after this much
        # idleness or this long after sign-in; trusted reverse proxies (ProxyFix);
        # two-factor sign-in required of officers and admins.
        "LOGIN_DELAY_MAX": float(os.environ.get("LOGIN_DELAY_MAX", "5")),
        "SESSION_IDLE_MINUTES": float(os.environ.get("SESSION_IDLE_MINUTES", "120")),
        "SESSION_LIFETIME_HOURS": float(os.environ.get("SESSION_LIFETIME_HOURS", "12")),
        "PROXY_FIX": os.environ.get("KETNOI_PROXY_FIX", "0"),
        "REQUIRE_2FA_FOR_STAFF": _flag("REQUIRE_2FA_FOR_STAFF"),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS"),
        "MAIL_USE_SSL": _flag("MAIL_USE_SSL"),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "KetNoi <no-reply@ketnoi.local>"),
        # A province's own programme targets, laid over the packaged ones (dashboard).
        "PROVINCE_TARGETS": os.environ.get("KETNOI_PROVINCE_TARGETS") or None,
        # Who renders a text in the reader's language: "package.module:factory" (the
        # built-in gloss of the vocabulary when unset; matching.translation.provider).
        "TRANSLATION_PROVIDER": os.environ.get("TRANSLATION_PROVIDER") or None,
        # Where people reach the site: the only base of links in mail (jobs.mail.public_url).
        "PUBLIC_URL": os.environ.get("KETNOI_PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/"),
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).resolve().parent / "translations"),
    }
    # -- index sharing (matching.shipping) ------------------------------------------------
    # "disk": INDEX_DIR is the machine's own folder, or one shared volume (as before);
    # "database": every machine keeps its own INDEX_DIR, the worker ships each published
    # base through the database and web processes copy it from there (README, "Several
    # machines").
    # Any other value is refused at start rather than read as one of them.
    sharing = (os.environ.get("INDEX_SHARING") or "disk").strip().lower()
    if sharing not in ("disk", "database"):
        raise ValueError(f"INDEX_SHARING must be 'disk' or 'database', not {sharing!r}")
    config["INDEX_SHARING"] = sharing
    # -- end of index sharing --------------------------------------------------------------
    config.update({k: v for k, v in overrides.items() if k != "CELERY"})
    if "TRUSTED_HOSTS" not in overrides:
        config["TRUSTED_HOSTS"] = _trusted_hosts(config["PUBLIC_URL"])
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") and (
        "SQLALCHEMY_ENGINE_OPTIONS" not in overrides
    ):
        # A database host that silently drops packets must give a 503 within seconds,
        # not hold every request until the kernel gives up on the connection.
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **config["SQLALCHEMY_ENGINE_OPTIONS"],
            "connect_args": {"connect_timeout": 5},
        }
    config["CELERY"] = {
        **_celery_config(Path(config["DATA_DIR"]), config["REDIS_URL"]),
        **overrides.get("CELERY", {}),
    }
    return config
