"""python-nomad 2.1.0's namespace API against the /v1 API at NOMAD_ADDR: create, read, update, list,
delete, and Nomad's refusals. Its namespace writes return the requests.Response (Nomad answers them
with no body)."""

import nomad.api.exceptions as nexc
import pytest

from conftest import RUN_ID


def http_error(exc_info):
    resp = exc_info.value.nomad_resp
    return resp.status_code, resp.text


def test_namespace_create_read_update_delete(client):
    name = f"py-ns-{RUN_ID}"
    try:
        created = client.namespace.create_namespace({"Name": name, "Description": "python", "Meta": {"team": "py"}})
        assert created.status_code == 200 and int(created.headers["X-Nomad-Index"]) > 0
        assert name in client.namespace

        got = client.namespace.get_namespace(name)
        assert (got["Name"], got["Description"], got["Meta"]) == (name, "python", {"team": "py"})
        assert got["ModifyIndex"] >= got["CreateIndex"] > 0

        client.namespace.update_namespace(name, {"Name": name, "Description": "updated"})
        # (not client.namespace[name]: python-nomad looks for an "ID" key, which Nomad namespaces lack)
        assert client.namespace.get_namespace(name)["Description"] == "updated"
        assert name in [ns["Name"] for ns in client.namespaces.get_namespaces()]

        with pytest.raises(nexc.BadRequestNomadException) as err:
            client.namespace.update_namespace(name, {"Name": "other"})
        assert http_error(err) == (400, "Namespace name does not match request path")

        deleted = client.namespace.delete_namespace(name)
        assert deleted.status_code == 200
        assert name not in client.namespace
        with pytest.raises(nexc.URLNotFoundNomadException) as err:
            client.namespace.get_namespace(name)
        assert http_error(err) == (404, "Namespace not found")
    finally:
        try:
            client.namespace.delete_namespace(name)
        except nexc.BaseNomadException:
            pass


def test_namespace_refusals(client):
    with pytest.raises(nexc.BaseNomadException) as err:
        client.namespace.delete_namespace("default")
    assert http_error(err) == (500, "can not delete default namespace")
    with pytest.raises(nexc.BaseNomadException) as err:
        client.namespace.delete_namespace(f"py-ns-missing-{RUN_ID}")
    assert http_error(err) == (500, "namespace not found")
