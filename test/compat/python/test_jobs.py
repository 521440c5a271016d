"""python-nomad 2.1.0 (its job and jobs APIs, and the calls around them) against the /v1 API at NOMAD_ADDR.

python-nomad POSTs JSON with Content-Type, sends booleans as True/False, does not escape job IDs in
paths, raises URLNotFoundNomadException for 404, BadRequestNomadException for 400 and
BaseNomadException for 500, and calls .json() on every success (so every 200 needs a JSON body).
"""

import base64
import re
import time

import nomad.api.exceptions as nexc
import pytest

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def docker_task(name="main"):
    return {"Name": name, "Driver": "docker", "Config": {"image": "registry.example/app:1"}}


def service_job(job_id, count=1):
    return {
        "ID": job_id,
        "Name": job_id,
        "Type": "service",
        "Datacenters": ["*"],
        "TaskGroups": [{"Name": "app", "Count": count, "Tasks": [docker_task()]}],
    }


def batch_job(job_id, **extra):
    job = {
        "ID": job_id,
        "Type": "batch",
        "Datacenters": ["*"],
        "TaskGroups": [{"Name": "group1", "Count": 1, "Tasks": [docker_task("task1")]}],
    }
    job.update(extra)
    return job


def register(client, job):
    resp = client.jobs.register_job({"Job": job})
    assert resp["JobModifyIndex"] > 0, resp
    return resp


def eventually(what, check, timeout=90):
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = check()
        if last is True:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}: {last}")
        time.sleep(0.25)


def http_error(exc_info):
    """(status, body) of a python-nomad exception; a route the server does not have fails clearly."""
    resp = exc_info.value.nomad_resp
    if resp.status_code == 404 and resp.text.strip() == "404 page not found":
        pytest.fail(f"NOT IMPLEMENTED: the server has no route for {resp.request.method} {resp.request.url}")
    return resp.status_code, resp.text


# --- jobs ---------------------------------------------------------------------------------------


def test_register_and_read(client, ids):
    job_id = ids()
    resp = register(client, service_job(job_id))
    assert UUID.match(resp["EvalID"]), resp
    assert resp["EvalCreateIndex"] >= resp["JobModifyIndex"]
    for key in ("Index", "LastContact", "KnownLeader", "Warnings"):
        assert key in resp, f"register response has no {key}: {resp}"

    job = client.job.get_job(job_id)
    assert job["ID"] == job_id and job["Name"] == job_id
    assert job["Namespace"] == "default" and job["Type"] == "service" and job["Priority"] == 50
    assert job["JobModifyIndex"] == resp["JobModifyIndex"]
    assert job["TaskGroups"][0]["Tasks"][0]["Resources"]["CPU"] == 100
    assert job["Status"] in ("pending", "running")

    assert job_id in client.job
    assert client.job[job_id]["ID"] == job_id
    assert job_id in client.jobs
    assert client.jobs[job_id]["ID"] == job_id
    assert any(j["ID"] == job_id for j in client.jobs)

    # Registering through /v1/job/:id (python's job.register_job) updates it.
    job2 = service_job(job_id, count=2)
    resp2 = client.job.register_job(job_id, {"Job": job2})
    assert resp2["JobModifyIndex"] > resp["JobModifyIndex"]
    assert client.job.get_job(job_id)["TaskGroups"][0]["Count"] == 2


