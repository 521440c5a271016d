package compat

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
)

// Soft stop keeps the job (stopped, as a new version, then dead); purge removes it.
func TestJobs_Deregister(t *testing.T) {
	t.Parallel()
	c, w := client(t), newWrites(t)
	id := jobID(t)
	register(t, w, serviceJob(id, 1))

	evalID, wm, err := c.Jobs().Deregister(id, false, nil)
	ok(t, "Deregister (stop)", err)
	w.add("Deregister (stop)", wm)
	assertUUID(t, "Deregister EvalID", evalID)

	job := info(t, id)
	if !deref(job.Stop) || deref(job.Version) != 1 {
		t.Errorf("after stop: Stop %v Version %d, want true 1 (a stop is a new version)", deref(job.Stop), deref(job.Version))
	}
	eventually(t, "the stopped job to be dead", 90*time.Second, func() string {
		job, _, err := c.Jobs().Info(id, nil)
		if err != nil {
			return explain("Info", err)
		}
		if deref(job.Status) != "dead" {
			return "Status " + deref(job.Status)
		}
		return ""
	})
	eval, _, err := c.Evaluations().Info(evalID, nil)
	if okSoft(t, "Evaluations().Info of the deregister eval", err) && (eval.TriggeredBy != "job-deregister" || eval.JobID != id) {
		t.Errorf("deregister eval: TriggeredBy %q JobID %q", eval.TriggeredBy, eval.JobID)
	}

	evalID, wm, err = c.Jobs().Deregister(id, true, nil)
	ok(t, "Deregister (purge)", err)
	w.add("Deregister (purge)", wm)
	assertUUID(t, "Deregister purge EvalID", evalID)
	_, _, err = c.Jobs().Info(id, nil)
	failsExactly(t, "Info after purge", err, "Unexpected response code: 404 (job not found)")
	list, qm, err := c.Jobs().PrefixList(id)
	ok(t, "PrefixList after purge", err)
	assertQueryMeta(t, "PrefixList after purge", qm)
	if len(list) != 0 {
		t.Errorf("PrefixList after purge: %v", stubIDs(list))
	}
}

// DeregisterOpts sends purge, global, eval_priority and no_shutdown_delay; the priority reaches the eval.
func TestJobs_DeregisterOpts(t *testing.T) {
	t.Parallel()
	c := client(t)
	for _, tc := range []struct {
		name string
		prio int
		want int
	}{{"priority", 97, 97}, {"nopriority", 0, 50}} {
		id := jobID(t, tc.name)
		register(t, nil, serviceJob(id, 1))
		evalID, wm, err := c.Jobs().DeregisterOpts(id, &api.DeregisterOptions{EvalPriority: tc.prio, Purge: true}, nil)
		ok(t, "DeregisterOpts", err)
		assertWriteMeta(t, "DeregisterOpts", wm)
		assertUUID(t, "DeregisterOpts EvalID", evalID)
		eval, _, err := c.Evaluations().Info(evalID, nil)
		if okSoft(t, "Evaluations().Info", err) && eval.Priority != tc.want {
			t.Errorf("%s: eval priority %d, want %d", tc.name, eval.Priority, tc.want)
		}
	}
	_, _, err := c.Jobs().DeregisterOpts(jobID(t, "x"), &api.DeregisterOptions{EvalPriority: 101}, nil)
	fails(t, "DeregisterOpts eval_priority=101", err, 400, "Eval priority must be between 1 and 100 inclusively")
}

