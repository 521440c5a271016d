"""Fixtures for the python-nomad compatibility tests (server from NOMAD_ADDR, NOMAD_TOKEN)."""

import os
import secrets

import nomad
import nomad.api.exceptions as nexc
import pytest
import requests

RUN_ID = secrets.token_hex(3)


def pytest_configure(config):
    if not os.environ.get("NOMAD_ADDR"):
        raise pytest.UsageError(
            "NOMAD_ADDR is not set: these tests need a running Nomad /v1 API (see test/integration/compat.test.ts)"
        )


@pytest.fixture(scope="session")
def client():
    """A python-nomad client configured from the environment, with its default 5 s timeout."""
    return nomad.Nomad()


@pytest.fixture
def ids(request, client):
    """Makes job IDs unique to the test and the run; purges those jobs when the test ends."""
    made = []
    name = request.node.name.removeprefix("test_").replace("_", "-").lower()

    def make(*parts):
        job_id = "-".join(["py", name, RUN_ID, *parts])
        made.append(job_id)
        return job_id

    yield make
    for job_id in made:
        try:
            client.job.deregister_job(job_id, purge=True)
        except (nexc.BaseNomadException, requests.RequestException):
            pass


def _diagnose(exc):
    """Names the failures of a half-built server: no route, no server."""
    resp = getattr(exc, "nomad_resp", None)
    if isinstance(resp, requests.Response):
        body = resp.text
        where = f"{resp.request.method} {resp.request.url}"
        if resp.status_code == 404 and (body.strip() == "404 page not found" or "Route " in body or '"statusCode"' in body):
            return f"NOT IMPLEMENTED: the server has no route for {where}: {body}"
        if resp.status_code in (405, 501):
            return f"NOT IMPLEMENTED: {where}: {resp.status_code} {body}"
    if isinstance(exc, requests.ConnectionError) or isinstance(
        getattr(exc, "nomad_resp", None), requests.ConnectionError
    ):
        return f"NO SERVER: nothing answers at NOMAD_ADDR={os.environ.get('NOMAD_ADDR')}: {exc}"
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Puts the diagnosis of a half-built server (NOT IMPLEMENTED, NO SERVER) first in a failure."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed or call.excinfo is None:
        return
    message = _diagnose(call.excinfo.value)
    if message is not None:
        report.longrepr = f"{message}\n\n{report.longreprtext}"
