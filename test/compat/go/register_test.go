package compat

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
)

// Register, then read the job back the ways clients do: List, PrefixList, Info.
func TestJobs_Register(t *testing.T) {
	t.Parallel()
	c, w := client(t), newWrites(t)
	id := jobID(t)

	resp := register(t, w, serviceJob(id, 1))
	if resp.EvalID == "" {
		t.Errorf("Register of a service job: no EvalID (Nomad creates an eval for every non-periodic, non-parameterized job)")
	}

	list, qm, err := c.Jobs().PrefixList(id)
	ok(t, "Jobs().PrefixList", err)
	assertQueryMeta(t, "Jobs().PrefixList", qm)
	if len(list) != 1 {
		t.Fatalf("PrefixList(%q): want 1 job, got %d", id, len(list))
	}
	stub := list[0]
	if stub.ID != id || stub.Name != id || stub.Type != "service" || stub.Priority != 50 {
		t.Errorf("list stub: got ID %q Name %q Type %q Priority %d", stub.ID, stub.Name, stub.Type, stub.Priority)
	}
	if !slices.Contains([]string{"pending", "running"}, stub.Status) {
		t.Errorf("list stub: Status %q, want pending or running right after register", stub.Status)
	}
	if stub.JobModifyIndex != resp.JobModifyIndex || stub.CreateIndex == 0 || stub.ModifyIndex < stub.JobModifyIndex {
		t.Errorf("list stub indexes: CreateIndex %d ModifyIndex %d JobModifyIndex %d (register said %d)",
			stub.CreateIndex, stub.ModifyIndex, stub.JobModifyIndex, resp.JobModifyIndex)
	}
	if stub.JobSummary == nil || stub.JobSummary.JobID != id {
		t.Errorf("list stub: JobSummary missing or for another job: %+v", stub.JobSummary)
	} else if _, found := stub.JobSummary.Summary["app"]; !found {
		t.Errorf("list stub: JobSummary has no group app: %+v", stub.JobSummary.Summary)
	}
	if stub.SubmitTime <= 0 {
		t.Errorf("list stub: SubmitTime %d, want Unix nanoseconds", stub.SubmitTime)
	} else if got := time.Unix(0, stub.SubmitTime); time.Since(got) > time.Hour || time.Until(got) > time.Minute {
		t.Errorf("list stub: SubmitTime %s is not now (must be Unix nanoseconds)", got)
	}

	all, qm, err := c.Jobs().List(nil)
	ok(t, "Jobs().List", err)
	assertQueryMeta(t, "Jobs().List", qm)
	if !slices.ContainsFunc(all, func(j *api.JobListStub) bool { return j.ID == id }) {
		t.Errorf("List: job %s missing", id)
	}

	// Read your write: Info right after Register sees the job at the registered index.
	job := info(t, id)
	if deref(job.ID) != id || deref(job.JobModifyIndex) != resp.JobModifyIndex {
		t.Errorf("Info: ID %q JobModifyIndex %d, want %q %d", deref(job.ID), deref(job.JobModifyIndex), id, resp.JobModifyIndex)
	}
}