// Plan: a dry run with the diff against the registered job and what the scheduler would do.
func TestJobs_Plan(t *testing.T) {
	t.Parallel()
	c := client(t)
	job := serviceJob(jobID(t), 1)
	resp := register(t, nil, job)

	_, _, err := c.Jobs().Plan(nil, true, nil)
	if err == nil {
		t.Errorf("Plan(nil): no error")
	}

	plan, wm, err := c.Jobs().Plan(job, true, nil)
	ok(t, "Jobs().Plan(diff)", err)
	assertWriteMeta(t, "Jobs().Plan", wm)
	if plan.JobModifyIndex != resp.JobModifyIndex {
		t.Errorf("Plan: JobModifyIndex %d, want the registered %d", plan.JobModifyIndex, resp.JobModifyIndex)
	}
	if plan.Diff == nil || plan.Diff.Type != "None" {
		t.Errorf("Plan of the unchanged job: Diff %+v, want Type None", plan.Diff)
	}
	if plan.Annotations == nil || plan.Annotations.DesiredTGUpdates["app"] == nil {
		t.Fatalf("Plan: Annotations.DesiredTGUpdates has no group app: %+v", plan.Annotations)
	}
	if !plan.NextPeriodicLaunch.IsZero() {
		t.Errorf("Plan of a service job: NextPeriodicLaunch %s", plan.NextPeriodicLaunch)
	}

	job.TaskGroups[0].Count = new(3)
	plan, _, err = c.Jobs().Plan(job, true, nil)
	ok(t, "Jobs().Plan(count 3)", err)
	if plan.Diff == nil || plan.Diff.Type != "Edited" || len(plan.Diff.TaskGroups) != 1 {
		t.Fatalf("Plan with a new count: Diff %+v", plan.Diff)
	}
	tgd := plan.Diff.TaskGroups[0]
	if tgd.Name != "app" || tgd.Type != "Edited" ||
		!slices.ContainsFunc(tgd.Fields, func(f *api.FieldDiff) bool { return f.Name == "Count" && f.Old == "1" && f.New == "3" }) {
		t.Errorf("group diff: %+v", tgd)
	}
	if u := plan.Annotations.DesiredTGUpdates["app"]; u == nil || u.Place != 2 {
		t.Errorf("DesiredTGUpdates app: %+v, want Place 2", u)
	}

	plan, _, err = c.Jobs().PlanOpts(job, &api.PlanOptions{Diff: false}, nil)
	ok(t, "Jobs().PlanOpts(no diff)", err)
	if plan.Diff != nil {
		t.Errorf("Plan without diff: Diff %+v, want null", plan.Diff)
	}
	// A plan changes nothing.
	if got := info(t, *job.ID); deref(got.TaskGroups[0].Count) != 1 {
		t.Errorf("Plan changed the job: count %d", deref(got.TaskGroups[0].Count))
	}

	fresh := serviceJob(jobID(t, "new"), 1)
	plan, _, err = c.Jobs().Plan(fresh, true, nil)
	ok(t, "Jobs().Plan(new job)", err)
	if plan.JobModifyIndex != 0 || plan.Diff == nil || plan.Diff.Type != "Added" {
		t.Errorf("Plan of a new job: JobModifyIndex %d Diff %+v", plan.JobModifyIndex, plan.Diff)
	}
	if _, _, err := c.Jobs().Info(*fresh.ID, nil); err == nil {
		t.Errorf("Plan of a new job registered it")
	}

	periodic := periodicJob(jobID(t, "periodic"))
	plan, _, err = c.Jobs().Plan(periodic, false, nil)
	ok(t, "Jobs().Plan(periodic)", err)
	if plan.NextPeriodicLaunch.IsZero() || plan.NextPeriodicLaunch.Before(time.Now()) {
		t.Errorf("Plan of a periodic job: NextPeriodicLaunch %s", plan.NextPeriodicLaunch)
	}

	invalid := api.NewServiceJob(jobID(t, "invalid"), "x", "global", 50)
	_, _, err = c.Jobs().Plan(invalid, false, nil)
	fails(t, "Plan of an invalid job", err, 500, "Missing job task groups")
}

