package compat

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
)

// Reads of a job that does not exist: Nomad's exact error texts, or empty 200 answers.
func TestJobs_UnknownJob(t *testing.T) {
	t.Parallel()
	jobs := client(t).Jobs()
	id := jobID(t, "missing")

	_, _, err := jobs.Info(id, nil)
	failsExactly(t, "Info", err, "Unexpected response code: 404 (job not found)")
	_, _, err = jobs.Summary(id, nil)
	failsExactly(t, "Summary", err, "Unexpected response code: 404 (job not found)")
	_, _, err = jobs.ScaleStatus(id, nil)
	failsExactly(t, "ScaleStatus", err, "Unexpected response code: 404 (job not found)")
	_, _, _, err = jobs.Versions(id, false, nil)
	failsExactly(t, "Versions", err, "Unexpected response code: 404 (job versions not found)")
	_, _, err = jobs.Services(id, nil)
	fails(t, "Services", err, 404, "not found")

	allocs, _, err := jobs.Allocations(id, true, nil)
	if okSoft(t, "Allocations of an unknown job", err) && len(allocs) != 0 {
		t.Errorf("Allocations of an unknown job: %d", len(allocs))
	}
	evals, _, err := jobs.Evaluations(id, nil)
	if okSoft(t, "Evaluations of an unknown job", err) && len(evals) != 0 {
		t.Errorf("Evaluations of an unknown job: %d", len(evals))
	}
	deps, _, err := jobs.Deployments(id, true, nil)
	if okSoft(t, "Deployments of an unknown job", err) && len(deps) != 0 {
		t.Errorf("Deployments of an unknown job: %d", len(deps))
	}
	latest, _, err := jobs.LatestDeployment(id, nil)
	if okSoft(t, "LatestDeployment of an unknown job (body must be the JSON null)", err) && latest != nil {
		t.Errorf("LatestDeployment of an unknown job: %+v", latest)
	}

	// Deregistering an unknown job succeeds with no eval.
	evalID, wm, err := jobs.Deregister(id, false, nil)
	if okSoft(t, "Deregister of an unknown job", err) {
		assertWriteMeta(t, "Deregister of an unknown job", wm)
	}
	if evalID != "" {
		t.Errorf("Deregister of an unknown job: EvalID %q, want empty", evalID)
	}

	_, _, err = client(t).Evaluations().Info("00000000-0000-0000-0000-000000000000", nil)
	fails(t, "Evaluations().Info unknown", err, 404, "eval not found")
	_, _, err = client(t).Allocations().Info("00000000-0000-0000-0000-000000000000", nil)
	fails(t, "Allocations().Info unknown", err, 404, "alloc not found")
	_, _, err = client(t).Deployments().Info("00000000-0000-0000-0000-000000000000", nil)
	fails(t, "Deployments().Info unknown", err, 404, "deployment not found")
}

// IDs with '/', '\', ':', newline, '?', '&' and non-ASCII work on every job endpoint.
func TestJobs_AwkwardID(t *testing.T) {
	t.Parallel()
	c, w := client(t), newWrites(t)
	id := awkwardID(t)

	_, _, err := c.Jobs().Info(id, nil)
	failsExactly(t, "Info before register", err, "Unexpected response code: 404 (job not found)")

	job := withScaling(batchJob(id))
	register(t, w, job)

	got := info(t, id)
	if deref(got.ID) != id {
		t.Errorf("Info: ID %q, want %q", deref(got.ID), id)
	}
	list, _, err := c.Jobs().PrefixList(id)
	ok(t, "PrefixList", err)
	if len(list) != 1 || list[0].ID != id {
		t.Errorf("PrefixList(%q): %v", id, list)
	}
	_, _, err = c.Jobs().Summary(id, nil)
	okSoft(t, "Summary", err)
	_, _, _, err = c.Jobs().Versions(id, true, nil)
	okSoft(t, "Versions", err)
	_, _, err = c.Jobs().Allocations(id, true, nil)
	okSoft(t, "Allocations", err)
	_, _, err = c.Jobs().Evaluations(id, nil)
	okSoft(t, "Evaluations", err)
	_, _, err = c.Jobs().ScaleStatus(id, nil)
	okSoft(t, "ScaleStatus", err)
	// Services does not escape the ID: the server sees a raw '/', '\n', and a '?' that starts the query.
	_, wm, err := c.Jobs().Scale(id, "group1", new(2), "awkward", false, nil, nil)
	ok(t, "Scale", err)
	w.add("Scale", wm)
	_, wm, err = c.Jobs().Deregister(id, true, nil)
	ok(t, "Deregister purge", err)
	w.add("Deregister purge", wm)
	_, _, err = c.Jobs().Info(id, nil)
	failsExactly(t, "Info after purge", err, "Unexpected response code: 404 (job not found)")
}

