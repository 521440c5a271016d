package jobspec

import (
	"slices"
	"time"

	"github.com/hashicorp/nomad/api"
)

// Post-decoding rules, applied to every successfully decoded job (with or without Canonicalize).

func (p *parser) normalize() {
	j := p.job
	if j.Name == nil {
		name := p.jobID
		j.Name = &name
	}
	if j.ID == nil {
		id := p.jobID
		j.ID = &id
	}
	if j.Periodic != nil && (j.Periodic.Spec != nil || j.Periodic.Specs != nil) {
		j.Periodic.SpecType = ptr("cron")
	}

	fillVaultDefaults(p.jobVault)

	// A task written directly in the job block is a group of its own, named after the task and
	// placed before the declared groups.
	if len(p.jobTasks) > 0 {
		groups := make([]*api.TaskGroup, 0, len(p.jobTasks)+len(j.TaskGroups))
		for _, t := range p.jobTasks {
			groups = append(groups, &api.TaskGroup{Name: &t.Name, Tasks: []*api.Task{t}})
		}
		j.TaskGroups = append(groups, j.TaskGroups...)
	}

	for _, tg := range j.TaskGroups {
		splitPorts(tg.Networks)
		for _, t := range tg.Tasks {
			if t.Resources != nil {
				splitPorts(t.Resources.Networks)
			}
			fillTemplateDefaults(t.Templates)
			fillVaultDefaults(t.Vault)
			if t.Vault == nil {
				t.Vault = p.jobVault
			}
			if len(t.Secrets) == 0 {
				t.Secrets = p.jobSecrets
			} else {
				t.Secrets = append(t.Secrets, p.jobSecrets...)
			}
			moveDefaultIdentity(t)
		}
	}
}

// moveDefaultIdentity: the identity block with no name (or named "default") is the task's
// default workload identity and goes to Task.Identity rather than Task.Identities.
func moveDefaultIdentity(t *api.Task) {
	for i, wid := range t.Identities {
		if wid.Name == "" || wid.Name == "default" {
			t.Identity = wid
			// An emptied list stays an empty (not null) list, as in Nomad.
			t.Identities = slices.Delete(t.Identities, i, i+1)
			return
		}
	}
}

func fillVaultDefaults(v *api.Vault) {
	if v == nil {
		return
	}
	if v.Env == nil {
		v.Env = ptr(true)
	}
	if v.DisableFile == nil {
		v.DisableFile = ptr(false)
	}
	if v.ChangeMode == nil {
		v.ChangeMode = ptr("restart")
	}
}

func fillTemplateDefaults(templates []*api.Template) {
	for _, t := range templates {
		if t.ChangeMode == nil {
			t.ChangeMode = ptr("restart")
		}
		if t.Perms == nil {
			t.Perms = ptr("0644")
		}
		if t.Splay == nil {
			t.Splay = ptr(5 * time.Second)
		}
		if t.ErrMissingKey == nil {
			t.ErrMissingKey = ptr(false)
		}
		if cs := t.ChangeScript; cs != nil {
			if cs.Args == nil {
				cs.Args = []string{}
			}
			if cs.Timeout == nil {
				cs.Timeout = ptr(5 * time.Second)
			}
			if cs.FailOnError == nil {
				cs.FailOnError = ptr(false)
			}
			if cs.RunOnFirstRender == nil {
				cs.RunOnFirstRender = ptr(false)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }
