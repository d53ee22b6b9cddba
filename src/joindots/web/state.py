"""What the app holds while it runs: settings, the engine, the login limiter, templates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from joindots.auth.ratelimit import LoginLimiter
from joindots.intake.routing import DEFAULT_TABLE, RoutingTable, load_table
from joindots.settings import Settings
from joindots.web.pages import filters

HERE = Path(__file__).parent
SESSION_COOKIE = "jd_session"


@dataclass
class WebState:
    settings: Settings
    engine: Engine
    sessions: sessionmaker
    limiter: LoginLimiter
    routing: RoutingTable
    templates: Jinja2Templates

    @property
    def idle(self) -> timedelta:
        return timedelta(minutes=self.settings.session_idle_minutes)


def build_state(settings: Settings, engine: Engine) -> WebState:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    filters.install(templates.env)
    return WebState(
        settings=settings,
        engine=engine,
        sessions=sessionmaker(bind=engine, expire_on_commit=False),
        limiter=LoginLimiter(settings.login_max_failures, settings.login_window_seconds),
        routing=load_table(settings.routing_table or DEFAULT_TABLE),
        templates=templates,
    )