// ListOptions: meta field, filter expressions, paging with X-Nomad-NextToken, reverse, namespace "*".
func TestJobs_ListOptions(t *testing.T) {
	t.Parallel()
	c := client(t)
	prefix := jobID(t)
	for i, team := range []string{"red", "blue", "red"} {
		job := batchJob(fmt.Sprintf("%s-%d", prefix, i))
		job.Meta = map[string]string{"team": team, "dotted.key": "x"}
		register(t, nil, job)
	}

	withMeta, qm, err := c.Jobs().ListOptions(&api.JobListOptions{Fields: &api.JobListFields{Meta: true}},
		&api.QueryOptions{Prefix: prefix})
	ok(t, "ListOptions(meta=true)", err)
	assertQueryMeta(t, "ListOptions(meta=true)", qm)
	if len(withMeta) != 3 {
		t.Fatalf("ListOptions(meta=true, prefix): want 3 jobs, got %d", len(withMeta))
	}
	if withMeta[0].Meta["team"] != "red" || withMeta[1].Meta["team"] != "blue" {
		t.Errorf("meta=true: Meta %v, %v", withMeta[0].Meta, withMeta[1].Meta)
	}
	without, _, err := c.Jobs().ListOptions(&api.JobListOptions{Fields: &api.JobListFields{Meta: false}},
		&api.QueryOptions{Prefix: prefix})
	ok(t, "ListOptions(meta=false)", err)
	for _, j := range without {
		if j.Meta != nil {
			t.Errorf("meta=false: job %s has Meta %v", j.ID, j.Meta)
		}
	}

	filtered, qm, err := c.Jobs().List(&api.QueryOptions{Prefix: prefix, Filter: `Meta.team == "red"`})
	ok(t, "List(filter)", err)
	assertQueryMeta(t, "List(filter)", qm)
	if ids := stubIDs(filtered); !slices.Equal(ids, []string{prefix + "-0", prefix + "-2"}) {
		t.Errorf(`filter Meta.team == "red": %v`, ids)
	}
	filtered, _, err = c.Jobs().List(&api.QueryOptions{Prefix: prefix,
		Filter: `Meta["dotted.key"] == "x" and Type == "batch" and not (Meta.team matches "^bl")`})
	ok(t, "List(filter with index, and, not, matches)", err)
	if ids := stubIDs(filtered); !slices.Equal(ids, []string{prefix + "-0", prefix + "-2"}) {
		t.Errorf("combined filter: %v", ids)
	}
	filtered, _, err = c.Jobs().List(&api.QueryOptions{Prefix: prefix, Filter: `"*" in Datacenters`})
	ok(t, "List(filter in)", err)
	if len(filtered) != 3 {
		t.Errorf(`filter "*" in Datacenters: %v`, stubIDs(filtered))
	}
	_, _, err = c.Jobs().List(&api.QueryOptions{Filter: `Meta.team ==`})
	fails(t, "List(bad filter syntax)", err, 400, api.ResultPaginatorErrorContent)
	_, _, err = c.Jobs().List(&api.QueryOptions{Prefix: prefix, Filter: `NoSuchField == "x"`})
	fails(t, "List(filter on an unknown field)", err, 400, "failed to read result page")

	// Paging: two pages of 2 and 1, following X-Nomad-NextToken.
	page1, qm, err := c.Jobs().List(&api.QueryOptions{Prefix: prefix, PerPage: 2})
	ok(t, "List(per_page=2)", err)
	if len(page1) != 2 || qm.NextToken == "" {
		t.Fatalf("page 1: %v, NextToken %q (want 2 jobs and a token)", stubIDs(page1), qm.NextToken)
	}
	page2, qm2, err := c.Jobs().List(&api.QueryOptions{Prefix: prefix, PerPage: 2, NextToken: qm.NextToken})
	ok(t, "List(next_token)", err)
	if len(page2) != 1 || qm2.NextToken != "" {
		t.Errorf("page 2: %v, NextToken %q (want 1 job and no token)", stubIDs(page2), qm2.NextToken)
	}
	if ids := append(stubIDs(page1), stubIDs(page2)...); !slices.Equal(ids, []string{prefix + "-0", prefix + "-1", prefix + "-2"}) {
		t.Errorf("pages together: %v", ids)
	}
	// The client sorts by ID, so reverse shows in which jobs make the first page.
	rev, _, err := c.Jobs().List(&api.QueryOptions{Prefix: prefix, PerPage: 1, Reverse: true})
	ok(t, "List(reverse)", err)
	if ids := stubIDs(rev); !slices.Equal(ids, []string{prefix + "-2"}) {
		t.Errorf("reverse, per_page=1: %v", ids)
	}

	// namespace=* lists every namespace, and the stubs say which.
	everywhere, _, err := c.Jobs().List(&api.QueryOptions{Namespace: "*", Prefix: prefix})
	ok(t, "List(namespace=*)", err)
	if len(everywhere) != 3 {
		t.Fatalf("namespace=*: want 3 jobs, got %v", stubIDs(everywhere))
	}
	for _, j := range everywhere {
		if j.Namespace != "default" {
			t.Errorf("namespace=*: job %s Namespace %q", j.ID, j.Namespace)
		}
	}
}