def test_get_jobs_prefix_namespace_filter_meta(client, ids):
    prefix = ids()
    for i, team in enumerate(["red", "blue"]):
        register(client, batch_job(f"{prefix}-{i}", Meta={"team": team}))

    listed = client.jobs.get_jobs(prefix=prefix)
    assert sorted(j["ID"] for j in listed) == [f"{prefix}-0", f"{prefix}-1"]
    stub = listed[0]
    for key in ("ID", "ParentID", "Name", "Type", "Priority", "Status", "JobSummary", "CreateIndex",
                "ModifyIndex", "JobModifyIndex", "SubmitTime"):
        assert key in stub, f"list stub has no {key}: {stub}"
    assert "Meta" not in stub or stub["Meta"] is None

    with_meta = client.jobs.get_jobs(prefix=prefix, meta=True)  # sent as meta=True
    assert {j["ID"]: j["Meta"]["team"] for j in with_meta} == {f"{prefix}-0": "red", f"{prefix}-1": "blue"}

    everywhere = client.jobs.get_jobs(prefix=prefix, namespace="*")
    assert sorted((j["ID"], j["Namespace"]) for j in everywhere) == [
        (f"{prefix}-0", "default"),
        (f"{prefix}-1", "default"),
    ]
    assert [j["ID"] for j in client.jobs.get_jobs(prefix=prefix, namespace="default")] != []

    red = client.jobs.get_jobs(prefix=prefix, filter_='Meta.team == "red"')
    assert [j["ID"] for j in red] == [f"{prefix}-0"]

    with pytest.raises(nexc.BadRequestNomadException) as bad:
        client.jobs.get_jobs(filter_="Meta.team ==")
    assert "failed to create result paginator" in http_error(bad)[1]

    assert client.jobs.get_jobs(prefix=f"{prefix}-nothing") == []


def test_unknown_job(client, ids):
    job_id = ids("missing")
    for call in (client.job.get_job, client.job.get_summary):
        with pytest.raises(nexc.URLNotFoundNomadException) as err:
            call(job_id)
        assert http_error(err) == (404, "job not found")
    with pytest.raises(nexc.URLNotFoundNomadException) as err:
        client.job.get_versions(job_id)
    assert http_error(err) == (404, "job versions not found")

    assert job_id not in client.job
    with pytest.raises(KeyError):
        client.job[job_id]
    assert job_id not in client.jobs

    assert client.job.get_allocations(job_id, all_=True) == []
    assert client.job.get_evaluations(job_id) == []
    assert client.job.get_deployments(job_id) == []
    assert client.job.get_deployment(job_id) is None

    gone = client.job.deregister_job(job_id)
    assert gone["EvalID"] == ""

    # 500s are plain BaseNomadException, not one of the 4xx subclasses.
    with pytest.raises(nexc.BaseNomadException) as err:
        client.job.evaluate_job(job_id)
    assert type(err.value) is nexc.BaseNomadException
    assert http_error(err) == (500, "job not found")
    with pytest.raises(nexc.BaseNomadException) as err:
        client.job.dispatch_job(job_id, meta={"a": "b"})
    assert http_error(err) == (500, "parameterized job not found")
    with pytest.raises(nexc.BaseNomadException) as err:
        client.job.periodic_job(job_id)
    assert http_error(err)[0] == 500 and "not found" in http_error(err)[1]


def test_register_errors(client, ids):
    job_id = ids()
    with pytest.raises(nexc.BadRequestNomadException) as err:
        client.jobs.register_job({})
    assert http_error(err) == (400, "Job must be specified")

    no_id = batch_job(job_id)
    del no_id["ID"]
    with pytest.raises(nexc.BadRequestNomadException) as err:
        client.jobs.register_job({"Job": no_id})
    assert http_error(err) == (400, "Job ID hasn't been provided")

    with pytest.raises(nexc.BadRequestNomadException) as err:
        client.job.register_job(job_id, {"Job": batch_job(ids("other"))})
    assert http_error(err) == (400, "Job ID does not match name")

    with pytest.raises(nexc.BaseNomadException) as err:
        client.jobs.register_job({"Job": {"ID": job_id, "Type": "batch"}})
    status, text = http_error(err)
    assert status == 500 and "Missing job task groups" in text

    with pytest.raises(nexc.BadRequestNomadException):
        client.jobs.register_job({"Job": {"ID": job_id, "Priority": "high"}})

    with pytest.raises(nexc.BaseNomadException) as err:
        client.jobs.register_job({"Job": batch_job(job_id + " with space")})
    status, text = http_error(err)
    assert status == 500 and "Job ID contains a space" in text

    assert client.jobs.get_jobs(prefix=job_id) == []


