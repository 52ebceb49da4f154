"""The committed Celery schedule fixture is still what this Celery computes.

Tests/SchedulesTests/Fixtures/celery-schedules.json is what the Swift schedule tests hold Lovage to.
It is regenerated here in memory (schedule_cases.generate(), no broker, no wall clock) and compared
record by record, so a Celery upgrade that changes beat's answers fails here, naming the first case
or sequence that moved, instead of silently leaving Lovage agreeing with an older Celery.
"""
import json

from schedule_cases import FIXTURE, dumps, generate

REGENERATE = "regenerate with: .venv/bin/python interop/schedule_cases.py"


def first_difference(kind, committed, fresh):
    """The id of the first record that differs between two lists of records, and how."""
    for old, new in zip(committed, fresh):
        if old != new:
            keys = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
            return f"{kind} {old['id']!r} differs in {keys}"
    if len(committed) != len(fresh):
        extra = committed[len(fresh):] or fresh[len(committed):]
        side = "committed only" if len(committed) > len(fresh) else "generated only"
        return f"{kind}: {len(committed)} committed, {len(fresh)} generated; first {side}: {extra[0]['id']!r}"
    return None


def test_fixture_matches_what_celery_computes():
    committed = json.loads(FIXTURE.read_text())
    fresh = json.loads(dumps(generate()))  # through JSON, as the committed one went
    for kind in ("cases", "sequences"):
        difference = first_difference(kind, committed[kind], fresh[kind])
        assert difference is None, f"{difference} (Celery {fresh['celery']}); {REGENERATE}"
    assert committed == fresh, (f"fixture made with Celery {committed['celery']}, this is "
                                f"{fresh['celery']}; every case agrees; {REGENERATE}")


def test_fixture_file_is_byte_for_byte_the_generator_output():
    """Sorted keys, indent 1, trailing newline: rerunning the generator leaves no diff."""
    assert FIXTURE.read_text() == dumps(generate()), REGENERATE