func stubIDs(list []*api.JobListStub) []string {
	ids := make([]string, 0, len(list))
	for _, j := range list {
		ids = append(ids, j.ID)
	}
	return ids
}

// Versions: a new version only when the spec changes, newest first, with diffs between them.
func TestJobs_Versions(t *testing.T) {
	t.Parallel()
	c, w := client(t), newWrites(t)
	job := batchJob(jobID(t))
	id := *job.ID
	first := register(t, w, job)
	// The same spec again is not a new version.
	register(t, w, job)
	job.Meta = map[string]string{"foo": "new"}
	register(t, w, job)

	versions, diffs, qm, err := c.Jobs().Versions(id, true, nil)
	ok(t, "Jobs().Versions(diffs)", err)
	assertQueryMeta(t, "Jobs().Versions", qm)
	if len(versions) != 2 {
		t.Fatalf("Versions: want 2 (re-registering an unchanged spec is not a version), got %d", len(versions))
	}
	if deref(versions[0].Version) != 1 || deref(versions[1].Version) != 0 {
		t.Errorf("Versions: want newest first [1 0], got [%d %d]", deref(versions[0].Version), deref(versions[1].Version))
	}
	if versions[0].Meta["foo"] != "new" || versions[1].Meta["foo"] != "" {
		t.Errorf("Versions: Meta %v / %v", versions[0].Meta, versions[1].Meta)
	}
	if deref(versions[1].JobModifyIndex) != first.JobModifyIndex {
		t.Errorf("version 0 JobModifyIndex %d, want %d", deref(versions[1].JobModifyIndex), first.JobModifyIndex)
	}
	if deref(versions[0].ID) != id {
		t.Errorf("Versions: ID %q", deref(versions[0].ID))
	}
	if len(diffs) != 1 {
		t.Fatalf("Versions(diffs=true): want 1 diff between 2 versions, got %d", len(diffs))
	}
	d := diffs[0]
	if d.Type != "Edited" || d.ID != id {
		t.Errorf("diff: Type %q ID %q, want Edited %q", d.Type, d.ID, id)
	}
	found := false
	for _, o := range d.Objects {
		if o.Name == "Meta" {
			for _, f := range o.Fields {
				found = found || (f.Name == "foo" && f.Type == "Added" && f.New == "new")
			}
		}
	}
	for _, f := range d.Fields {
		found = found || (f.Name == "Meta[foo]" && f.New == "new")
	}
	if !found {
		t.Errorf("diff does not show Meta foo added: %+v", d)
	}

	_, nodiffs, _, err := c.Jobs().Versions(id, false, nil)
	ok(t, "Jobs().Versions(no diffs)", err)
	if nodiffs != nil {
		t.Errorf("Versions(diffs=false): Diffs %v, want null", nodiffs)
	}
}

