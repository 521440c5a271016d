package compat

import (
	"slices"
	"testing"

	"github.com/hashicorp/nomad/api"
)

// The Namespaces() calls of the Nomad CLI (`nomad namespace apply/status/list/delete`): register,
// read back what was stored, list, update, and delete, with Nomad's refusals on the way.
func TestNamespaces_RegisterInfoListDelete(t *testing.T) {
	t.Parallel()
	c := client(t)
	namespaces := c.Namespaces()
	name := "go-ns-" + runID
	t.Cleanup(func() { _, _ = namespaces.Delete(name, nil) })

	wm, err := namespaces.Register(&api.Namespace{
		Name:        name,
		Description: "from the Go client",
		Meta:        map[string]string{"team": "compat"},
		Capabilities: &api.NamespaceCapabilities{
			EnabledTaskDrivers: []string{"docker"},
		},
	}, nil)
	ok(t, "Register", err)
	assertWriteMeta(t, "Register", wm)

	ns, qm, err := namespaces.Info(name, nil)
	ok(t, "Info", err)
	assertQueryMeta(t, "Info", qm)
	if ns.Name != name || ns.Description != "from the Go client" || ns.Meta["team"] != "compat" {
		t.Errorf("Info: %+v, want the registered name, description and meta", ns)
	}
	if ns.Capabilities == nil || !slices.Equal(ns.Capabilities.EnabledTaskDrivers, []string{"docker"}) {
		t.Errorf("Info: Capabilities %+v, want EnabledTaskDrivers [docker]", ns.Capabilities)
	}
	if ns.CreateIndex == 0 || ns.ModifyIndex < ns.CreateIndex || qm.LastIndex != ns.ModifyIndex {
		t.Errorf("Info: CreateIndex %d, ModifyIndex %d, X-Nomad-Index %d", ns.CreateIndex, ns.ModifyIndex, qm.LastIndex)
	}

	list, qm, err := namespaces.List(nil)
	ok(t, "List", err)
	assertQueryMeta(t, "List", qm)
	names := make([]string, 0, len(list))
	for _, n := range list {
		names = append(names, n.Name)
	}
	if !slices.Contains(names, name) || !slices.Contains(names, "default") {
		t.Errorf("List: %v, want %q and default", names, name)
	}
	prefixed, _, err := namespaces.PrefixList("go-ns-"+runID, nil)
	ok(t, "PrefixList", err)
	if len(prefixed) != 1 || prefixed[0].Name != name {
		t.Errorf("PrefixList: %d namespaces, want only %q", len(prefixed), name)
	}

	// Registering again replaces the namespace.
	wm2, err := namespaces.Register(&api.Namespace{Name: name, Description: "changed"}, nil)
	ok(t, "Register (update)", err)
	if wm2.LastIndex < wm.LastIndex {
		t.Errorf("Register (update): index %d went back from %d", wm2.LastIndex, wm.LastIndex)
	}
	ns, _, err = namespaces.Info(name, nil)
	ok(t, "Info after update", err)
	if ns.Description != "changed" || ns.Meta != nil || ns.Capabilities != nil {
		t.Errorf("Info after update: %+v, want description changed and no meta or capabilities", ns)
	}

	// A namespace with a job that is not dead cannot be deleted; once the job is purged it can.
	w := newWrites(t)
	job := batchJob(jobID(t))
	job.Namespace = &name
	register(t, w, job)
	_, err = namespaces.Delete(name, nil)
	fails(t, "Delete with a job", err, 500, `namespace "`+name+`" has non-terminal jobs in regions: [global]`)
	_, _, err = c.Jobs().Deregister(*job.ID, true, &api.WriteOptions{Namespace: name})
	ok(t, "Deregister (purge)", err)

	wm, err = namespaces.Delete(name, nil)
	ok(t, "Delete", err)
	assertWriteMeta(t, "Delete", wm)
	_, _, err = namespaces.Info(name, nil)
	failsExactly(t, "Info after Delete", err, "Unexpected response code: 404 (Namespace not found)")
	_, err = namespaces.Delete(name, nil)
	failsExactly(t, "Delete again", err, "Unexpected response code: 500 (namespace not found)")
}

func TestNamespaces_Refusals(t *testing.T) {
	t.Parallel()
	namespaces := client(t).Namespaces()
	_, err := namespaces.Delete("default", nil)
	failsExactly(t, "Delete default", err, "Unexpected response code: 500 (can not delete default namespace)")
	_, err = namespaces.Register(&api.Namespace{Name: "go-ns-quota-" + runID, Quota: "small"}, nil)
	failsExactly(t, "Register with a quota", err,
		`Unexpected response code: 500 (namespace "go-ns-quota-`+runID+`" using non-existent quota "small")`)
	_, err = namespaces.Register(&api.Namespace{Name: "bad name"}, nil)
	fails(t, "Register with an invalid name", err, 500, `invalid name "bad name". Must match regex ^[a-zA-Z0-9-]{1,128}$`)
	def, _, err := namespaces.Info("default", nil)
	ok(t, "Info default", err)
	if def.Name != "default" {
		t.Errorf("Info default: %+v", def)
	}
}
