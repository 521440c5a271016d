// Package compat runs the official Nomad Go client (github.com/hashicorp/nomad/api) against the
// operator's Nomad /v1 API at NOMAD_ADDR (and NOMAD_TOKEN when set), the way the Nomad CLI, the
// Terraform provider and nomad-pack call it. Every test works on jobs whose IDs carry the test's
// name and a per-run suffix, so tests run in parallel and a server that already holds jobs is fine.
//
// A call whose endpoint does not exist yet fails with "NOT IMPLEMENTED: <call>", a server that
// cannot be reached with "NO SERVER", so a partial API shows up as a list of clear failures.
package compat

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
)

var runID = func() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}()

func TestMain(m *testing.M) {
	if os.Getenv("NOMAD_ADDR") == "" {
		fmt.Fprintln(os.Stderr, "NOMAD_ADDR is not set: these tests need a running Nomad /v1 API (see test/integration/compat.test.ts)")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

var (
	clientOnce sync.Once
	sharedCli  *api.Client
	clientErr  error
)

// client returns a client configured from the environment (NOMAD_ADDR, NOMAD_TOKEN, …), exactly
// as api.DefaultConfig does for the Nomad CLI.
func client(t *testing.T) *api.Client {
	t.Helper()
	clientOnce.Do(func() { sharedCli, clientErr = api.NewClient(api.DefaultConfig()) })
	if clientErr != nil {
		t.Fatalf("api.NewClient: %v", clientErr)
	}
	return sharedCli
}

// jobID returns an ID unique to this test and run; parts are appended with '-'.
func jobID(t *testing.T, parts ...string) string {
	name := strings.ToLower(strings.TrimPrefix(t.Name(), "Test"))
	name = regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(name, "-")
	return strings.Join(append([]string{"go-" + name, runID}, parts...), "-")
}

// awkwardID is the ID Nomad's own api tests use: '/', '\', ':', newline, '?', '&' and non-ASCII.
func awkwardID(t *testing.T) string {
	return jobID(t) + "/with\\troublesome:characters\n?&字"
}

// --- errors -----------------------------------------------------------------------------------

// explain adds a diagnosis to errors that mean "this part of the API does not exist yet" or
// "nothing is listening", so that failures of a half-built server read clearly.
func explain(call string, err error) string {
	var ure api.UnexpectedResponseError
	if errors.As(err, &ure) {
		body := ure.Body()
		switch {
		case ure.StatusCode() == 404 && (strings.TrimSpace(body) == "404 page not found" ||
			strings.Contains(body, "Route ") || strings.Contains(body, `"statusCode"`)):
			return fmt.Sprintf("NOT IMPLEMENTED: %s: the server has no route for it: %v", call, err)
		case ure.StatusCode() == 405:
			return fmt.Sprintf("NOT IMPLEMENTED: %s: method not allowed: %v", call, err)
		case ure.StatusCode() == 415:
			return fmt.Sprintf("%s: the server refused a JSON body without Content-Type (the Go client never sends one): %v", call, err)
		case ure.StatusCode() == 501:
			return fmt.Sprintf("NOT IMPLEMENTED: %s: %v", call, err)
		}
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return fmt.Sprintf("NO SERVER: %s: nothing answers at NOMAD_ADDR=%s: %v", call, os.Getenv("NOMAD_ADDR"), err)
	}
	return fmt.Sprintf("%s: %v", call, err)
}

// ok fails the test now when err is not nil.
func ok(t *testing.T, call string, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(explain(call, err))
	}
}

// okSoft reports err and lets the test go on (for calls whose results later checks do not need, so
// that one missing endpoint does not hide the rest); it returns whether there was no error.
func okSoft(t *testing.T, call string, err error) bool {
	t.Helper()
	if err != nil {
		t.Error(explain(call, err))
		return false
	}
	return true
}

// fails checks (without stopping the test) that err is Nomad's error with this status and a body containing want.
func fails(t *testing.T, call string, err error, status int, want string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: expected an error %d containing %q, got success", call, status, want)
		return
	}
	var ure api.UnexpectedResponseError
	if !errors.As(err, &ure) {
		t.Errorf("%s: expected an HTTP error %d containing %q, got %s", call, status, want, explain(call, err))
		return
	}
	if ure.StatusCode() != status || !strings.Contains(ure.Body(), want) {
		t.Errorf("%s: expected %d (%s…), got %s", call, status, want, explain(call, err))
	}
}

// failsExactly asserts the whole error text, e.g. "Unexpected response code: 404 (job not found)".
func failsExactly(t *testing.T, call string, err error, want string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: expected error %q, got success", call, want)
		return
	}
	if err.Error() != want {
		t.Errorf("%s: expected error %q, got %s", call, want, explain(call, err))
	}
}

// --- meta and indexes -------------------------------------------------------------------------

// assertQueryMeta is the api module's own check: an index and a known leader on every query.
func assertQueryMeta(t *testing.T, call string, qm *api.QueryMeta) {
	t.Helper()
	if qm == nil {
		t.Fatalf("%s: no QueryMeta", call)
	}
	if qm.LastIndex == 0 {
		t.Errorf("%s: QueryMeta.LastIndex is 0: X-Nomad-Index missing, malformed or 0 (or X-Nomad-LastContact missing)", call)
	}
	if !qm.KnownLeader {
		t.Errorf("%s: QueryMeta.KnownLeader is false: X-Nomad-KnownLeader must be \"true\" (and X-Nomad-Index, X-Nomad-LastContact present)", call)
	}
}