// Evaluations: the register eval is listed and readable with its priority, type and trigger.
func TestJobs_Evaluations(t *testing.T) {
	t.Parallel()
	c := client(t)
	id := jobID(t)
	resp := register(t, nil, batchJob(id))

	evals, qm, err := c.Jobs().Evaluations(id, nil)
	ok(t, "Jobs().Evaluations", err)
	assertQueryMeta(t, "Jobs().Evaluations", qm)
	if len(evals) == 0 {
		t.Fatalf("Evaluations: the register eval %s is not listed right after register", resp.EvalID)
	}
	if evals[len(evals)-1].ID != resp.EvalID {
		t.Errorf("Evaluations: the oldest eval is %s, want the register eval %s", evals[len(evals)-1].ID, resp.EvalID)
	}

	eval, qm, err := c.Evaluations().Info(resp.EvalID, nil)
	ok(t, "Evaluations().Info", err)
	assertQueryMeta(t, "Evaluations().Info", qm)
	if eval.ID != resp.EvalID || eval.JobID != id || eval.Namespace != "default" || eval.Type != "batch" ||
		eval.TriggeredBy != "job-register" || eval.Priority != 1 {
		t.Errorf("eval: ID %s JobID %q Namespace %q Type %q TriggeredBy %q Priority %d",
			eval.ID, eval.JobID, eval.Namespace, eval.Type, eval.TriggeredBy, eval.Priority)
	}
	if !slices.Contains([]string{"pending", "complete", "blocked"}, eval.Status) {
		t.Errorf("eval Status %q", eval.Status)
	}
	if eval.CreateIndex != resp.EvalCreateIndex || eval.JobModifyIndex != resp.JobModifyIndex {
		t.Errorf("eval CreateIndex %d JobModifyIndex %d, register said %d %d",
			eval.CreateIndex, eval.JobModifyIndex, resp.EvalCreateIndex, resp.JobModifyIndex)
	}
	if eval.CreateTime <= 0 || time.Since(time.Unix(0, eval.CreateTime)) > time.Hour {
		t.Errorf("eval CreateTime %d is not recent Unix nanoseconds", eval.CreateTime)
	}
}