// Dispatch: children of a parameterized job, idempotency tokens, meta and payload rules.
func TestJobs_Dispatch(t *testing.T) {
	t.Parallel()
	c, w := client(t), newWrites(t)
	parent := parameterizedJob(jobID(t))
	id := *parent.ID
	resp := register(t, w, parent)
	if resp.EvalID != "" {
		t.Errorf("Register of a parameterized job: EvalID %q, want none", resp.EvalID)
	}

	payload := []byte("hello\x00world")
	out, wm, err := c.Jobs().Dispatch(id, map[string]string{"required_key": "r", "optional_key": "o"}, payload, "", nil)
	ok(t, "Jobs().Dispatch", err)
	w.add("Jobs().Dispatch", wm)
	if !strings.HasPrefix(out.DispatchedJobID, id+"/dispatch-") {
		t.Errorf("DispatchedJobID %q, want %s/dispatch-…", out.DispatchedJobID, id)
	}
	assertUUID(t, "Dispatch EvalID", out.EvalID)
	if out.JobCreateIndex == 0 || out.EvalCreateIndex < out.JobCreateIndex {
		t.Errorf("Dispatch indexes: JobCreateIndex %d EvalCreateIndex %d", out.JobCreateIndex, out.EvalCreateIndex)
	}

	child := info(t, out.DispatchedJobID)
	// Nomad stores the payload snappy-compressed: a short literal block ends with the raw bytes.
	if deref(child.ParentID) != id || !bytes.HasSuffix(child.Payload, payload) || child.Meta["required_key"] != "r" {
		t.Errorf("child: ParentID %q Payload %q Meta %v", deref(child.ParentID), child.Payload, child.Meta)
	}
	if deref(child.Status) == "" {
		t.Errorf("child has no Status")
	}
	children, _, err := c.Jobs().PrefixList(id + "/")
	ok(t, "PrefixList of the children", err)
	if len(children) != 1 || children[0].ParentID != id {
		t.Errorf("children listed: %v", stubIDs(children))
	}
	summary, _, err := c.Jobs().Summary(id, nil)
	ok(t, "Summary of the parent", err)
	if summary.Children == nil || summary.Children.Pending+summary.Children.Running+summary.Children.Dead != 1 {
		t.Errorf("parent summary Children: %+v, want 1 child", summary.Children)
	}
	parentStub, _, err := c.Jobs().PrefixList(id)
	ok(t, "PrefixList of the parent", err)
	if !slices.ContainsFunc(parentStub, func(j *api.JobListStub) bool { return j.ID == id && j.ParameterizedJob }) {
		t.Errorf("parent stub: ParameterizedJob not true: %v", stubIDs(parentStub))
	}

	// The same idempotency token twice is one child.
	tokenOpts := &api.WriteOptions{IdempotencyToken: "token-" + runID}
	first, _, err := c.Jobs().DispatchOpts(&api.DispatchOptions{JobID: id, Meta: map[string]string{"required_key": "r"},
		IdPrefixTemplate: "tmpl"}, tokenOpts)
	ok(t, "Dispatch with idempotency token", err)
	if !strings.HasPrefix(first.DispatchedJobID, id+"/dispatch-tmpl-") {
		t.Errorf("DispatchedJobID with IdPrefixTemplate tmpl: %q", first.DispatchedJobID)
	}
	again, _, err := c.Jobs().DispatchOpts(&api.DispatchOptions{JobID: id, Meta: map[string]string{"required_key": "r"},
		IdPrefixTemplate: "tmpl"}, tokenOpts)
	ok(t, "Dispatch with the same idempotency token", err)
	if again.DispatchedJobID != first.DispatchedJobID {
		t.Errorf("same idempotency token: children %q and %q, want one", first.DispatchedJobID, again.DispatchedJobID)
	}

	// Priority override.
	prio, _, err := c.Jobs().DispatchOpts(&api.DispatchOptions{JobID: id, Meta: map[string]string{"required_key": "r"}, Priority: 77}, nil)
	ok(t, "Dispatch with Priority", err)
	if got := info(t, prio.DispatchedJobID); deref(got.Priority) != 77 {
		t.Errorf("child Priority %d, want 77", deref(got.Priority))
	}

	_, _, err = c.Jobs().Dispatch(id, nil, nil, "", nil)
	fails(t, "Dispatch without required meta", err, 500, "Dispatch did not provide required meta keys: [required_key]")
	_, _, err = c.Jobs().Dispatch(id, map[string]string{"required_key": "r", "bad": "x"}, nil, "", nil)
	fails(t, "Dispatch with unpermitted meta", err, 500, "Dispatch request included unpermitted metadata keys: [bad]")
	_, _, err = c.Jobs().Dispatch(id, map[string]string{"required_key": "r"}, bytes.Repeat([]byte("x"), 16*1024+1), "", nil)
	fails(t, "Dispatch with a payload over 16 KiB", err, 500, "Payload exceeds maximum size")
	_, _, err = c.Jobs().DispatchOpts(&api.DispatchOptions{JobID: id, Meta: map[string]string{"required_key": "r"}, Priority: 101}, nil)
	fails(t, "Dispatch with Priority 101", err, 500, "dispatch job priority must be between [1, 100]")
	_, _, err = c.Jobs().Dispatch(jobID(t, "missing"), nil, nil, "", nil)
	fails(t, "Dispatch of an unknown job", err, 500, "parameterized job not found")

	plain := jobID(t, "plain")
	register(t, nil, batchJob(plain))
	_, _, err = c.Jobs().Dispatch(plain, nil, nil, "", nil)
	fails(t, "Dispatch of a job that is not parameterized", err, 500, `Specified job "`+plain+`" is not a parameterized job`)

	required := parameterizedJob(jobID(t, "required"))
	required.ParameterizedJob.Payload = "required"
	register(t, nil, required)
	_, _, err = c.Jobs().Dispatch(*required.ID, map[string]string{"required_key": "r"}, nil, "", nil)
	fails(t, "Dispatch without a required payload", err, 500, "Payload is not provided but required by parameterized job")
}

