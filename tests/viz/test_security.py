"""The served viewer's exposure: access token, Host allow-list, security headers, the bind warning."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ploteries.viz.app import create_app
from ploteries.viz.library import Library
from ploteries.viz.security import COOKIE, exposure_warning, host_allowed, token_from_env
from tests.viz.dash_requests import callback_body, callback_key
from tests.viz.helpers import write_scalars


@pytest.fixture
def root(tmp_path):
    write_scalars(tmp_path / "db.h5", {"a": {"loss": [1.0, 2.0]}})
    return tmp_path


def test_every_answer_carries_a_policy_dash_works_under(root):
    app = create_app(Library([root]))
    client = app.server.test_client()
    for path in ("/", "/_dash-layout", "/media/nothing"):
        headers = client.get(path).headers
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
        policy = dict(part.split(" ", 1) for part in headers["Content-Security-Policy"].split("; "))
        assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
        assert policy["script-src"].split() == [
            "'self'",
            "'unsafe-eval'",
            *app.csp_hashes(),
        ]  # Dash's inline scripts, by hash
        assert "'unsafe-inline'" not in policy["script-src"]


@pytest.mark.parametrize(
    ("host", "allowed", "ok"),
    [
        ("localhost:6006", (), True),
        ("127.0.0.1:6006", (), True),
        ("[::1]:6006", (), True),
        ("192.168.1.20:6006", (), True),  # an address literal: no DNS name to re-point
        ("attacker.example:6006", (), False),
        ("viewer.lab.org:6006", ("viewer.lab.org",), True),
        ("a.lab.org", (".lab.org",), True),
        ("lab.org.evil.com", (".lab.org",), False),
        ("anything.at.all", ("*",), True),
        ("", (), False),
    ],
)
def test_host_allow_list(host, allowed, ok):
    assert host_allowed(host, allowed) is ok


def test_a_request_for_a_foreign_host_is_refused_naming_the_option(root):
    client = create_app(Library([root])).server.test_client()
    response = client.get("/_dash-layout", headers={"Host": "rebound.attacker.example:6006"})
    assert response.status_code == 400
    assert "start it with --allowed-hosts rebound.attacker.example" in response.get_data(as_text=True)
    widened = create_app(Library([root]), allowed_hosts=[".attacker.example"]).server.test_client()
    assert widened.get("/_dash-layout", headers={"Host": "rebound.attacker.example"}).status_code == 200


def test_the_token_is_required_once_then_kept_in_a_cookie(root):
    app = create_app(Library([root]), token="s3cret")
    client = app.server.test_client()
    refused = client.get("/")
    assert refused.status_code == 401 and "?token=TOKEN" in refused.get_data(as_text=True)
    assert client.get("/?token=wrong").status_code == 401
    first = client.get("/?token=s3cret&x=1")
    assert first.status_code == 303 and first.headers["Location"] == "/?x=1"  # the token leaves the address
    cookie = first.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=s3cret") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert client.get("/").status_code == 200  # the cookie now
    body = callback_body(app, callback_key(app, "tag-filter-error", "children"))
    assert client.post("/_dash-update-component", json=body).status_code == 200
    bare = app.server.test_client()
    assert bare.post("/_dash-update-component", json=body).status_code == 401
    assert bare.get("/_dash-layout", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert bare.get("/_dash-layout", headers={"Authorization": "Bearer s3cre"}).status_code == 401


def test_token_from_the_environment():
    assert token_from_env({"PLOTERIES_TOKEN": " abc "}) == "abc"
    assert token_from_env({"PLOTERIES_TOKEN": ""}) is None and token_from_env({}) is None


def test_binding_beyond_loopback_warns_unless_a_token_is_set():
    assert exposure_warning("127.0.0.1", None) is None and exposure_warning("::1", None) is None
    assert "anyone who can reach this machine can read every run" in exposure_warning("0.0.0.0", None)
    assert "Set PLOTERIES_TOKEN" in exposure_warning("10.0.0.5", None)
    assert "requires the access token" in exposure_warning("0.0.0.0", "t")


def test_the_server_prints_the_warning_when_bound_to_every_interface(root):
    proc = subprocess.Popen(
        [sys.executable, "-m", "ploteries.viz", str(root), "--host", "0.0.0.0", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PLOTERIES_TOKEN": ""},
    )
    try:
        first = proc.stdout.readline()
        assert first.startswith("warning: the viewer is bound to every network interface")
        assert "ploteries viewer for" in proc.stdout.readline()
    finally:
        proc.terminate()
        proc.wait(10)
