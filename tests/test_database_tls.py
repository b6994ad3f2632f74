"""DATABASE_URL as managed providers write it: libpq's TLS parameters become asyncpg's."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from storage.db import postgres_tls

URL = "postgresql+asyncpg://u:p@db.example.com:5432/surveybot"


def test_no_tls_parameters_leave_the_url_alone() -> None:
    assert postgres_tls(URL) == (URL, {})


@pytest.mark.parametrize("mode", ["disable", "allow", "prefer", "require"])
def test_a_mode_without_verification_is_handed_to_asyncpg_as_is(mode: str) -> None:
    url, connect = postgres_tls(f"{URL}?sslmode={mode}&application_name=surveybot")
    assert connect == {"ssl": mode}
    assert dict(make_url(url).query) == {"application_name": "surveybot"}
    assert make_url(url).password == "p"


def test_verify_full_checks_the_chain_against_the_root_and_the_host_name(
    tmp_path: Path,
) -> None:
    ca = tmp_path / "root.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=provider root", "-keyout", str(tmp_path / "key.pem"), "-out", str(ca)],
        check=True, capture_output=True,
    )  # fmt: skip
    url, connect = postgres_tls(f"{URL}?sslmode=verify-full&sslrootcert={ca}")
    context = connect["ssl"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "provider root"),),)]
    assert "sslrootcert" not in url and "sslmode" not in url
    _, connect = postgres_tls(f"{URL}?sslmode=verify-ca&sslrootcert={ca}")
    assert connect["ssl"].verify_mode == ssl.CERT_REQUIRED and not connect["ssl"].check_hostname