// Revert to an older version, with EnforcePriorVersion and Nomad's error texts.
func TestJobs_Revert(t *testing.T) {
	t.Parallel()
	c, w := client(t), newWrites(t)
	job := batchJob(jobID(t))
	id := *job.ID
	register(t, w, job)
	job.Meta = map[string]string{"foo": "new"}
	second := register(t, w, job)

	_, _, err := c.Jobs().Revert(id, 0, new(uint64(10)), nil, "", "")
	fails(t, "Revert with a wrong EnforcePriorVersion", err, 500, "Current job has version 1; enforcing version 10")
	_, _, err = c.Jobs().Revert(id, 1, nil, nil, "", "")
	fails(t, "Revert to the current version", err, 500, "can't revert to current version")
	_, _, err = c.Jobs().Revert(id, 99, nil, nil, "", "")
	fails(t, "Revert to a version that does not exist", err, 500, `job "`+id+`" in namespace "default" at version 99 not found`)
	_, _, err = c.Jobs().Revert(jobID(t, "missing"), 0, nil, nil, "", "")
	fails(t, "Revert of an unknown job", err, 500, "not found")

	resp, wm, err := c.Jobs().Revert(id, 0, new(uint64(1)), nil, "", "")
	ok(t, "Jobs().Revert", err)
	w.add("Jobs().Revert", wm)
	assertUUID(t, "Revert EvalID", resp.EvalID)
	if resp.EvalCreateIndex == 0 || resp.JobModifyIndex <= second.JobModifyIndex {
		t.Errorf("Revert: EvalCreateIndex %d JobModifyIndex %d (before %d)", resp.EvalCreateIndex, resp.JobModifyIndex, second.JobModifyIndex)
	}
	got := info(t, id)
	if deref(got.Version) != 2 || got.Meta["foo"] != "" {
		t.Errorf("after revert to 0: Version %d Meta %v, want version 2 with version 0's spec", deref(got.Version), got.Meta)
	}
}

// Stable marks a version stable; Versions shows it.
func TestJobs_Stable(t *testing.T) {
	t.Parallel()
	c, w := client(t), newWrites(t)
	job := batchJob(jobID(t))
	id := *job.ID
	register(t, w, job)

	_, wm, err := c.Jobs().Stable(id, 0, true, nil)
	ok(t, "Jobs().Stable(0, true)", err)
	w.add("Jobs().Stable", wm)
	versions, _, _, err := c.Jobs().Versions(id, false, nil)
	ok(t, "Versions", err)
	if len(versions) != 1 || !deref(versions[0].Stable) {
		t.Errorf("after Stable(0, true): versions %d, Stable %v", len(versions), len(versions) > 0 && deref(versions[0].Stable))
	}
	_, wm, err = c.Jobs().Stable(id, 0, false, nil)
	ok(t, "Jobs().Stable(0, false)", err)
	w.add("Jobs().Stable(false)", wm)
	if got := info(t, id); deref(got.Stable) {
		t.Errorf("after Stable(0, false): job still stable")
	}
	_, _, err = c.Jobs().Stable(id, 5, true, nil)
	fails(t, "Stable of a version that does not exist", err, 500, "not found")
}