// The server canonicalizes what the Go client sends (nulls everywhere) with Nomad's defaults.
func TestJobs_Register_Canonicalized(t *testing.T) {
	t.Parallel()
	id := jobID(t)
	job := api.NewServiceJob(id, id, "global", 50).
		AddTaskGroup(api.NewTaskGroup("app", 2).AddTask(dockerTask("main")))
	job.Priority = nil
	register(t, nil, job)

	got := info(t, id)
	expect := map[string][2]any{
		"Namespace":   {deref(got.Namespace), "default"},
		"Region":      {deref(got.Region), "global"},
		"Type":        {deref(got.Type), "service"},
		"Priority":    {deref(got.Priority), 50},
		"Name":        {deref(got.Name), id},
		"Version":     {deref(got.Version), uint64(0)},
		"Stop":        {deref(got.Stop), false},
		"NodePool":    {deref(got.NodePool), "default"},
		"Datacenters": {strings.Join(got.Datacenters, ","), "*"},
	}
	for field, pair := range expect {
		if pair[0] != pair[1] {
			t.Errorf("Info: %s = %#v, want %#v", field, pair[0], pair[1])
		}
	}
	if len(got.TaskGroups) != 1 || len(got.TaskGroups[0].Tasks) != 1 {
		t.Fatalf("Info: want 1 group with 1 task, got %+v", got.TaskGroups)
	}
	tg := got.TaskGroups[0]
	if deref(tg.Count) != 2 {
		t.Errorf("group Count %d, want 2", deref(tg.Count))
	}
	if tg.RestartPolicy == nil || deref(tg.RestartPolicy.Attempts) != 2 || deref(tg.RestartPolicy.Delay) != 15*time.Second {
		t.Errorf("group RestartPolicy not the service default {Attempts 2, Delay 15s}: %+v", tg.RestartPolicy)
	}
	if tg.EphemeralDisk == nil || deref(tg.EphemeralDisk.SizeMB) != 300 {
		t.Errorf("group EphemeralDisk not defaulted to 300 MB: %+v", tg.EphemeralDisk)
	}
	task := tg.Tasks[0]
	if task.Resources == nil || deref(task.Resources.CPU) != 100 || deref(task.Resources.MemoryMB) != 300 {
		t.Errorf("task Resources not defaulted to CPU 100, MemoryMB 300: %+v", task.Resources)
	}
	if deref(task.KillTimeout) != 5*time.Second {
		t.Errorf("task KillTimeout %s, want 5s", deref(task.KillTimeout))
	}
	if task.LogConfig == nil || deref(task.LogConfig.MaxFiles) != 10 {
		t.Errorf("task LogConfig not defaulted to MaxFiles 10: %+v", task.LogConfig)
	}
	if img, _ := task.Config["image"].(string); img != "registry.example/app:1" {
		t.Errorf("task Config.image %#v", task.Config["image"])
	}
}

func TestJobs_Register_Errors(t *testing.T) {
	t.Parallel()
	jobs := client(t).Jobs()

	noID := serviceJob(jobID(t, "noid"), 1)
	noID.ID = nil
	_, _, err := jobs.Register(noID, nil)
	fails(t, "Register without ID", err, 400, "Job ID hasn't been provided")

	noGroups := api.NewServiceJob(jobID(t, "nogroups"), "x", "global", 50)
	_, _, err = jobs.Register(noGroups, nil)
	fails(t, "Register without task groups", err, 500, "Missing job task groups")

	_, _, err = jobs.RegisterOpts(serviceJob(jobID(t, "prio"), 1), &api.RegisterOptions{EvalPriority: 101}, nil)
	fails(t, "Register with EvalPriority 101", err, 400, "Eval priority must be between 1 and 100 inclusively")

	badPriority := serviceJob(jobID(t, "jobprio"), 1)
	badPriority.Priority = new(1000)
	_, _, err = jobs.Register(badPriority, nil)
	fails(t, "Register with Priority 1000", err, 500, "job priority must be between [1, 100]")

	nsID := jobID(t, "ns")
	_, _, err = jobs.Register(serviceJob(nsID, 1), &api.WriteOptions{Namespace: "no-such-namespace-" + runID})
	fails(t, "Register into an unknown namespace", err, 500,
		`job "`+nsID+`" is in nonexistent namespace "no-such-namespace-`+runID+`"`)

	// None of the failed registrations left a job behind.
	list, _, err := jobs.PrefixList(jobID(t))
	ok(t, "Jobs().PrefixList", err)
	if len(list) != 0 {
		t.Errorf("failed registrations created jobs: %v", list)
	}
}

