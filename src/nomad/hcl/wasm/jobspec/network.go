package jobspec

import "github.com/hashicorp/nomad/api"

// splitPorts applies the port rule of the jobspec: every `port "label" {}` block is decoded as a
// dynamic port; afterwards the ones with a `static` value above zero move to ReservedPorts (their
// `static` is the Port's Value) and the others stay in DynamicPorts, which becomes null when none
// is left. (`to` and `host_network` travel with the port either way.) A network without any
// `port` block is left as decoded, so a deprecated `reserved_ports` block survives only then.
func splitPorts(networks []*api.NetworkResource) {
	for _, n := range networks {
		if len(n.DynamicPorts) == 0 {
			continue
		}
		dynamic := make([]api.Port, 0, len(n.DynamicPorts))
		var reserved []api.Port
		for _, port := range n.DynamicPorts {
			if port.Value > 0 {
				reserved = append(reserved, port)
			} else {
				dynamic = append(dynamic, port)
			}
		}
		if len(dynamic) == 0 {
			dynamic = nil
		}
		n.DynamicPorts = dynamic
		n.ReservedPorts = reserved
	}
}