def test_validate_job(client, ids):
    ok = client.validate.validate_job({"Job": batch_job(ids())}).json()
    assert ok["ValidationErrors"] in (None, []) and ok["Error"] == "", ok

    bad = client.validate.validate_job({"Job": {"ID": ids("bad"), "Type": "batch"}}).json()
    assert any("Missing job task groups" in e for e in bad["ValidationErrors"]), bad

    with pytest.raises(nexc.BadRequestNomadException):
        client.validate.validate_job({})


def test_versions(client, ids):
    job_id = ids()
    register(client, batch_job(job_id))
    register(client, batch_job(job_id))  # unchanged: not a new version
    register(client, batch_job(job_id, Meta={"foo": "new"}))

    versions = client.job.get_versions(job_id)
    assert "Versions" in versions and "Index" in versions, versions.keys()
    assert [v["Version"] for v in versions["Versions"]] == [1, 0]
    assert versions["Versions"][0]["Meta"] == {"foo": "new"}


def test_evaluations_allocations(client, ids):
    job_id = ids()
    resp = register(client, service_job(job_id, count=2))

    evals = client.job.get_evaluations(job_id)
    assert resp["EvalID"] in [e["ID"] for e in evals]
    ev = client.evaluation.get_evaluation(resp["EvalID"])
    assert ev["ID"] == resp["EvalID"] and ev["JobID"] == job_id
    assert ev["TriggeredBy"] == "job-register" and ev["Priority"] == 50 and ev["Type"] == "service"

    found = {}

    def two_running():
        allocs = client.job.get_allocations(job_id, all_=True)  # sent as all=True
        running = [a for a in allocs if a["ClientStatus"] == "running"]
        found["allocs"] = running
        return True if len(running) == 2 else f"{len(allocs)} allocations, {len(running)} running"

    eventually("2 running allocations", two_running)
    for a in found["allocs"]:
        assert UUID.match(a["ID"]) and a["JobID"] == job_id and a["TaskGroup"] == "app"
    alloc = client.allocation.get_allocation(found["allocs"][0]["ID"])
    assert alloc["ID"] == found["allocs"][0]["ID"] and alloc["JobID"] == job_id

    summary = client.job.get_summary(job_id)
    assert summary["JobID"] == job_id and summary["Summary"]["app"]["Running"] == 2
    for key in ("Queued", "Complete", "Failed", "Running", "Starting", "Lost", "Unknown"):
        assert key in summary["Summary"]["app"], key


def test_deployments(client, ids):
    job_id = ids()
    register(client, service_job(job_id))

    latest = client.job.get_deployment(job_id)
    assert latest is not None, "no deployment right after registering a service job"
    assert UUID.match(latest["ID"]) and latest["JobID"] == job_id and "app" in latest["TaskGroups"]
    assert [d["ID"] for d in client.job.get_deployments(job_id)] == [latest["ID"]]
    assert client.deployment.get_deployment(latest["ID"])["JobID"] == job_id

    batch = ids("batch")
    register(client, batch_job(batch))
    assert client.job.get_deployment(batch) is None


def test_evaluate_job(client, ids):
    job_id = ids()
    register(client, service_job(job_id))
    resp = client.job.evaluate_job(job_id)  # POST without a body or Content-Type
    assert UUID.match(resp["EvalID"]), resp
    assert resp["EvalID"] in [e["ID"] for e in client.job.get_evaluations(job_id)]


def test_plan_job(client, ids):
    job_id = ids()
    job = service_job(job_id)
    register(client, job)

    plan = client.job.plan_job(job_id, {"Job": service_job(job_id, count=3)}, diff=True)
    assert "Index" in plan, plan.keys()
    assert plan["JobModifyIndex"] > 0
    assert plan["Diff"]["Type"] == "Edited"
    assert plan["Annotations"]["DesiredTGUpdates"]["app"]["Place"] == 2
    assert client.job.get_job(job_id)["TaskGroups"][0]["Count"] == 1

    plan = client.job.plan_job(job_id, {"Job": job})
    assert plan["Diff"] is None