// Check-and-set registration (EnforceIndex + JobModifyIndex) with Nomad's error texts.
func TestJobs_EnforceRegister(t *testing.T) {
	t.Parallel()
	c, w := client(t), newWrites(t)
	job := batchJob(jobID(t))
	id := *job.ID

	_, _, err := c.Jobs().EnforceRegister(job, 10, nil)
	fails(t, "EnforceRegister(10) of a new job", err, 500, "Enforcing job modify index 10: job does not exist")

	resp, wm, err := c.Jobs().EnforceRegister(job, 0, nil)
	ok(t, "EnforceRegister(0) of a new job", err)
	w.add("EnforceRegister(0)", wm)
	t.Cleanup(func() { _, _, _ = c.Jobs().Deregister(id, true, nil) })
	assertUUID(t, "EnforceRegister EvalID", resp.EvalID)

	list, qm, err := c.Jobs().PrefixList(id)
	ok(t, "Jobs().PrefixList", err)
	assertQueryMeta(t, "Jobs().PrefixList", qm)
	if len(list) != 1 {
		t.Fatalf("PrefixList: want 1 job, got %d", len(list))
	}
	current := list[0].JobModifyIndex
	if current != resp.JobModifyIndex {
		t.Errorf("list JobModifyIndex %d != register's %d", current, resp.JobModifyIndex)
	}

	_, _, err = c.Jobs().EnforceRegister(job, 0, nil)
	fails(t, "EnforceRegister(0) of an existing job", err, 500, "Enforcing job modify index 0: job already exists")

	_, _, err = c.Jobs().EnforceRegister(job, 123456, nil)
	failsExactly(t, "EnforceRegister(123456)", err,
		"Unexpected response code: 500 (Enforcing job modify index 123456: job exists with conflicting job modify index: "+
			strconv.FormatUint(current, 10)+")")

	job.Meta = map[string]string{"changed": "yes"}
	resp2, wm, err := c.Jobs().EnforceRegister(job, current, nil)
	ok(t, "EnforceRegister at the current index", err)
	w.add("EnforceRegister(current)", wm)
	if resp2.JobModifyIndex <= current {
		t.Errorf("JobModifyIndex did not grow: %d then %d", current, resp2.JobModifyIndex)
	}

	// The JobModifyIndex a register answers stays the job's until its spec changes, whatever the
	// server records afterwards (versions, status): check-and-set clients keep it for later.
	settle(t, id)
	if got := info(t, id); deref(got.JobModifyIndex) != resp2.JobModifyIndex {
		t.Errorf("JobModifyIndex moved from %d (register) to %d without a spec change", resp2.JobModifyIndex, deref(got.JobModifyIndex))
	}
	job.Meta = map[string]string{"changed": "again"}
	_, wm, err = c.Jobs().EnforceRegister(job, resp2.JobModifyIndex, nil)
	ok(t, "EnforceRegister at the index the last register answered, once the job settled", err)
	w.add("EnforceRegister(later)", wm)
}

// PreserveCounts keeps existing groups' counts; without it the new spec's counts apply.
func TestJobs_Register_PreserveCounts(t *testing.T) {
	t.Parallel()
	for _, preserve := range []bool{true, false} {
		t.Run(map[bool]string{true: "preserve", false: "nopreserve"}[preserve], func(t *testing.T) {
			t.Parallel()
			c, w := client(t), newWrites(t)
			task := dockerTask("task")
			group1 := api.NewTaskGroup("group1", 1).AddTask(task)
			group2 := api.NewTaskGroup("group2", 2).AddTask(task)
			job := api.NewBatchJob(jobID(t), "job", "global", 1).AddDatacenter("*").
				AddTaskGroup(group1).AddTaskGroup(group2)
			register(t, w, job)

			group1.Count = nil
			group2.Count = new(0)
			job.AddTaskGroup(api.NewTaskGroup("group3", 3).AddTask(task))
			_, wm, err := c.Jobs().RegisterOpts(job, &api.RegisterOptions{PreserveCounts: preserve}, nil)
			ok(t, "RegisterOpts PreserveCounts", err)
			w.add("RegisterOpts PreserveCounts", wm)

			status, qm, err := c.Jobs().ScaleStatus(*job.ID, nil)
			ok(t, "Jobs().ScaleStatus", err)
			assertQueryMeta(t, "Jobs().ScaleStatus", qm)
			want := map[string]int{"group1": 1, "group2": 2, "group3": 3} // kept, kept, new
			if !preserve {
				want = map[string]int{"group1": 1, "group2": 0, "group3": 3} // nil → default 1, as sent, new
			}
			for g, n := range want {
				if status.TaskGroups[g].Desired != n {
					t.Errorf("%s Desired %d, want %d", g, status.TaskGroups[g].Desired, n)
				}
			}
			if status.Namespace != "default" || status.JobID != *job.ID {
				t.Errorf("ScaleStatus JobID %q Namespace %q", status.JobID, status.Namespace)
			}
		})
	}
}