// Allocations are pods: a service job's allocations appear, run, and can be read one by one.
func TestJobs_Allocations(t *testing.T) {
	t.Parallel()
	c := client(t)
	id := jobID(t)
	register(t, nil, serviceJob(id, 2))

	var allocs []*api.AllocationListStub
	eventually(t, "2 running allocations", 90*time.Second, func() string {
		var qm *api.QueryMeta
		var err error
		allocs, qm, err = c.Jobs().Allocations(id, true, nil)
		if err != nil {
			return explain("Jobs().Allocations", err)
		}
		if qm.LastIndex == 0 || !qm.KnownLeader {
			return fmt.Sprintf("query meta %+v", qm)
		}
		running := 0
		for _, a := range allocs {
			if a.ClientStatus == "running" {
				running++
			}
		}
		if running != 2 {
			return fmt.Sprintf("%d allocations, %d running", len(allocs), running)
		}
		return ""
	})
	for _, a := range allocs {
		assertUUID(t, "allocation ID", a.ID)
		if a.JobID != id || a.TaskGroup != "app" || a.Namespace != "default" || a.DesiredStatus != "run" {
			t.Errorf("alloc stub: JobID %q TaskGroup %q Namespace %q DesiredStatus %q", a.JobID, a.TaskGroup, a.Namespace, a.DesiredStatus)
		}
		if !strings.HasPrefix(a.Name, id+".app[") {
			t.Errorf("alloc Name %q, want %s.app[<index>]", a.Name, id)
		}
		if a.TaskStates["main"] == nil || a.TaskStates["main"].State != "running" {
			t.Errorf("alloc %s: task state of main %+v", a.ID, a.TaskStates["main"])
		}
		if a.CreateIndex == 0 || a.ModifyIndex < a.CreateIndex {
			t.Errorf("alloc %s: CreateIndex %d ModifyIndex %d", a.ID, a.CreateIndex, a.ModifyIndex)
		}
	}

	alloc, qm, err := c.Allocations().Info(allocs[0].ID, nil)
	ok(t, "Allocations().Info", err)
	assertQueryMeta(t, "Allocations().Info", qm)
	if alloc.ID != allocs[0].ID || alloc.JobID != id || alloc.TaskGroup != "app" || alloc.ClientStatus != "running" {
		t.Errorf("Allocations().Info: ID %s JobID %q TaskGroup %q ClientStatus %q", alloc.ID, alloc.JobID, alloc.TaskGroup, alloc.ClientStatus)
	}
	if alloc.Job == nil || deref(alloc.Job.ID) != id {
		t.Errorf("Allocations().Info: Job missing or wrong: %v", alloc.Job)
	}

	summary, qm, err := c.Jobs().Summary(id, nil)
	ok(t, "Jobs().Summary", err)
	assertQueryMeta(t, "Jobs().Summary", qm)
	if summary.JobID != id || summary.Namespace != "default" || summary.Summary["app"].Running != 2 {
		t.Errorf("Summary: JobID %q Namespace %q groups %+v", summary.JobID, summary.Namespace, summary.Summary)
	}
	status, _, err := c.Jobs().ScaleStatus(id, nil)
	ok(t, "Jobs().ScaleStatus", err)
	if tg := status.TaskGroups["app"]; tg.Desired != 2 || tg.Placed != 2 || tg.Running != 2 {
		t.Errorf("ScaleStatus app: %+v", tg)
	}
	job := info(t, id)
	if deref(job.Status) != "running" {
		t.Errorf("job Status %q with running allocations, want running", deref(job.Status))
	}
}

// Deployments: a service job's deployment is visible at once and readable by ID; a batch job has none.
func TestJobs_Deployments(t *testing.T) {
	t.Parallel()
	c := client(t)
	id := jobID(t, "service")
	resp := register(t, nil, serviceJob(id, 1))

	latest, qm, err := c.Jobs().LatestDeployment(id, nil)
	ok(t, "Jobs().LatestDeployment", err)
	assertQueryMeta(t, "Jobs().LatestDeployment", qm)
	if latest == nil {
		t.Fatalf("LatestDeployment: null right after registering a service job")
	}
	assertUUID(t, "deployment ID", latest.ID)
	if latest.JobID != id || latest.Namespace != "default" || latest.JobVersion != 0 ||
		latest.JobCreateIndex == 0 || latest.JobModifyIndex != resp.JobModifyIndex {
		t.Errorf("deployment: JobID %q Namespace %q JobVersion %d JobCreateIndex %d JobModifyIndex %d (register %d)",
			latest.JobID, latest.Namespace, latest.JobVersion, latest.JobCreateIndex, latest.JobModifyIndex, resp.JobModifyIndex)
	}
	if _, found := latest.TaskGroups["app"]; !found {
		t.Errorf("deployment has no state for group app: %v", latest.TaskGroups)
	}
	if !slices.Contains([]string{"running", "successful", "pending", "initializing"}, latest.Status) {
		t.Errorf("deployment Status %q", latest.Status)
	}

	list, qm, err := c.Jobs().Deployments(id, true, nil)
	ok(t, "Jobs().Deployments", err)
	assertQueryMeta(t, "Jobs().Deployments", qm)
	if len(list) != 1 || list[0].ID != latest.ID {
		t.Errorf("Deployments: %d, want the latest %s", len(list), latest.ID)
	}

	byID, qm, err := c.Deployments().Info(latest.ID, nil)
	ok(t, "Deployments().Info", err)
	assertQueryMeta(t, "Deployments().Info", qm)
	if byID.ID != latest.ID || byID.JobID != id {
		t.Errorf("Deployments().Info: ID %s JobID %q", byID.ID, byID.JobID)
	}

	eventually(t, "the deployment to succeed", 90*time.Second, func() string {
		d, _, err := c.Jobs().LatestDeployment(id, nil)
		if err != nil {
			return explain("LatestDeployment", err)
		}
		if d == nil || d.Status != "successful" {
			return fmt.Sprintf("deployment %+v", d)
		}
		if tg := d.TaskGroups["app"]; tg == nil || tg.HealthyAllocs != 1 || tg.DesiredTotal != 1 {
			return fmt.Sprintf("group state %+v", tg)
		}
		return ""
	})

	// An update is a new deployment, listed first.
	job := serviceJob(id, 2)
	register(t, nil, job)
	list, _, err = c.Jobs().Deployments(id, true, nil)
	ok(t, "Jobs().Deployments after update", err)
	if len(list) != 2 || list[0].JobVersion != 1 || list[1].JobVersion != 0 {
		t.Errorf("Deployments after an update: want versions [1 0], got %d deployments", len(list))
	}

	batch := jobID(t, "batch")
	register(t, nil, batchJob(batch))
	none, _, err := c.Jobs().LatestDeployment(batch, nil)
	ok(t, "LatestDeployment of a batch job", err)
	if none != nil {
		t.Errorf("LatestDeployment of a batch job: %+v, want null", none)
	}
}

