"""What the Python client drivers of test/compat/client-scenarios.ts share (kafka_python_driver.py,
confluent_driver.py): JSON observations on stdout, bounded waits, a group member's loop and the
command line."""
import json
import os
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


def member_loop(stop_file, poll, commit, commit_errors):
    """A group member's life until the stop file appears (600 s at most): `poll()` the next records
    as [partition, offset, value] lists, `commit()` synchronously after every batch that had some,
    print them. A refused commit is reported on stderr, not fatal: the test explains what it costs."""
    deadline = time.time() + 600
    while not os.path.exists(stop_file) and time.time() < deadline:
        values = poll()
        if values:
            try:
                commit()
            except commit_errors as err:
                sys.stderr.write(f"commit: {type(err).__name__}: {err}\n")
            out({"event": "records", "records": values})


def main(doc, commands, args):
    """Runs the command `args` names with the rest as its arguments; the usage (`doc`) on -h/--help,
    and with exit code 2 for a missing or unknown command."""
    if not args or args[0] in ("-h", "--help") or args[0] not in commands:
        print(doc)
        sys.exit(0 if args and args[0] in ("-h", "--help") else 2)
    commands[args[0]](*args[1:])
