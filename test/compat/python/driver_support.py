"""What the Python client drivers of test/compat/client-scenarios.ts share (kafka_python_driver.py,
confluent_driver.py): JSON observations on stdout and bounded waits."""
import json
import sys
import time


def out(obj):
    """One observation as a JSON line, flushed at once (the test reads long-running commands live)."""
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def wait_until(what, fn, retry_on, timeout=30):
    """fn() until it returns something other than None, for at most `timeout` s; the client errors in
    `retry_on` (a broker that does not know a new topic yet) are tried again, the last one reported."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            value = fn()
            if value is not None:
                return value
        except retry_on as err:
            last = err
        time.sleep(0.1)
    raise TimeoutError(f"{what} not reached in {timeout} s: {last}")
