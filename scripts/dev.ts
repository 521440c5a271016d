// `npm run dev`: the product running locally. Starts (or reuses) the local cluster, installs the
// NomadJob CRD, and runs the operator against it in this process until Ctrl-C.
import { runOperator } from '../src/cli/run.ts';
import { loadKubeConfig } from '../src/kube/client.ts';
import { ensureNomadJobCrd } from '../src/kube/crds.ts';
import { up } from '../test/cluster/local-cluster.ts';

const { state } = await up({ name: process.env.NOMAD_OPERATOR_CLUSTER ?? 'default' });
process.stderr.write(`local cluster: export KUBECONFIG=${state.kubeconfig}\n`);
process.stderr.write(`kubectl: ${state.binDir}/kubectl\n`);
await ensureNomadJobCrd(loadKubeConfig(state.kubeconfig));
process.stderr.write(
  'NomadJob CRD installed; starting the operator (Ctrl-C stops it; the cluster keeps running)\n',
);
process.exitCode = await runOperator([
  `--kubeconfig=${state.kubeconfig}`,
  '--no-leader-elect',
  ...process.argv.slice(2),
]);
