package compat

// Blocking queries as the Go client makes them (WaitIndex/WaitTime), and the HTTP details that
// clients other than the api module rely on: methods, bodies without Content-Type, text errors,
// query parameter parsing, gzip. These tests do not call t.Parallel: Go runs them first, one at a
// time, so the timings are not disturbed by the parallel tests.

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
)

// settle waits until the job's index stops moving (the controller records versions and status right
// after a register, and each is a change Nomad would report too) and returns the quiet index.
func settle(t *testing.T, id string) uint64 {
	t.Helper()
	c := client(t)
	_, qm, err := c.Jobs().Info(id, nil)
	ok(t, "Info", err)
	index := qm.LastIndex
	for range 30 {
		_, qm, err := c.Jobs().Info(id, &api.QueryOptions{WaitIndex: index, WaitTime: time.Second})
		ok(t, "blocking Info", err)
		if qm.LastIndex == index {
			return index
		}
		if qm.LastIndex < index {
			t.Fatalf("blocking Info: index went back from %d to %d", index, qm.LastIndex)
		}
		index = qm.LastIndex
	}
	t.Fatalf("the index of job %s kept changing for 30 s (last %d): a job nobody touches must be quiet", id, index)
	return 0
}

// A blocked Info returns as soon as the job changes (within 100 ms), with the new index.
func TestBlocking_WakesOnChange(t *testing.T) {
	c := client(t)
	job := parameterizedJob(jobID(t)) // no allocations: nothing but this test changes it
	id := *job.ID
	register(t, nil, job)
	start := settle(t, id)

	type result struct {
		job *api.Job
		qm  *api.QueryMeta
		err error
		at  time.Time
	}
	done := make(chan result, 1)
	go func() {
		j, qm, err := c.Jobs().Info(id, &api.QueryOptions{WaitIndex: start, WaitTime: 30 * time.Second})
		done <- result{j, qm, err, time.Now()}
	}()
	select {
	case r := <-done:
		t.Fatalf("blocking Info returned before any change: err %v, index %d (waited on %d)", r.err, metaIndex(r.qm), start)
	case <-time.After(700 * time.Millisecond):
	}

	job.Meta = map[string]string{"changed": "yes"}
	resp, _, err := c.Jobs().Register(job, nil)
	ok(t, "Register (the change)", err)
	written := time.Now()

	select {
	case r := <-done:
		ok(t, "blocking Info", r.err)
		if late := r.at.Sub(written); late > 100*time.Millisecond {
			t.Errorf("blocking Info returned %s after the change's write returned (want ≤ 100 ms)", late)
		}
		if r.qm.LastIndex <= start || r.qm.LastIndex < resp.JobModifyIndex {
			t.Errorf("blocking Info: index %d, want above %d and ≥ the new JobModifyIndex %d", r.qm.LastIndex, start, resp.JobModifyIndex)
		}
		if r.job.Meta["changed"] != "yes" {
			t.Errorf("blocking Info returned the old job")
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("blocking Info did not return within 10 s of the change")
	}
}

// Blocking List calls, looped the way clients loop them, see a new job at once. (The list's index is
// the jobs table's: any job's change wakes it, as in Nomad.)
func TestBlocking_ListWakesOnRegister(t *testing.T) {
	c := client(t)
	prefix := jobID(t)
	_, qm, err := c.Jobs().List(nil)
	ok(t, "List", err)
	assertQueryMeta(t, "List", qm)

	type result struct {
		ids []string
		at  time.Time
	}
	done := make(chan result, 1)
	failed := make(chan error, 1)
	go func() {
		index := qm.LastIndex
		for {
			got, qm, err := c.Jobs().List(&api.QueryOptions{Prefix: prefix, WaitIndex: index, WaitTime: 30 * time.Second})
			if err != nil {
				failed <- err
				return
			}
			if len(got) > 0 {
				done <- result{stubIDs(got), time.Now()}
				return
			}
			if qm.LastIndex < index {
				failed <- fmt.Errorf("list index went back from %d to %d", index, qm.LastIndex)
				return
			}
			index = qm.LastIndex
		}
	}()
	time.Sleep(300 * time.Millisecond)
	register(t, nil, batchJob(prefix+"-1"))
	written := time.Now()
	select {
	case r := <-done:
		if !slices.Equal(r.ids, []string{prefix + "-1"}) {
			t.Errorf("blocking List: %v, want the new job", r.ids)
		}
		if late := r.at.Sub(written); late > time.Second {
			t.Errorf("blocking List saw the new job %s after its register returned", late)
		}
	case err := <-failed:
		ok(t, "blocking List", err)
	case <-time.After(10 * time.Second):
		t.Fatalf("blocking List did not show the new job within 10 s of its register")
	}
}

// Without a change, a blocking query waits for WaitTime (plus at most 1/16 jitter) and returns the same index.
func TestBlocking_TimesOut(t *testing.T) {
	c := client(t)
	id := jobID(t)
	register(t, nil, parameterizedJob(id))
	index := settle(t, id)

	started := time.Now()
	_, qm, err := c.Jobs().Info(id, &api.QueryOptions{WaitIndex: index, WaitTime: 1500 * time.Millisecond})
	ok(t, "blocking Info", err)
	took := time.Since(started)
	if took < 1400*time.Millisecond || took > 3*time.Second {
		t.Errorf("blocking Info with wait=1500ms took %s", took)
	}
	if qm.LastIndex != index {
		t.Errorf("blocking Info timed out with index %d, want the unchanged %d", qm.LastIndex, index)
	}
	assertQueryMeta(t, "blocking Info", qm)
}

func metaIndex(qm *api.QueryMeta) uint64 {
	if qm == nil {
		return 0
	}
	return qm.LastIndex
}

// --- raw HTTP ---------------------------------------------------------------------------------

type rawResponse struct {
	status int
	header http.Header
	body   string
}

// raw sends a request as curl would (no client library), with NOMAD_TOKEN when set.
func raw(t *testing.T, method, path string, body io.Reader, header map[string]string) rawResponse {
	t.Helper()
	addr := strings.TrimSuffix(os.Getenv("NOMAD_ADDR"), "/")
	req, err := http.NewRequest(method, addr+path, body)
	if err != nil {
		t.Fatalf("request %s %s: %v", method, path, err)
	}
	if token := os.Getenv("NOMAD_TOKEN"); token != "" {
		req.Header.Set("X-Nomad-Token", token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}).Do(req)
	if err != nil {
		t.Fatalf("NO SERVER: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var reader io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatalf("%s %s: bad gzip body: %v", method, path, err)
		}
		reader = gz
	}
	b, err := io.ReadAll(reader)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return rawResponse{resp.StatusCode, resp.Header, string(b)}
}

// expectError checks Nomad's plain-text error: status, text/plain, and the message.
func (r rawResponse) expectError(t *testing.T, call string, status int, want string) {
	t.Helper()
	if r.status != status || !strings.Contains(r.body, want) {
		t.Errorf("%s: got %d %q, want %d containing %q", call, r.status, r.body, status, want)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("%s: error Content-Type %q, want text/plain (Nomad's errors are plain text)", call, ct)
	}
}

func (r rawResponse) expectOK(t *testing.T, call string) {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("%s: got %d %q, want 200", call, r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q, want application/json", call, ct)
	}
	if !json.Valid([]byte(r.body)) {
		t.Errorf("%s: body is not JSON: %q", call, r.body)
	}
}

// Writes accept PUT and POST, JSON with or without Content-Type, nulls and unknown keys.
func TestHTTP_WriteBodies(t *testing.T) {
	id := jobID(t)
	t.Cleanup(func() { _, _, _ = client(t).Jobs().Deregister(id, true, nil) })
	body := func(extra string) io.Reader {
		return strings.NewReader(`{"Job":{"ID":"` + id + `","Name":null,"Type":"batch","Datacenters":["*"],"Meta":null,` +
			`"TaskGroups":[{"Name":"g","Count":null,"Tasks":[{"Name":"t","Driver":"docker","Config":{"image":"x:1"},` +
			`"Resources":null,"UnknownTaskKey":1}]}],"SomethingNew":{"a":1}` + extra + `},"Region":null,"Namespace":null,"SecretID":null}`)
	}
	r := raw(t, "POST", "/v1/jobs", body(""), map[string]string{"Content-Type": "application/json"})
	r.expectOK(t, "POST /v1/jobs with Content-Type")
	var reg map[string]any
	_ = json.Unmarshal([]byte(r.body), &reg)
	for _, key := range []string{"EvalID", "EvalCreateIndex", "JobModifyIndex", "Index"} {
		if _, found := reg[key]; !found {
			t.Errorf("register body has no %s: %s", key, r.body)
		}
	}
	if idx, err := strconv.ParseUint(r.header.Get("X-Nomad-Index"), 10, 64); err != nil || idx == 0 {
		t.Errorf("register: X-Nomad-Index %q", r.header.Get("X-Nomad-Index"))
	}
	raw(t, "PUT", "/v1/jobs", body(`,"Meta":{"v":"2"}`), nil).expectOK(t, "PUT /v1/jobs without Content-Type")
	raw(t, "POST", "/v1/job/"+url.PathEscape(id), body(`,"Meta":{"v":"3"}`), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}).
		expectOK(t, "POST /v1/job/:id as curl --data sends it (application/x-www-form-urlencoded)")
	raw(t, "PUT", "/v1/job/"+url.PathEscape(id)+"/evaluate", nil, nil).expectOK(t, "PUT evaluate without a body")
	raw(t, "POST", "/v1/job/"+url.PathEscape(id)+"/evaluate", strings.NewReader(""), map[string]string{"Content-Type": "application/json"}).
		expectOK(t, "POST evaluate with an empty JSON body")

	got := info(t, id)
	if got.Meta["v"] != "3" || deref(got.Name) != id || deref(got.TaskGroups[0].Count) != 1 {
		t.Errorf("job after raw writes: Meta %v Name %q Count %d", got.Meta, deref(got.Name), deref(got.TaskGroups[0].Count))
	}

	raw(t, "PUT", "/v1/job/"+url.PathEscape(id), strings.NewReader(`{"Job":{"ID":"other","TaskGroups":[]}}`), nil).
		expectError(t, "register with another ID than the path", 400, "Job ID does not match name")
	raw(t, "PUT", "/v1/jobs", strings.NewReader(`{"Job":{"ID":`), nil).
		expectError(t, "malformed JSON", 400, "")
	raw(t, "PUT", "/v1/jobs", strings.NewReader(`{"Job":{"ID":5}}`), nil).
		expectError(t, "ID of the wrong type", 400, "")
	raw(t, "PUT", "/v1/jobs", strings.NewReader(`{"Job":{"ID":"x","Priority":"high"}}`), nil).
		expectError(t, "Priority of the wrong type", 400, "")
	raw(t, "PUT", "/v1/jobs", strings.NewReader(`{}`), nil).
		expectError(t, "register without Job", 400, "Job must be specified")
	raw(t, "PUT", "/v1/jobs", nil, nil).
		expectError(t, "register without a body", 400, "Request body is empty")
	raw(t, "PUT", "/v1/validate/job", strings.NewReader(`{}`), nil).
		expectError(t, "validate without Job", 400, "Job must be specified")
	raw(t, "PATCH", "/v1/jobs", strings.NewReader(`{}`), nil).
		expectError(t, "PATCH /v1/jobs", 405, "Invalid method")
}