// PreserveResources keeps the running tasks' resources over the new spec's.
func TestJobs_Register_PreserveResources(t *testing.T) {
	t.Parallel()
	for _, preserve := range []bool{true, false} {
		t.Run(map[bool]string{true: "preserve", false: "nopreserve"}[preserve], func(t *testing.T) {
			t.Parallel()
			c := client(t)
			job := batchJob(jobID(t))
			job.TaskGroups[0].Tasks[0].Resources = nil
			register(t, nil, job)

			job.TaskGroups[0].Tasks[0].Resources = &api.Resources{CPU: new(50), MemoryMB: new(128)}
			_, _, err := c.Jobs().RegisterOpts(job, &api.RegisterOptions{PreserveResources: preserve}, nil)
			ok(t, "RegisterOpts PreserveResources", err)

			got := info(t, *job.ID)
			r := got.TaskGroups[0].Tasks[0].Resources
			wantCPU, wantMem := 50, 128
			if preserve {
				wantCPU, wantMem = 100, 300
			}
			if deref(r.CPU) != wantCPU || deref(r.MemoryMB) != wantMem {
				t.Errorf("resources CPU %d MemoryMB %d, want %d %d", deref(r.CPU), deref(r.MemoryMB), wantCPU, wantMem)
			}
		})
	}
}

// EvalPriority is carried to the eval; without it the eval has the job's priority.
func TestJobs_Register_EvalPriority(t *testing.T) {
	t.Parallel()
	c := client(t)
	withPrio := registerOpts(t, nil, batchJob(jobID(t, "99")), &api.RegisterOptions{EvalPriority: 99})
	job := batchJob(jobID(t, "default"))
	job.Priority = new(42)
	without := register(t, nil, job)

	for _, tc := range []struct {
		evalID string
		want   int
	}{{withPrio.EvalID, 99}, {without.EvalID, 42}} {
		eval, qm, err := c.Evaluations().Info(tc.evalID, nil)
		if !okSoft(t, "Evaluations().Info "+tc.evalID, err) {
			continue
		}
		assertQueryMeta(t, "Evaluations().Info", qm)
		if eval.Priority != tc.want {
			t.Errorf("eval %s Priority %d, want %d", tc.evalID, eval.Priority, tc.want)
		}
	}
}

// A job registered with its source keeps one submission per version; purging drops them.
func TestJobs_Submission(t *testing.T) {
	t.Parallel()
	c, w := client(t), newWrites(t)
	job := batchJob(jobID(t))
	id := *job.ID

	_, _, err := c.Jobs().Submission(id, 0, nil)
	fails(t, "Submission of an unknown job", err, 404, "job source not found")

	job.Meta = map[string]string{"v": "0"}
	registerOpts(t, w, job, &api.RegisterOptions{Submission: &api.JobSubmission{
		Source:        "the job source v0",
		Format:        "hcl2",
		VariableFlags: map[string]string{"X": "x", "Y": "42", "Z": "true"},
		Variables:     "var file content",
	}})
	job.Meta = map[string]string{"v": "1"}
	registerOpts(t, w, job, &api.RegisterOptions{Submission: &api.JobSubmission{
		Source:    "the job source v1",
		Format:    "hcl2",
		Variables: "different var content",
	}})

	expect := func(version int, source, vars string, flags map[string]string) {
		t.Helper()
		sub, qm, err := c.Jobs().Submission(id, version, nil)
		ok(t, "Jobs().Submission", err)
		assertQueryMeta(t, "Jobs().Submission", qm)
		if sub.Format != "hcl2" || sub.Source != source || sub.Variables != vars || len(sub.VariableFlags) != len(flags) {
			t.Errorf("submission v%d: %+v", version, sub)
		}
		for k, v := range flags {
			if sub.VariableFlags[k] != v {
				t.Errorf("submission v%d: VariableFlags[%s] = %q, want %q", version, k, sub.VariableFlags[k], v)
			}
		}
	}
	expect(0, "the job source v0", "var file content", map[string]string{"X": "x", "Y": "42", "Z": "true"})
	expect(1, "the job source v1", "different var content", nil)

	_, _, err = c.Jobs().Submission(id, 7, nil)
	fails(t, "Submission of a version that does not exist", err, 404, "job source not found")

	_, wm, err := c.Jobs().Deregister(id, true, nil)
	ok(t, "Deregister purge", err)
	w.add("Deregister purge", wm)
	for _, v := range []int{0, 1} {
		_, _, err = c.Jobs().Submission(id, v, nil)
		fails(t, "Submission after purge", err, 404, "job source not found")
	}
}

