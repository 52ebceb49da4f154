"""`lovage enqueue` publishes tasks that a real Python Celery worker runs; Lovage reads the results."""
import json
import subprocess
import time


def enqueue(lovage, redis_url, *arguments, timeout=30):
    return subprocess.run([lovage, "enqueue", *arguments, "--broker", redis_url], capture_output=True,
                          text=True, timeout=timeout)


def test_add_runs_on_celery_and_the_result_comes_back(lovage, redis_url, celery_worker):
    done = enqueue(lovage, redis_url, "interop.add", "--args", "[2, 3]", "--wait", "--timeout", "20")
    assert done.returncode == 0, done.stderr
    task_id, document = done.stdout.strip().split("\n", 1)
    result = json.loads(document)
    assert result["status"] == "SUCCESS"
    assert result["result"] == 5
    assert result["task_id"] == task_id


def test_kwargs_and_unicode_survive_the_round_trip(lovage, redis_url, celery_worker):
    value = {"text": "héllo ✓", "n": [1, 2.5, None, True]}
    done = enqueue(lovage, redis_url, "interop.echo", "--kwargs", json.dumps({"value": value}), "--wait",
                   "--timeout", "20")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().split("\n", 1)[1])["result"] == value


def test_failure_carries_the_exception_type_and_message(lovage, redis_url, celery_worker):
    done = enqueue(lovage, redis_url, "interop.fail", "--args", '["boom"]', "--wait", "--timeout", "20")
    assert done.returncode == 1
    result = json.loads(done.stdout.strip().split("\n", 1)[1])
    assert result["status"] == "FAILURE"
    assert result["result"]["exc_type"] == "KeyError"
    assert result["result"]["exc_message"] == ["boom"]


def test_countdown_is_honoured(lovage, redis_url, celery_worker):
    sent = time.time()
    done = enqueue(lovage, redis_url, "interop.stamp", "--countdown", "2", "--wait", "--timeout", "20")
    assert done.returncode == 0, done.stderr
    ran = json.loads(done.stdout.strip().split("\n", 1)[1])["result"]
    assert ran - sent >= 1.9


def test_expired_task_is_revoked_not_run(lovage, redis_url, celery_worker):
    done = enqueue(lovage, redis_url, "interop.add", "--args", "[1, 1]", "--countdown", "3", "--expires", "1",
                   "--wait", "--timeout", "20")
    assert done.returncode == 1
    result = json.loads(done.stdout.strip().split("\n", 1)[1])
    assert result["status"] == "REVOKED"
    assert result["result"]["exc_type"] == "TaskRevokedError"


def test_routed_to_another_queue_with_a_priority(lovage, redis_url, celery_worker):
    done = enqueue(lovage, redis_url, "interop.add", "--args", "[20, 22]", "--queue", "dify", "--priority", "5",
                   "--wait", "--timeout", "20")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().split("\n", 1)[1])["result"] == 42


def test_a_chain_runs_on_celery_each_step_getting_the_previous_result(lovage, redis_url, celery_worker):
    done = enqueue(lovage, redis_url, "interop.add", "--args", "[1, 2]", "--then", "interop.add:[10]",
                   "--then", "interop.add:[100]", "--wait", "--timeout", "20")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().split("\n")
    first_id = lines[0]
    steps = [line.split() for line in lines[1:3]]
    assert [step[:2] for step in steps] == [["then", "interop.add"], ["then", "interop.add"]]
    last = json.loads(lines[3])
    assert last["status"] == "SUCCESS" and last["result"] == 113
    assert last["task_id"] == steps[1][2]
    # Celery's worker lists the step it applied as the first task's child, under the id we froze.
    import redis
    first = json.loads(redis.Redis.from_url(redis_url).get(f"celery-task-meta-{first_id}"))
    assert first["result"] == 3
    assert first["children"] == [[[steps[0][2], None], None]]


def test_a_bad_then_is_refused_before_anything_is_published(lovage, redis_url):
    done = enqueue(lovage, redis_url, "interop.add", "--args", "[1, 2]", "--then", "interop.add:{\"x\": 1}")
    assert done.returncode == 2
    assert "--then #1" in done.stderr and "JSON array" in done.stderr
