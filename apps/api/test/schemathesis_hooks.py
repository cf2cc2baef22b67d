"""Checks of our own for the schemathesis run (apps/api/src/schemathesis.test.ts).

Every error the API answers is RFC 9457 problem+json with a stable code (the project's REST rule):
schemathesis's built-in checks verify statuses and documented schemas, this one verifies the form.
"""
import json

import schemathesis
from schemathesis import Case, Response


@schemathesis.check
def errors_are_problem_json(ctx, response: Response, case: Case):
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    if not content_type.startswith("application/problem+json"):
        raise AssertionError(f"error {response.status_code} is {content_type!r}, not application/problem+json")
    body = json.loads(response.content)
    for field in ("type", "title", "status", "detail", "code"):
        if field not in body:
            raise AssertionError(f"problem+json without {field!r}: {body}")
    if body["status"] != response.status_code:
        raise AssertionError(f"problem status {body['status']} differs from the HTTP status {response.status_code}")
    return None
