"""Malformed client values never cause HTTP 500: random JSON posted to every Dash callback of a real app.

The callbacks come from the app's callback map (every input and state of every server-side callback); values
are any JSON. The answer must be 200 or 4xx, and the viewer must go on serving.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ploteries.viz.app import create_app
from ploteries.viz.library import Library
from tests.viz.dash_requests import callback_body, dependencies, server_callbacks
from tests.viz.helpers import write_scalars

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    root = tmp_path_factory.mktemp("callbacks")
    write_scalars(root / "db.h5", {"a": {"loss": [1.0, 2.0], "acc/x": [0.5]}, "b": {"loss": [3.0]}})
    app = create_app(Library([root]))
    app.server.test_client().get("/")  # Dash finishes its setup on the first request
    return app


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_values_to_every_callback_are_answered_200_or_4xx(app, data):
    key = data.draw(st.sampled_from(server_callbacks(app)), label="callback")
    values = {(i, p): data.draw(JSON, label=f"{i}.{p}") for _, i, p in dependencies(app, key)}
    client = app.server.test_client()
    response = client.post("/_dash-update-component", json=callback_body(app, key, values))
    assert response.status_code < 500, (key, values, response.get_data(as_text=True)[:300])
    assert client.get("/_dash-layout").status_code == 200
