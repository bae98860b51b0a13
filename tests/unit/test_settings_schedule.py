"""The nightly schedule's settings: defaults, the environment's values, and bad values named by their variable."""

from __future__ import annotations

import pytest

from orchestration.settings import SCHEDULE_CRON_ENV, SCHEDULE_TZ_ENV, ScheduleSettings, schedule_settings


def test_defaults_and_the_environments_values():
    assert schedule_settings({}) == ScheduleSettings("30 2 * * *", "UTC")
    env = {SCHEDULE_CRON_ENV: " 0  4 * * 1-5 ", SCHEDULE_TZ_ENV: "Europe/Paris"}
    assert schedule_settings(env) == ScheduleSettings("0 4 * * 1-5", "Europe/Paris")


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({SCHEDULE_CRON_ENV: "30 2 * *"}, SCHEDULE_CRON_ENV),
        ({SCHEDULE_CRON_ENV: "@daily at 2"}, SCHEDULE_CRON_ENV),
        ({SCHEDULE_TZ_ENV: "Mars/Olympus_Mons"}, SCHEDULE_TZ_ENV),
        ({SCHEDULE_TZ_ENV: "../etc/passwd"}, SCHEDULE_TZ_ENV),
    ],
)
def test_a_bad_value_is_refused_with_its_variable(env, named):
    with pytest.raises(ValueError, match=named):
        schedule_settings(env)