// Scale: counts change with an eval and a scaling event; errors and informational events do not.
func TestJobs_Scale(t *testing.T) {
	t.Parallel()
	c, w := client(t), newWrites(t)
	id := awkwardID(t)
	job := withScaling(batchJob(id))

	_, _, err := c.Jobs().Scale(id, "group1", new(2), "this won't work", false, nil, nil)
	fails(t, "Scale of an unknown job", err, 404, "not found")

	reg := register(t, w, job)
	resp, wm, err := c.Jobs().Scale(id, "group1", new(2), "need more instances", false, map[string]any{"meta": "data"}, nil)
	ok(t, "Jobs().Scale", err)
	w.add("Jobs().Scale", wm)
	assertUUID(t, "Scale EvalID", resp.EvalID)
	if resp.EvalCreateIndex == 0 || resp.JobModifyIndex <= reg.JobModifyIndex {
		t.Errorf("Scale: EvalCreateIndex %d JobModifyIndex %d (register %d)", resp.EvalCreateIndex, resp.JobModifyIndex, reg.JobModifyIndex)
	}
	if got := info(t, id); deref(got.TaskGroups[0].Count) != 2 {
		t.Errorf("after Scale: count %d, want 2", deref(got.TaskGroups[0].Count))
	}

	// An error event and an informational event change nothing and create no eval.
	for _, tc := range []struct {
		msg   string
		isErr bool
	}{{"something bad happened", true}, {"no count, just informative", false}} {
		r, wm, err := c.Jobs().Scale(id, "group1", nil, tc.msg, tc.isErr, map[string]any{"meta": "data"}, nil)
		ok(t, "Scale without count: "+tc.msg, err)
		w.add("Scale without count", wm)
		if r.EvalID != "" || r.EvalCreateIndex != 0 {
			t.Errorf("Scale without count (%s): EvalID %q EvalCreateIndex %d, want none", tc.msg, r.EvalID, r.EvalCreateIndex)
		}
		// Nomad answers the job's ModifyIndex here, which status changes may have moved on.
		if r.JobModifyIndex < resp.JobModifyIndex {
			t.Errorf("Scale without count (%s): JobModifyIndex %d, below the last scale's %d", tc.msg, r.JobModifyIndex, resp.JobModifyIndex)
		}
	}
	// Events without a count leave the spec alone: the job keeps the JobModifyIndex of the last scale.
	if got := info(t, id); deref(got.JobModifyIndex) != resp.JobModifyIndex || deref(got.TaskGroups[0].Count) != 2 {
		t.Errorf("after events without count: JobModifyIndex %d count %d, want %d and 2",
			deref(got.JobModifyIndex), deref(got.TaskGroups[0].Count), resp.JobModifyIndex)
	}

	status, qm, err := c.Jobs().ScaleStatus(id, nil)
	ok(t, "Jobs().ScaleStatus", err)
	assertQueryMeta(t, "Jobs().ScaleStatus", qm)
	if status.JobID != id || status.Namespace != "default" || status.JobStopped || status.JobModifyIndex < resp.JobModifyIndex {
		t.Errorf("ScaleStatus: %+v", status)
	}
	tg := status.TaskGroups["group1"]
	if tg.Desired != 2 || len(tg.Events) != 3 {
		t.Fatalf("ScaleStatus group1: Desired %d, %d events (want 2 and 3)", tg.Desired, len(tg.Events))
	}
	// Newest first.
	infoEvent, errEvent, scaled := tg.Events[0], tg.Events[1], tg.Events[2]
	if scaled.Error || scaled.Message != "need more instances" || deref(scaled.Count) != 2 || scaled.PreviousCount != 1 ||
		scaled.EvalID == nil || *scaled.EvalID != resp.EvalID || scaled.Meta["meta"] != "data" || scaled.Time == 0 {
		t.Errorf("scaling event: %+v", scaled)
	}
	if !errEvent.Error || errEvent.Message != "something bad happened" || errEvent.EvalID != nil || errEvent.Count != nil {
		t.Errorf("error event: %+v", errEvent)
	}
	if infoEvent.Error || infoEvent.Message != "no count, just informative" || infoEvent.EvalID != nil || infoEvent.Count != nil {
		t.Errorf("informational event: %+v", infoEvent)
	}
	if scaled.Time > 0 && time.Since(time.Unix(0, int64(scaled.Time))) > time.Hour {
		t.Errorf("scaling event Time %d is not recent Unix nanoseconds", scaled.Time)
	}

	// Nomad's input errors.
	for _, tc := range []struct {
		group  string
		count  *int
		isErr  bool
		status int
		want   string
	}{
		{"", new(1), false, 400, "missing task group name for scaling action"},
		{"nope", new(1), false, 400, `task group "nope" specified for scaling does not exist in job`},
		{"group1", new(-1), false, 400, "scaling action count can't be negative"},
		{"group1", new(1), true, 400, "scaling action should not contain count if error is true"},
		{"group1", new(6), false, 400, "group count was greater than scaling policy maximum: 6 > 5"},
		{"group1", new(0), false, 400, "group count was less than scaling policy minimum: 0 < 1"},
	} {
		_, _, err := c.Jobs().Scale(id, tc.group, tc.count, "bad", tc.isErr, nil, nil)
		fails(t, fmt.Sprintf("Scale group %q count %d error %v", tc.group, deref(tc.count), tc.isErr), err, tc.status, tc.want)
	}
	_, _, err = c.Jobs().ScaleWithRequest(id, &api.ScalingRequest{Count: new(int64(2)),
		Target: map[string]string{"Job": "another-job", "Group": "group1"}, Message: "x"}, nil)
	fails(t, "Scale with another job in the payload", err, 400, "job ID in payload did not match URL")
	_, _, err = c.Jobs().Scale("", "group1", new(1), "x", false, nil, nil)
	fails(t, "Scale with an empty job ID", err, 400, "")
}

