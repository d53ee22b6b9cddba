"""Imports every table module so the metadata is complete (for migrations and create_all checks)."""

from joindots.audit import tables as audit_tables  # noqa: F401
from joindots.auth import tables as auth_tables  # noqa: F401
from joindots.intake import tables as intake_tables  # noqa: F401
from joindots.network import tables as network_tables  # noqa: F401
from joindots.quality import tables as quality_tables  # noqa: F401
from joindots.screening import tables as screening_tables  # noqa: F401
from joindots.stats import tables as stats_tables  # noqa: F401
from joindots.store import link_tables, schema  # noqa: F401
from joindots.store.base import Base

metadata = Base.metadata
