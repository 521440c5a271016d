package main

import (
	"encoding/json"
	"fmt"

	"github.com/hashicorp/nomad/api"

	"nomad-operator.local/jobspec-wasm/jobspec"
)

// The answers of the exported functions are JSON text, so that one string crosses the JS/Go
// boundary each way:
//
//	{"job": <api.Job>}                                   on success
//	{"error": "...", "kind": "...", "diagnostics": [...]} on failure

type answer struct {
	Job         json.RawMessage `json:"job,omitempty"`
	Error       string          `json:"error,omitempty"`
	Kind        string          `json:"kind,omitempty"`
	Diagnostics []string        `json:"diagnostics,omitempty"`
}

func encodeAnswer(a answer) string {
	out, err := json.Marshal(a)
	if err != nil {
		out, _ = json.Marshal(answer{Error: "cannot encode the answer: " + err.Error(), Kind: string(jobspec.KindInternal)})
	}
	return string(out)
}

func failure(kind jobspec.ErrorKind, message string) string {
	return encodeAnswer(answer{Error: message, Kind: string(kind)})
}

// parseToJSON runs one parse and encodes the job with encoding/json, so the JSON has exactly
// api.Job's shape.
func parseToJSON(req jobspec.Request) (result string) {
	defer func() {
		if r := recover(); r != nil {
			result = failure(jobspec.KindInternal, fmt.Sprintf("internal error: %v", r))
		}
	}()
	job, err := jobspec.Parse(req)
	if err != nil {
		if e, ok := jobspec.AsError(err); ok {
			return encodeAnswer(answer{Error: e.Message, Kind: string(e.Kind), Diagnostics: e.Diagnostics})
		}
		return failure(jobspec.KindInternal, err.Error())
	}
	body, err := json.Marshal(job)
	if err != nil {
		return failure(jobspec.KindParse, "cannot encode the job as JSON: "+err.Error())
	}
	return encodeAnswer(answer{Job: body})
}

// canonicalizeJSON decodes an api.Job from JSON, runs api.Job.Canonicalize and encodes it again.
func canonicalizeJSON(text string) (result string) {
	defer func() {
		if r := recover(); r != nil {
			result = failure(jobspec.KindInternal, fmt.Sprintf("internal error: %v", r))
		}
	}()
	if len(text) > jobspec.MaxInputBytes {
		return failure(jobspec.KindTooLarge, fmt.Sprintf("job JSON is too large: %d bytes; the limit is %d bytes", len(text), jobspec.MaxInputBytes))
	}
	var job api.Job
	if err := json.Unmarshal([]byte(text), &job); err != nil {
		return failure(jobspec.KindParse, "cannot decode the job JSON: "+err.Error())
	}
	job.Canonicalize()
	body, err := json.Marshal(&job)
	if err != nil {
		return failure(jobspec.KindInternal, "cannot encode the job as JSON: "+err.Error())
	}
	return encodeAnswer(answer{Job: body})
}