// ForceEvaluate and EvaluateWithOpts create an eval for the job.
func TestJobs_Evaluate(t *testing.T) {
	t.Parallel()
	c, w := client(t), newWrites(t)
	id := jobID(t)

	_, _, err := c.Jobs().ForceEvaluate(id, nil)
	fails(t, "ForceEvaluate of an unknown job", err, 500, "job not found")

	register(t, w, serviceJob(id, 1))
	evalID, wm, err := c.Jobs().ForceEvaluate(id, nil)
	ok(t, "Jobs().ForceEvaluate", err)
	w.add("Jobs().ForceEvaluate", wm)
	assertUUID(t, "ForceEvaluate EvalID", evalID)

	forced, wm, err := c.Jobs().EvaluateWithOpts(id, api.EvalOptions{ForceReschedule: true}, nil)
	ok(t, "Jobs().EvaluateWithOpts(ForceReschedule)", err)
	w.add("Jobs().EvaluateWithOpts", wm)
	assertUUID(t, "EvaluateWithOpts EvalID", forced)

	evals, _, err := c.Jobs().Evaluations(id, nil)
	okSoft(t, "Jobs().Evaluations", err)
	for _, want := range []string{evalID, forced} {
		if err != nil {
			break
		}
		if !slices.ContainsFunc(evals, func(e *api.Evaluation) bool { return e.ID == want }) {
			t.Errorf("eval %s is not in the job's evaluations", want)
		}
	}

	periodic := jobID(t, "periodic")
	register(t, nil, periodicJob(periodic))
	_, _, err = c.Jobs().ForceEvaluate(periodic, nil)
	fails(t, "ForceEvaluate of a periodic job", err, 500, "can't evaluate periodic job")
}

