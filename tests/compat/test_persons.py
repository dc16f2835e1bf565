"""Passwords set by an admin: the person logs in with the newest one only."""

from __future__ import annotations

import uuid

import gazu
import pytest
from gazu import exception as gexc

from foxtrack.testing import RunningServer


def login(server: RunningServer, email: str, password: str) -> bool:
    c = gazu.client.create_client(server.api)
    try:
        gazu.log_in(email, password, client=c)
    except gexc.AuthFailedException:
        return False
    return True


def test_set_password_again_and_change_it(server: RunningServer, client: object) -> None:
    email = f"pw-{uuid.uuid4().hex[:8]}@example.com"
    person = gazu.person.new_person("Pat", "Word", email, password="first-password-1")
    assert login(server, email, "first-password-1")
    gazu.person.change_password_for_person(person, "first-password-1")  # the same one: a no-op
    assert login(server, email, "first-password-1")
    gazu.person.change_password_for_person(person, "second-password-2")
    assert login(server, email, "second-password-2")
    assert not login(server, email, "first-password-1")
    gazu.person.change_password_for_person(person, "first-password-1")  # back to an older one
    assert login(server, email, "first-password-1")
    assert not login(server, email, "second-password-2")


@pytest.mark.parametrize("password", ["short", ""])
def test_weak_password_refused(server: RunningServer, client: object, password: str) -> None:
    person = gazu.person.new_person("Weak", "Pass", f"wp-{uuid.uuid4().hex[:8]}@example.com")
    with pytest.raises(gexc.ParameterException):
        gazu.person.change_password_for_person(person, password)