def test_dispatch_job(client, ids):
    job_id = ids()
    parent = batch_job(job_id, ParameterizedJob={"Payload": "optional", "MetaRequired": ["k"], "MetaOptional": ["o"]})
    resp = register(client, parent)
    assert resp["EvalID"] == ""

    payload = base64.b64encode(b"hello world").decode()
    out = client.job.dispatch_job(job_id, payload=payload, meta={"k": "v"})
    assert out["DispatchedJobID"].startswith(job_id + "/dispatch-"), out
    assert UUID.match(out["EvalID"]) and out["JobCreateIndex"] > 0 and "Index" in out

    # python-nomad does not escape the child ID: /v1/job/<parent>/dispatch-…/summary is routed by suffix.
    child = client.job.get_job(out["DispatchedJobID"])
    assert child["ParentID"] == job_id and child["Meta"]["k"] == "v"
    # Nomad stores the payload snappy-compressed; a short literal block ends with the raw bytes.
    assert base64.b64decode(child["Payload"]).endswith(b"hello world"), child["Payload"]
    assert client.job.get_summary(out["DispatchedJobID"])["JobID"] == out["DispatchedJobID"]

    templated = client.job.dispatch_job(job_id, meta={"k": "v"}, id_prefix_template="tmpl")
    assert templated["DispatchedJobID"].startswith(job_id + "/dispatch-tmpl-"), templated

    # python-nomad puts idempotency_token in the body, where Nomad does not read it: two children.
    first = client.job.dispatch_job(job_id, meta={"k": "v"}, idempotency_token="tok")
    second = client.job.dispatch_job(job_id, meta={"k": "v"}, idempotency_token="tok")
    assert first["DispatchedJobID"] != second["DispatchedJobID"]

    with pytest.raises(nexc.BaseNomadException) as err:
        client.job.dispatch_job(job_id)
    assert http_error(err) == (500, "Dispatch did not provide required meta keys: [k]")
    with pytest.raises(nexc.BaseNomadException) as err:
        client.job.dispatch_job(job_id, meta={"k": "v", "nope": "x"})
    assert http_error(err) == (500, "Dispatch request included unpermitted metadata keys: [nope]")
    with pytest.raises(nexc.BaseNomadException) as err:
        client.job.dispatch_job(job_id, meta={"k": "v"}, payload=base64.b64encode(b"x" * (16 * 1024 + 1)).decode())
    assert http_error(err)[0] == 500 and "Payload exceeds maximum size" in http_error(err)[1]

    plain = ids("plain")
    register(client, batch_job(plain))
    with pytest.raises(nexc.BaseNomadException) as err:
        client.job.dispatch_job(plain)
    assert http_error(err) == (500, f'Specified job "{plain}" is not a parameterized job')


def test_revert_and_stable(client, ids):
    job_id = ids()
    register(client, batch_job(job_id))
    register(client, batch_job(job_id, Meta={"foo": "new"}))

    with pytest.raises(nexc.BaseNomadException) as err:
        client.job.revert_job(job_id, 0, enforce_prior_version=10)
    assert http_error(err) == (500, "Current job has version 1; enforcing version 10")
    with pytest.raises(nexc.BaseNomadException) as err:
        client.job.revert_job(job_id, 1)
    assert http_error(err) == (500, "can't revert to current version")

    resp = client.job.revert_job(job_id, 0, enforce_prior_version=1)
    assert UUID.match(resp["EvalID"]) and resp["JobModifyIndex"] > 0
    job = client.job.get_job(job_id)
    assert job["Version"] == 2 and not job.get("Meta")

    stable = client.job.stable_job(job_id, 2, True)
    assert stable.get("Index", 0) > 0, stable
    assert client.job.get_job(job_id)["Stable"] is True
    client.job.stable_job(job_id, 2, False)
    assert client.job.get_job(job_id)["Stable"] is False


