"""HOOKHOUSE_HASH_PERSONAL_DATA: the SQL functions the dbt plugin registers, on hand-built
values with hashes computed by hand (the dbt build with them: tests/test_forget_warehouse.py)."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import duckdb
import pytest

from orchestration.privacy.dbt_plugin import HASH_ENV, Plugin
from orchestration.privacy.keys import KEY_FILE_ENV

KEY = bytes(range(32))


def keyed(text: str) -> str:
    return hmac.new(KEY, text.encode(), hashlib.sha256).hexdigest()


@pytest.fixture
def connection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> duckdb.DuckDBPyConnection:
    key_file = tmp_path / "pii.key"
    key_file.write_bytes(KEY)
    monkeypatch.setenv(KEY_FILE_ENV, str(key_file))
    monkeypatch.setenv(HASH_ENV, "1")
    connection = duckdb.connect()
    Plugin("dbt_plugin", {}).configure_connection(connection)
    return connection


def test_a_value_is_its_keyed_hash_in_normal_form(connection: duckdb.DuckDBPyConnection) -> None:
    rows = connection.execute(
        "select hookhouse_pii_hash('email', ' Anna@Mail.Example '), "
        "hookhouse_pii_hash('phone', '+7 900 123-45-67'), hookhouse_pii_hash('email', null)"
    ).fetchall()
    assert rows == [(keyed("email:anna@mail.example"), keyed("phone:79001234567"), None)]


def test_a_payload_keeps_its_shape_with_hashes_for_addresses_and_phones(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    payload = {"email": "Anna@Mail.Example", "phone": "+79001234567", "order_id": "1234567",
               "list": [{"email": "b@c.example"}], "url": "https://shop.example/a"}  # fmt: skip
    (text,) = connection.execute(
        "select hookhouse_pii_redact(?)", [json.dumps(payload)]
    ).fetchall()[0]
    assert json.loads(text) == {
        "email": keyed("email:anna@mail.example"),
        "phone": keyed("phone:79001234567"),
        "order_id": "1234567",  # digits without a `+` are ids, not phone numbers
        "list": [{"email": keyed("email:b@c.example")}],
        "url": "https://shop.example/a",
    }


def test_nothing_is_registered_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(HASH_ENV, raising=False)
    connection = duckdb.connect()
    Plugin("dbt_plugin", {}).configure_connection(connection)
    with pytest.raises(duckdb.CatalogException):
        connection.execute("select hookhouse_pii_hash('email', 'a@b.example')")
