"""Routing a report to a police force area and local authority from its postcode district."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel

DEFAULT_TABLE = Path(__file__).with_name("routing.yaml")


class Destination(BaseModel):
    police_area: str
    local_authority: str


class RoutingTable(BaseModel):
    default: Destination
    districts: dict[str, Destination]


@dataclass(frozen=True)
class Route:
    district: str | None
    police_area: str
    local_authority: str
    by_postcode: bool


@lru_cache
def load_table(path: Path = DEFAULT_TABLE) -> RoutingTable:
    return RoutingTable.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def route(postcode: str | None, table: RoutingTable) -> Route:
    """The longest district prefix in the table that the postcode's district starts with."""
    district = postcode_district(postcode)
    if district:
        area = re.match(r"[A-Z]+", district)
        for key in (district, area.group(0) if area else ""):
            if key in table.districts:
                dest = table.districts[key]
                return Route(district, dest.police_area, dest.local_authority, True)
    return Route(district, table.default.police_area, table.default.local_authority, False)


def postcode_district(postcode: str | None) -> str | None:
    """The outward code of a full or partial UK postcode ('BD7 1AA' -> 'BD7', 'OL11' -> 'OL11')."""
    if not postcode:
        return None
    compact = re.sub(r"\s+", "", postcode.upper())
    if len(compact) >= 5 and re.fullmatch(r"[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}", compact):
        return compact[:-3]
    return compact if re.fullmatch(r"[A-Z]{1,2}\d[A-Z\d]?", compact) else None
