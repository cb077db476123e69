"""The event catalog seed against the customer's event-types document."""

from __future__ import annotations

import re

from orchestration.catalog import FAMILIES, ROLES, STATUSES, load_catalog
from orchestration.paths import REPO_ROOT

DOCUMENT = REPO_ROOT / "docs" / "action-hook-event-types.md"


def document_rows() -> list[tuple[str, str, str, str]]:
    """(section, interface name, code, description) for every event row of the document.

    The document's table is irregular: section headings are rows with empty cells, and the
    pop-up rows lack the leading `|`. Any line with at least two `|` is a table row.
    """
    rows = []
    section = ""
    for line in DOCUMENT.read_text(encoding="utf-8").splitlines():
        if line.count("|") < 2 or re.match(r"^\|?\s*-", line):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] == "Interface name":
            continue
        if all(cell == "" for cell in cells[1:]):
            section = cells[0]
            continue
        rows.append((section, cells[0], cells[1], "|".join(cells[2:]).strip()))
    return rows


def test_document_has_107_event_types_in_20_sections() -> None:
    rows = document_rows()
    assert len(rows) == 107
    assert len({section for section, *_ in rows}) == 20


def test_catalog_lists_exactly_the_documented_types_with_their_texts() -> None:
    documented = {code: (name, text) for _, name, code, text in document_rows()}
    catalog = {e.event_type: (e.interface_name, e.description) for e in load_catalog()}
    assert catalog == documented


def test_catalog_keeps_one_family_per_document_section() -> None:
    family_of_section: dict[str, set[str]] = {}
    families = {e.event_type: e.family for e in load_catalog()}
    for section, _, code, _ in document_rows():
        family_of_section.setdefault(section, set()).add(families[code])
    assert all(len(found) == 1 for found in family_of_section.values())
    assert sorted(f for (f,) in family_of_section.values()) == sorted(FAMILIES)


def test_catalog_values_are_from_the_contract_vocabularies() -> None:
    for entry in load_catalog():
        assert entry.role in ROLES, entry
        assert entry.sets_status is None or entry.sets_status in STATUSES, entry


def test_roles_match_the_campaign_performance_definitions() -> None:
    by_role: dict[str, set[str]] = {}
    for entry in load_catalog():
        by_role.setdefault(entry.role, set()).add(entry.event_type)
    # Contract section 5, marts.campaign_performance, column by column.
    assert by_role["send"] == {
        "send", "send_sms", "send_push", "telegram_bot_send", "telegram_group_send",
        "whatsapp_send", "viber_send", "notify_send",
    }  # fmt: skip
    assert by_role["deliver"] == {
        "deliv", "deliv_sms", "deliv_push", "telegram_bot_deliv", "telegram_group_deliv",
        "whatsapp_deliv", "viber_deliv", "notify_deliv",
    }  # fmt: skip
    assert by_role["undeliver"] == {
        "undeliv", "undeliv_sms", "undeliv_push", "telegram_bot_undeliv",
        "telegram_group_undeliv", "whatsapp_undeliv", "viber_undeliv", "notify_undeliv",
    }  # fmt: skip
    assert by_role["hard_bounce"] == {"hbounce", "hbounce_push"}
    assert by_role["soft_bounce"] == {"sbounce", "sbounce_push"}
    assert by_role["suppress"] == {"suppress"}
    assert by_role["open"] == {"open", "open_push"}
    assert by_role["unique_open"] == {"uopen", "uopen_push"}
    assert by_role["click"] == {
        "click", "click_sms", "click_push", "telegram_bot_click", "telegram_group_click",
        "whatsapp_click", "viber_click", "notify_click",
    }  # fmt: skip
    assert by_role["unique_click"] == {
        "uclick", "uclick_sms", "uclick_push", "telegram_bot_uclick", "whatsapp_uclick",
        "viber_uclick", "notify_uclick",
    }  # fmt: skip
    assert by_role["read"] == {"read", "whatsapp_read", "viber_read", "notify_read"}
    assert by_role["skim"] == {"skimmed"}
    assert by_role["glance"] == {"glanced"}
    # unsub_api opts out through the API, outside any campaign or channel.
    assert by_role["unsubscribe"] == {
        "unsub", "unsub_sms", "whatsapp_unsub", "viber_unsub", "notify_unsub", "unsub_api",
    }  # fmt: skip
    assert by_role["complain"] == {"complain", "notify_complain"}


def test_status_setting_types_match_the_subscription_history_definition() -> None:
    sets = {e.event_type: e.sets_status for e in load_catalog() if e.sets_status}
    assert sets == {
        "unsub": "unsubscribed", "unsub_sms": "unsubscribed", "unsub_api": "unsubscribed",
        "whatsapp_unsub": "unsubscribed", "viber_unsub": "unsubscribed",
        "notify_unsub": "unsubscribed", "complain": "complainer",
        "notify_complain": "complainer", "hbounce": "hardbounced", "hbounce_push": "hardbounced",
        "confirmsub": "subscribed", "whatsapp_subscribe": "subscribed",
        "viber_subscribe": "subscribed", "notify_subscribe": "subscribed",
        "telegram_bot_subscribe": "subscribed",
    }  # fmt: skip


def test_channel_families_carry_their_channel() -> None:
    channels = {"email", "sms", "push", "telegram_bot", "telegram_group", "whatsapp", "viber",
                "notify"}  # fmt: skip
    for entry in load_catalog():
        expected = entry.family if entry.family in channels else None
        assert entry.channel == expected, entry