// Query parameters are parsed as Nomad parses them; bad ones are 400 with Nomad's texts.
func TestHTTP_QueryParameters(t *testing.T) {
	id := jobID(t)
	register(t, nil, batchJob(id))
	esc := url.PathEscape(id)

	r := raw(t, "GET", "/v1/job/"+esc+"/allocations?all=True", nil, nil)
	r.expectOK(t, "all=True (python-nomad's boolean)")
	r = raw(t, "GET", "/v1/jobs?meta=True&prefix="+url.QueryEscape(id), nil, nil)
	r.expectOK(t, "meta=True")
	r = raw(t, "GET", "/v1/job/"+esc+"?index=1&wait=300000ms", nil, nil)
	r.expectOK(t, "index=1&wait=300000ms (already past: returns at once)")
	for _, h := range []string{"X-Nomad-Index", "X-Nomad-LastContact", "X-Nomad-KnownLeader"} {
		if r.header.Get(h) == "" {
			t.Errorf("GET job: header %s missing", h)
		}
	}
	if r.header.Get("X-Nomad-KnownLeader") != "true" {
		t.Errorf("X-Nomad-KnownLeader %q", r.header.Get("X-Nomad-KnownLeader"))
	}
	raw(t, "GET", "/v1/jobs?stale", nil, nil).expectOK(t, "bare stale")
	raw(t, "GET", "/v1/jobs?stale=true", nil, nil).expectOK(t, "stale=true")

	raw(t, "GET", "/v1/jobs?index=abc", nil, nil).expectError(t, "index=abc", 400, "Invalid index")
	raw(t, "GET", "/v1/jobs?index=-1", nil, nil).expectError(t, "index=-1", 400, "Invalid index")
	raw(t, "GET", "/v1/jobs?index=1&wait=forever", nil, nil).expectError(t, "wait=forever", 400, "Invalid wait time")
	raw(t, "GET", "/v1/jobs?stale=maybe", nil, nil).expectError(t, "stale=maybe", 400, "Expect `true` or `false` for `stale` query string parameter")
	raw(t, "GET", "/v1/jobs?per_page=many", nil, nil).expectError(t, "per_page=many", 400, "Expect a number for `per_page` query string parameter")
	raw(t, "GET", "/v1/jobs?filter="+url.QueryEscape("ID =="), nil, nil).
		expectError(t, "bad filter", 400, "failed to create result paginator: failed to read filter expression")
	raw(t, "GET", "/v1/job/"+esc+"/submission?version=x", nil, nil).
		expectError(t, "submission?version=x", 400, "Unable to parse job submission version parameter")
	raw(t, "GET", "/v1/job/"+url.PathEscape(jobID(t, "missing")), nil, nil).expectError(t, "unknown job", 404, "job not found")

	// The job ID is decoded once: a literal "%2F" in an ID is sent as %252F.
	odd := jobID(t, "pct%2Fx")
	register(t, nil, batchJob(odd))
	raw(t, "GET", "/v1/job/"+url.PathEscape(odd), nil, nil).expectOK(t, "ID containing %2F, escaped once")
	raw(t, "GET", "/v1/job/"+jobID(t, "pct%2Fx"), nil, nil).expectError(t, "ID decoded twice", 404, "job not found")

	// A raw '/' in the ID (python-nomad does not escape) is routed by suffix.
	child := id + "/child"
	register(t, nil, batchJob(child))
	raw(t, "GET", "/v1/job/"+child+"/summary", nil, nil).expectOK(t, "raw '/' in the ID, /summary suffix")

	r = raw(t, "DELETE", "/v1/job/"+url.PathEscape(child)+"?purge=True&global=False&eval_priority=0&no_shutdown_delay=False", nil, nil)
	r.expectOK(t, "DELETE with python booleans and eval_priority=0")
	raw(t, "GET", "/v1/job/"+url.PathEscape(child), nil, nil).expectError(t, "purged with purge=True", 404, "job not found")
}