// Validate answers with validation errors in the body, not with an HTTP error.
func TestJobs_Validate(t *testing.T) {
	t.Parallel()
	jobs := client(t).Jobs()

	resp, _, err := jobs.Validate(batchJob(jobID(t)), nil)
	ok(t, "Jobs().Validate", err)
	if len(resp.ValidationErrors) != 0 || resp.Error != "" {
		t.Errorf("valid job: ValidationErrors %v Error %q", resp.ValidationErrors, resp.Error)
	}

	noID := batchJob(jobID(t))
	noID.ID = nil
	resp, _, err = jobs.Validate(noID, nil)
	ok(t, "Jobs().Validate without ID", err)
	if len(resp.ValidationErrors) == 0 {
		t.Errorf("job without ID: no ValidationErrors (Error %q)", resp.Error)
	}

	noGroups := api.NewBatchJob(jobID(t, "nogroups"), "x", "global", 50)
	resp, _, err = jobs.Validate(noGroups, nil)
	ok(t, "Jobs().Validate without groups", err)
	if !slices.ContainsFunc(resp.ValidationErrors, func(e string) bool { return strings.Contains(e, "Missing job task groups") }) {
		t.Errorf("job without groups: ValidationErrors %q, want one with \"Missing job task groups\"", resp.ValidationErrors)
	}
	if !strings.Contains(resp.Error, "Missing job task groups") {
		t.Errorf("job without groups: Error %q, want the multierror text", resp.Error)
	}
}

// Read your writes, at the pace of a script: every answer right after a write already shows it
// (Nomad answers from the leader's state, which the write has reached).
func TestJobs_ReadYourWrites(t *testing.T) {
	t.Parallel()
	c := client(t)
	job := batchJob(jobID(t))
	id := *job.ID
	for i := range 6 {
		job.Meta = map[string]string{"v": strconv.Itoa(i)}
		resp := register(t, nil, job)
		got := info(t, id)
		if got.Meta["v"] != strconv.Itoa(i) || deref(got.Version) != uint64(i) || deref(got.JobModifyIndex) != resp.JobModifyIndex {
			t.Errorf("Info right after register %d: Meta %v Version %d JobModifyIndex %d (register said %d)",
				i, got.Meta, deref(got.Version), deref(got.JobModifyIndex), resp.JobModifyIndex)
		}
		versions, _, _, err := c.Jobs().Versions(id, false, nil)
		if okSoft(t, "Versions right after register", err) && len(versions) != i+1 {
			t.Errorf("Versions right after register %d: %d versions, want %d", i, len(versions), i+1)
		}
	}

	// A revert right after a register sees the version that register made current.
	resp, _, err := c.Jobs().Revert(id, 0, new(uint64(5)), nil, "", "")
	if okSoft(t, "Revert(0, enforce 5) right after the sixth register", err) {
		if got := info(t, id); deref(got.Version) != 6 || got.Meta["v"] != "0" {
			t.Errorf("Info right after revert: Version %d Meta %v, want 6 with version 0's spec", deref(got.Version), got.Meta)
		}
		if resp.EvalID == "" {
			t.Errorf("Revert: no eval")
		}
	}

	// A stop right after: its eval keeps the priority asked for, the job is stopped as a new version.
	evalID, _, err := c.Jobs().DeregisterOpts(id, &api.DeregisterOptions{EvalPriority: 91}, nil)
	if okSoft(t, "DeregisterOpts(eval_priority=91) right after the revert", err) {
		eval, _, err := c.Evaluations().Info(evalID, nil)
		if okSoft(t, "Evaluations().Info of the stop's eval", err) && (eval.Priority != 91 || eval.TriggeredBy != "job-deregister") {
			t.Errorf("stop eval right after: Priority %d TriggeredBy %q, want 91 job-deregister", eval.Priority, eval.TriggeredBy)
		}
		if got := info(t, id); !deref(got.Stop) || deref(got.Version) != 7 {
			t.Errorf("Info right after stop: Stop %v Version %d, want true 7", deref(got.Stop), deref(got.Version))
		}
		// The record of the eval stays as it was answered, whatever the controller does next.
		time.Sleep(2 * time.Second)
		eval, _, err = c.Evaluations().Info(evalID, nil)
		if okSoft(t, "Evaluations().Info of the stop's eval, 2 s later", err) && eval.Priority != 91 {
			t.Errorf("stop eval 2 s later: Priority %d, want 91", eval.Priority)
		}
	}
}
