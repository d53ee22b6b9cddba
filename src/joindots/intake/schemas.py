"""What a professional's report must hold, validated before anything is stored."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=10_000)]
Postcode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=10)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=30)]
Mark = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=12)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Reporter(Strict):
    """The professional filing the report: who they are, so the police can go back to them."""

    name: Text
    role: Text = Field(description="Their job, e.g. 'designated safeguarding lead', 'night manager'.")
    organisation: Text
    phone: Phone | None = None
    # a shape check, so a call-back address is not lost to a typo ("name.example.org")
    email: Annotated[str, StringConstraints(max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = (
        None
    )


class PersonGiven(Strict):
    """A person as the reporter named them: any part may be missing."""

    forename: Text | None = None
    surname: Text | None = None
    dob: dt.date | None = None
    approx_age: int | None = Field(default=None, ge=0, le=120)
    sex: Literal["M", "F", "U"] | None = None
    postcode: Postcode | None = None
    phones: list[Phone] = Field(default_factory=list, max_length=10)
    vehicle_marks: list[Mark] = Field(default_factory=list, max_length=10)
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None

    @model_validator(mode="after")
    def something_to_go_on(self) -> PersonGiven:
        if not (self.forename or self.surname or self.phones or self.vehicle_marks or self.description):
            raise ValueError("give at least a name, a phone, a vehicle mark or a description")
        return self

    @field_validator("dob")
    @classmethod
    def not_in_future(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and value > dt.date.today():
            raise ValueError("date of birth is in the future")
        return value


def _not_future(value: dt.date) -> dt.date:
    if value > dt.date.today():
        raise ValueError("the date is in the future")
    return value


class DutyToReport(Strict):
    """The mandatory duty to report: a child, the suspect named, what was seen or disclosed, when."""

    kind: Literal["duty_to_report"] = "duty_to_report"
    client_key: Annotated[str, StringConstraints(min_length=8, max_length=100)] | None = Field(
        default=None, description="Set by the sender's software so a resend is not filed twice."
    )
    reporter: Reporter
    child: PersonGiven
    suspects: list[PersonGiven] = Field(default_factory=list, max_length=20)
    what_happened: LongText = Field(description="What was seen or disclosed, in the reporter's words.")
    occurred_on: dt.date
    location_postcode: Postcode | None = None

    _occurred = field_validator("occurred_on")(_not_future)


class MakesafeIndicator(StrEnum):
    """Operation Makesafe warning signs hotel and taxi staff are trained to notice."""

    YOUNG_WITH_OLDER_ADULTS = "young person with older adult(s) not their parent"
    PAID_CASH_OR_BY_ANOTHER = "room or fare paid in cash or by someone else"
    LOCAL_ADDRESS_BOOKING = "booked by someone with a local address"
    NO_LUGGAGE = "no luggage for an overnight stay"
    MULTIPLE_VISITORS = "several visitors to one room"
    REFUSED_DETAILS = "refused or gave false names or details"
    INTOXICATED_OR_DISTRESSED = "young person drunk, drugged, distressed or injured"
    REPEAT_VISITS = "repeat visits with different young people"
    LATE_NIGHT_PICKUP = "young person picked up late at night or from a care home"
    ASKED_FOR_PRIVACY = "asked not to be disturbed or for rooms out of sight"
    ALCOHOL_OR_DRUGS_TO_ROOM = "alcohol or drugs taken to the room"
    SOMETHING_ELSE = "something else that worried me (described below)"


class NameGiven(Strict):
    name: Text = Field(description="The name exactly as it was given, even if it may be false.")
    who: Literal["young_person", "adult", "driver", "passenger", "guest"] = "adult"


class MakesafeConcern(Strict):
    """A hotel or taxi concern: the indicators seen, names as given, phones and vehicle marks."""

    kind: Literal["makesafe"] = "makesafe"
    client_key: Annotated[str, StringConstraints(min_length=8, max_length=100)] | None = None
    reporter: Reporter
    business: Literal["hotel", "taxi", "other"]
    business_name: Text
    location_postcode: Postcode | None = None
    indicators: list[MakesafeIndicator] = Field(min_length=1, max_length=len(MakesafeIndicator))
    names_as_given: list[NameGiven] = Field(default_factory=list, max_length=20)
    phones: list[Phone] = Field(default_factory=list, max_length=10)
    vehicle_marks: list[Mark] = Field(default_factory=list, max_length=10)
    what_happened: LongText
    occurred_on: dt.date

    _occurred = field_validator("occurred_on")(_not_future)


AnyReport = Annotated[DutyToReport | MakesafeConcern, Field(discriminator="kind")]


class Receipt(BaseModel):
    """What a reporter gets back: proof the report is safely stored, and where it went."""

    receipt: str
    kind: str
    filed_at: dt.datetime
    police_area: str
    local_authority: str
    routed_by_postcode: bool
    match_status: str