// Responses are gzipped when asked, JSON integers are never floats, IDs are UUIDs.
func TestHTTP_ResponseEncoding(t *testing.T) {
	id := jobID(t)
	register(t, nil, serviceJob(id, 1))

	r := raw(t, "GET", "/v1/job/"+url.PathEscape(id), nil, map[string]string{"Accept-Encoding": "gzip"})
	r.expectOK(t, "GET job with Accept-Encoding gzip")
	if ce := r.header.Get("Content-Encoding"); ce != "" && ce != "gzip" {
		t.Errorf("Content-Encoding %q for a client that asked for gzip only", ce)
	}
	if strings.Contains(r.body, "e+") || strings.Contains(r.body, "E+") {
		t.Errorf("job JSON has numbers in exponent form (Go cannot decode them into ints): %.300s", r.body)
	}
	var job map[string]any
	dec := json.NewDecoder(bytes.NewReader([]byte(r.body)))
	dec.UseNumber()
	if err := dec.Decode(&job); err != nil {
		t.Fatalf("job JSON: %v", err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case json.Number:
			if strings.ContainsAny(x.String(), ".eE") {
				t.Errorf("%s = %s: Nomad's job fields are integers", path, x)
			}
		case map[string]any:
			for k, e := range x {
				walk(path+"."+k, e)
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		}
	}
	walk("job", job)

	r = raw(t, "GET", "/v1/job/"+url.PathEscape(id)+"/deployment", nil, nil)
	r.expectOK(t, "GET latest deployment")
	r = raw(t, "GET", "/v1/job/"+url.PathEscape(jobID(t, "none"))+"/deployment", nil, nil)
	r.expectOK(t, "GET latest deployment of an unknown job")
	if strings.TrimSpace(r.body) != "null" {
		t.Errorf("latest deployment of an unknown job: %q, want null", r.body)
	}
}