// Services: Nomad service registrations of a job's allocations.
func TestJobs_Services(t *testing.T) {
	t.Parallel()
	c := client(t)
	id := jobID(t)
	job := serviceJob(id, 1)
	job.TaskGroups[0].Networks = []*api.NetworkResource{{DynamicPorts: []api.Port{{Label: "http", To: 8080}}}}
	job.TaskGroups[0].Services = []*api.Service{{Name: "web-" + runID, PortLabel: "http", Provider: "nomad", Tags: []string{"a", "b"}}}
	register(t, nil, job)

	eventually(t, "a service registration", 90*time.Second, func() string {
		regs, qm, err := c.Jobs().Services(id, nil)
		if err != nil {
			return explain("Jobs().Services", err)
		}
		if qm.LastIndex == 0 {
			return "X-Nomad-Index missing"
		}
		if len(regs) != 1 {
			return fmt.Sprintf("%d registrations", len(regs))
		}
		r := regs[0]
		if r.ServiceName != "web-"+runID || r.JobID != id || r.Namespace != "default" || r.AllocID == "" ||
			!slices.Equal(r.Tags, []string{"a", "b"}) || r.Port == 0 {
			return fmt.Sprintf("registration %+v", r)
		}
		return ""
	})
}

// The calls clients make around jobs: leader, agent, namespaces.
func TestStatusLeader(t *testing.T) {
	t.Parallel()
	leader, err := client(t).Status().Leader()
	ok(t, "Status().Leader", err)
	if !strings.Contains(leader, ":") {
		t.Errorf("Status().Leader: %q, want host:port", leader)
	}
}

func TestAgentSelf(t *testing.T) {
	t.Parallel()
	self, err := client(t).Agent().Self()
	ok(t, "Agent().Self", err)
	if self == nil || self.Member.Name == "" {
		t.Errorf("Agent().Self: %+v", self)
	}
	region, err := client(t).Agent().Region()
	ok(t, "Agent().Region", err)
	if region != "global" {
		t.Errorf("Agent().Region: %q", region)
	}
}

func TestNamespacesList(t *testing.T) {
	t.Parallel()
	list, qm, err := client(t).Namespaces().List(nil)
	ok(t, "Namespaces().List", err)
	assertQueryMeta(t, "Namespaces().List", qm)
	if !slices.ContainsFunc(list, func(n *api.Namespace) bool { return n.Name == "default" }) {
		t.Errorf("Namespaces().List has no default: %v", list)
	}
}
