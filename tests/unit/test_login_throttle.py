"""auth.throttle: attempts claimed atomically, per (account, address) and per address, in a window."""

from __future__ import annotations

import threading

from foxtrack.auth.throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_parallel_claims_never_pass_the_limit() -> None:
    throttle = LoginThrottle(5, 50, 60)
    taken: list[bool] = []
    barrier = threading.Barrier(30)

    def attempt() -> None:
        barrier.wait()
        taken.append(throttle.claim("ada", "10.0.0.1"))

    threads = [threading.Thread(target=attempt) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert taken.count(True) == 5


def test_a_lock_holds_for_the_address_that_failed_only() -> None:
    clock = Clock()
    throttle = LoginThrottle(3, 50, 60, clock)
    assert all(throttle.claim("ada", "attacker") for _ in range(3))
    assert not throttle.claim("ada", "attacker")
    assert throttle.claim("ada", "office")
    clock.now += 60
    assert throttle.claim("ada", "attacker")  # the window passed


def test_a_success_releases_its_claim() -> None:
    throttle = LoginThrottle(3, 4, 60, Clock())
    for _ in range(3):
        assert throttle.claim("ada", "office")
        throttle.release("ada", "office")
    assert throttle.claim("ada", "office")


def test_an_address_failing_on_many_accounts_locks_for_all() -> None:
    throttle = LoginThrottle(5, 4, 60, Clock())
    assert all(throttle.claim(f"user{i}", "sprayer") for i in range(4))
    assert not throttle.claim("someone-else", "sprayer")
    assert throttle.claim("someone-else", "office")