// PeriodicForce launches a child now, even though the schedule says otherwise.
func TestJobs_PeriodicForce(t *testing.T) {
	t.Parallel()
	c, w := client(t), newWrites(t)
	id := jobID(t)

	_, _, err := c.Jobs().PeriodicForce(id, nil)
	fails(t, "PeriodicForce of an unknown job", err, 500, "not found")

	resp := register(t, w, periodicJob(id))
	if resp.EvalID != "" {
		t.Errorf("Register of a periodic job: EvalID %q, want none", resp.EvalID)
	}
	evalID, wm, err := c.Jobs().PeriodicForce(id, nil)
	ok(t, "Jobs().PeriodicForce", err)
	w.add("Jobs().PeriodicForce", wm)
	assertUUID(t, "PeriodicForce EvalID", evalID)

	eval, qm, err := c.Evaluations().Info(evalID, nil)
	ok(t, "Evaluations().Info of the periodic eval", err)
	assertQueryMeta(t, "Evaluations().Info", qm)
	if !strings.HasPrefix(eval.JobID, id+"/periodic-") {
		t.Errorf("periodic eval JobID %q, want %s/periodic-<unix>", eval.JobID, id)
	}
	children, _, err := c.Jobs().PrefixList(id + "/periodic-")
	ok(t, "PrefixList of the children", err)
	if len(children) != 1 || children[0].ParentID != id || children[0].ID != eval.JobID {
		t.Errorf("periodic children: %v", stubIDs(children))
	}

	plain := jobID(t, "plain")
	register(t, nil, batchJob(plain))
	_, _, err = c.Jobs().PeriodicForce(plain, nil)
	fails(t, "PeriodicForce of a job that is not periodic", err, 500, "can't force launch non-periodic job")
}

// ParseHCL runs the HCL2 parser on the server; canonicalize fills Nomad's defaults.
func TestJobs_ParseHCL(t *testing.T) {
	t.Parallel()
	jobs := client(t).Jobs()
	spec := `job "example" {}`

	job1, err := jobs.ParseHCL(spec, false)
	ok(t, "Jobs().ParseHCL", err)
	if deref(job1.Name) != "example" || deref(job1.ID) != "example" || job1.Namespace != nil || job1.TaskGroups != nil {
		t.Errorf("ParseHCL(canonicalize=false): Name %q Namespace %v TaskGroups %v", deref(job1.Name), job1.Namespace, job1.TaskGroups)
	}
	canon, err := jobs.ParseHCL(spec, true)
	ok(t, "Jobs().ParseHCL(canonicalize)", err)
	if deref(canon.Namespace) != "default" || deref(canon.Type) != "service" || deref(canon.Priority) != 50 || deref(canon.Region) != "global" {
		t.Errorf("ParseHCL(canonicalize=true): Namespace %q Type %q Priority %d Region %q",
			deref(canon.Namespace), deref(canon.Type), deref(canon.Priority), deref(canon.Region))
	}

	full, err := jobs.ParseHCLOpts(&api.JobsParseRequest{
		JobHCL: `
variable "image" { type = string }
job "web" {
  datacenters = ["*"]
  group "app" {
    count = 3
    task "main" {
      driver = "docker"
      config { image = var.image }
      resources { memory = 64 }
      kill_timeout = "10s"
    }
  }
}`,
		Variables:    `image = "nginx:1.27"`,
		Canonicalize: true,
	})
	ok(t, "Jobs().ParseHCLOpts(variables)", err)
	if len(full.TaskGroups) != 1 || deref(full.TaskGroups[0].Count) != 3 || len(full.TaskGroups[0].Tasks) != 1 {
		t.Fatalf("parsed groups: %+v", full.TaskGroups)
	}
	task := full.TaskGroups[0].Tasks[0]
	if task.Config["image"] != "nginx:1.27" || deref(task.Resources.MemoryMB) != 64 || deref(task.Resources.CPU) != 100 ||
		deref(task.KillTimeout) != 10*time.Second {
		t.Errorf("parsed task: Config %v MemoryMB %d CPU %d KillTimeout %s", task.Config,
			deref(task.Resources.MemoryMB), deref(task.Resources.CPU), deref(task.KillTimeout))
	}

	_, err = jobs.ParseHCL(`job "x" { nope = 1 }`, false)
	fails(t, "ParseHCL of bad HCL", err, 400, "Failed to parse job")
	_, err = jobs.ParseHCL(``, false)
	fails(t, "ParseHCL of nothing", err, 400, "Job spec is empty")
}