def test_periodic_job(client, ids):
    job_id = ids()
    resp = register(client, batch_job(job_id, Periodic={"Enabled": True, "SpecType": "cron", "Spec": "*/30 * * * *"}))
    assert resp["EvalID"] == ""

    forced = client.job.periodic_job(job_id)  # POST without a body
    assert UUID.match(forced["EvalID"]), forced
    children = client.jobs.get_jobs(prefix=job_id + "/periodic-")
    assert len(children) == 1 and children[0]["ParentID"] == job_id

    plain = ids("plain")
    register(client, batch_job(plain))
    with pytest.raises(nexc.BaseNomadException) as err:
        client.job.periodic_job(plain)
    assert http_error(err) == (500, "can't force launch non-periodic job")


def test_deregister_job(client, ids):
    job_id = ids()
    register(client, service_job(job_id))

    stopped = client.job.deregister_job(job_id, eval_priority=90, namespace="default")
    assert UUID.match(stopped["EvalID"]) and stopped["JobModifyIndex"] > 0
    assert client.evaluation.get_evaluation(stopped["EvalID"])["Priority"] == 90
    job = client.job.get_job(job_id)
    assert job["Stop"] is True and job["Version"] == 1

    purged = client.job.deregister_job(job_id, purge=True, global_=True)  # sent as purge=True&global=True
    assert UUID.match(purged["EvalID"]), purged
    assert job_id not in client.job
    assert client.jobs.get_jobs(prefix=job_id) == []


def test_odd_ids(client, ids):
    # Characters python-nomad leaves alone or that requests percent-encodes (not '?' or '#', which
    # python-nomad sends unescaped and no server could route).
    job_id = ids() + "/with:colons\\back\\slash+plus&amp,comma;semi=eq@at字~!$'()*"
    register(client, batch_job(job_id))
    assert client.job.get_job(job_id)["ID"] == job_id
    assert client.job.get_summary(job_id)["JobID"] == job_id
    assert client.job.get_versions(job_id)["Versions"][0]["ID"] == job_id
    assert isinstance(client.job.get_allocations(job_id), list)
    assert [j["ID"] for j in client.jobs.get_jobs(prefix=job_id)] == [job_id]
    client.job.deregister_job(job_id, purge=True)
    assert job_id not in client.job


def test_parse(client):
    hcl = 'job "example" {\n  group "g" {\n    task "t" {\n      driver = "docker"\n      config { image = "x:1" }\n    }\n  }\n}\n'
    job = client.jobs.parse(hcl)
    assert job["ID"] == "example" and job["Name"] == "example"
    assert job["Namespace"] is None and job["Priority"] is None

    canon = client.jobs.parse(hcl, canonicalize=True)
    assert canon["Namespace"] == "default" and canon["Type"] == "service"
    assert canon["TaskGroups"][0]["Count"] == 1 and canon["TaskGroups"][0]["Tasks"][0]["Resources"]["MemoryMB"] == 300

    with pytest.raises(nexc.BadRequestNomadException) as err:
        client.jobs.parse('job "x" { nope = 1 }')
    assert http_error(err)[1].startswith("Failed to parse job")
    with pytest.raises(nexc.BadRequestNomadException) as err:
        client.jobs.parse("")
    assert http_error(err) == (400, "Job spec is empty")


# --- around jobs ----------------------------------------------------------------------------------


def test_status_agent_namespaces(client):
    leader = client.status.leader.get_leader()
    assert isinstance(leader, str) and ":" in leader, leader
    agent = client.agent.get_agent()
    assert "member" in agent and "config" in agent, agent.keys()
    names = [ns["Name"] for ns in client.namespaces.get_namespaces()]
    assert "default" in names
