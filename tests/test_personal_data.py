"""Personal data: email addresses and phone numbers stay in bronze and core, never in a mart."""

from __future__ import annotations

import re

from orchestration.paths import DataHome
from tests.personal_data_scan import (
    EMAIL_SHAPE,
    PHONE_SHAPE,
    bronze_personal_values,
    personal_data_in,
)


def test_no_mart_holds_an_email_or_a_phone_of_bronze(generated_home: DataHome) -> None:
    values = bronze_personal_values(generated_home)
    emails = {v for v in values if "@" in v}
    phones = {v for v in values if v.startswith("+")}
    assert len(emails) > 100 and len(phones) > 100  # the sample holds plenty of both
    assert personal_data_in(generated_home, "marts", values) == {}


def test_the_same_scan_finds_them_in_core(generated_home: DataHome) -> None:
    """The scan is not blind: core keeps the subscription's address and phone, and finds them."""
    found = personal_data_in(generated_home, "core", bronze_personal_values(generated_home))
    assert found["hook_events.subscription_email"] > 0
    assert found["hook_events.subscription_phone"] > 0
    assert found["hook_events.custom_data"] > 0


def test_the_shapes_tell_personal_data_from_ids() -> None:
    def shaped(text: str) -> bool:
        return bool(re.search(EMAIL_SHAPE, text) or re.search(PHONE_SHAPE, text))

    assert shaped("anna.k+news@mail.example") and shaped("+49 160 0879266")
    assert not shaped("64a3358e504da9ff03a978ec")  # a profile id
    assert not shaped("2026-10-02") and not shaped("12345") and not shaped("corp-mail.example")