func assertWriteMeta(t *testing.T, call string, wm *api.WriteMeta) {
	t.Helper()
	if wm == nil {
		t.Fatalf("%s: no WriteMeta", call)
	}
	if wm.LastIndex == 0 {
		t.Errorf("%s: WriteMeta.LastIndex is 0: every write must send X-Nomad-Index > 0", call)
	}
}

// writes checks that the indexes of a test's successive writes never go back (a write that changes
// nothing, such as re-registering an unchanged job, may answer with the same index).
type writes struct {
	t    *testing.T
	last uint64
	call string
}

func newWrites(t *testing.T) *writes { return &writes{t: t} }

func (w *writes) add(call string, wm *api.WriteMeta) {
	w.t.Helper()
	assertWriteMeta(w.t, call, wm)
	if wm.LastIndex < w.last {
		w.t.Errorf("%s: X-Nomad-Index %d is below the index %d of the earlier write %s", call, wm.LastIndex, w.last, w.call)
	}
	w.last, w.call = wm.LastIndex, call
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func assertUUID(t *testing.T, what, s string) {
	t.Helper()
	if !uuidRE.MatchString(s) {
		t.Errorf("%s: %q is not a UUID", what, s)
	}
}

// eventually polls check until it returns "" or the timeout passes, then fails with its last answer.
func eventually(t *testing.T, what string, timeout time.Duration, check func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		if last = check(); last == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s: %s", timeout, what, last)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// --- jobs -------------------------------------------------------------------------------------

func dockerTask(name string) *api.Task {
	return api.NewTask(name, "docker").SetConfig("image", "registry.example/app:1")
}

// serviceJob is a service job with one group "app" of count docker tasks, placeable on any node.
func serviceJob(id string, count int) *api.Job {
	job := api.NewServiceJob(id, id, "global", 50).
		AddDatacenter("*").
		AddTaskGroup(api.NewTaskGroup("app", count).AddTask(dockerTask("main")))
	return job
}

// batchJob is Nomad's api testJob(): a batch job with group "group1" of one task, small resources.
func batchJob(id string) *api.Job {
	task := dockerTask("task1").
		Require(&api.Resources{CPU: new(100), MemoryMB: new(256)}).
		SetLogConfig(&api.LogConfig{MaxFiles: new(1), MaxFileSizeMB: new(2)})
	group := api.NewTaskGroup("group1", 1).AddTask(task).RequireDisk(&api.EphemeralDisk{SizeMB: new(25)})
	return api.NewBatchJob(id, "redis", "global", 1).AddDatacenter("*").AddTaskGroup(group)
}

func withScaling(job *api.Job) *api.Job {
	job.TaskGroups[0].Scaling = &api.ScalingPolicy{
		Policy:  map[string]any{},
		Min:     new(int64(1)),
		Max:     new(int64(5)),
		Enabled: new(true),
	}
	return job
}

func periodicJob(id string) *api.Job {
	return batchJob(id).AddPeriodicConfig(&api.PeriodicConfig{
		Enabled:  new(true),
		Spec:     new("*/30 * * * *"),
		SpecType: new("cron"),
	})
}

func parameterizedJob(id string) *api.Job {
	job := batchJob(id)
	job.ParameterizedJob = &api.ParameterizedJobConfig{
		Payload:      "optional",
		MetaRequired: []string{"required_key"},
		MetaOptional: []string{"optional_key"},
	}
	return job
}

// register registers job and fails the test on error; it purges the job when the test ends.
func register(t *testing.T, w *writes, job *api.Job) *api.JobRegisterResponse {
	t.Helper()
	return registerOpts(t, w, job, nil)
}

func registerOpts(t *testing.T, w *writes, job *api.Job, opts *api.RegisterOptions) *api.JobRegisterResponse {
	t.Helper()
	c := client(t)
	resp, wm, err := c.Jobs().RegisterOpts(job, opts, nil)
	ok(t, "Jobs().Register "+*job.ID, err)
	if w != nil {
		w.add("Jobs().Register "+*job.ID, wm)
	} else {
		assertWriteMeta(t, "Jobs().Register "+*job.ID, wm)
	}
	id := *job.ID
	t.Cleanup(func() { _, _, _ = c.Jobs().Deregister(id, true, nil) })
	if resp.JobModifyIndex == 0 {
		t.Errorf("Register %s: JobModifyIndex is 0", id)
	}
	if wm.LastIndex < resp.JobModifyIndex {
		t.Errorf("Register %s: X-Nomad-Index %d is below the JobModifyIndex %d it reports", id, wm.LastIndex, resp.JobModifyIndex)
	}
	if resp.EvalID != "" {
		assertUUID(t, "Register "+id+" EvalID", resp.EvalID)
		if resp.EvalCreateIndex < resp.JobModifyIndex {
			t.Errorf("Register %s: EvalCreateIndex %d is below JobModifyIndex %d", id, resp.EvalCreateIndex, resp.JobModifyIndex)
		}
	}
	return resp
}

func info(t *testing.T, id string) *api.Job {
	t.Helper()
	job, qm, err := client(t).Jobs().Info(id, nil)
	ok(t, "Jobs().Info "+id, err)
	assertQueryMeta(t, "Jobs().Info "+id, qm)
	if job.ModifyIndex != nil && qm.LastIndex < *job.ModifyIndex {
		t.Errorf("Jobs().Info %s: X-Nomad-Index %d is below the job's ModifyIndex %d", id, qm.LastIndex, *job.ModifyIndex)
	}
	return job
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
