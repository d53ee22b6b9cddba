"""Settings, declared once and validated. Read from the environment (prefix ``JOINDOTS_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting joindots reads. Each is documented in docs/settings.md (a test keeps it so)."""

    model_config = SettingsConfigDict(env_prefix="JOINDOTS_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///joindots.db",
        description="SQLAlchemy URL of the system of record (SQLite file by default, PostgreSQL for teams).",
    )
    work_dir: Path = Field(
        default=Path("joindots-work"),
        description="Folder for linkage models, snapshots and exports.",
    )
    link_backend: Literal["duckdb", "spark"] = Field(
        default="duckdb", description="Splink backend: duckdb on one machine, spark for national runs."
    )
    link_memory_limit: str = Field(
        default="1500MB",
        pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description="Most memory DuckDB may use in a link run; beyond it, it spills to a temporary folder.",
    )
    link_by_context: bool = Field(
        default=True,
        description=(
            "Link partial records (a first name only) to the one person in their context who fits; "
            "reports are matched by context at once only after a run with it on."
        ),
    )
    duplicate_free_sources: list[str] = Field(
        default_factory=list,
        description="Sources that hold each person at most once (a register): their pairs are scored "
        "as a one-to-one matching and no two of their records are joined by a pair.",
    )
    match_threshold: float = Field(
        default=0.9, ge=0.0, le=1.0, description="Match probability at or above which records are joined."
    )
    loose_match_threshold: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Pairs down to it are kept for match review (the context step's near misses too) and "
        "groups are re-detected at it to show what depends on uncertain links.",
    )
    disclosure_threshold: int = Field(
        default=4, ge=1, description="Counts from 1 to this value are suppressed as [c] in published tables."
    )
    disclosure_round_totals: int | None = Field(
        default=None,
        ge=2,
        description="Round published totals to a multiple of this base (unset: exact totals).",
    )
    population_baseline: Path | None = Field(
        default=None,
        description="CSV (force, year, population) for rates; the bundled synthetic one if unset.",
    )
    session_secret: str | None = Field(
        default=None,
        description="Secret for signing web sessions; generated and kept in work_dir when not set.",
    )
    session_idle_minutes: int = Field(
        default=30, ge=1, le=24 * 60, description="A web session ends after this many idle minutes."
    )
    cookie_secure: bool = Field(
        default=False, description="Mark the session cookie Secure (set true whenever served over HTTPS)."
    )
    login_max_failures: int = Field(
        default=5, ge=1, description="Failed sign-ins per username or address before a pause."
    )
    login_window_seconds: int = Field(
        default=900, ge=1, description="The window failed sign-ins are counted in, and the pause after."
    )
    api_token_days: int = Field(
        default=90,
        ge=1,
        le=366,
        description="An API token expires this many days after it is issued (the most one may be asked for).",
    )
    routing_table: Path | None = Field(
        default=None, description="YAML table routing reports by postcode district; the bundled one if unset."
    )
    screening_rules: Path | None = Field(
        default=None, description="YAML file of case-review screening rules; the bundled one if unset."
    )

    @field_validator("session_secret")
    @classmethod
    def refuse_placeholder_secret(cls, value: str | None) -> str | None:
        if value is not None and (len(value) < 32 or value.lower() in {"changeme", "secret", "password"}):
            raise ValueError("session_secret must be at least 32 random characters")
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
