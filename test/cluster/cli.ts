// `npm run cluster:up` / `npm run cluster:down` / `npm run cluster:status`.
// `up` prints `export KUBECONFIG=<path>` as its very last line so that scripts can
// `eval "$(npm run -s cluster:up | tail -n 1)"`.
import { ComponentError, defaultClusterDir, down, isAlive, readState, up } from './local-cluster.ts';

const [command = 'up', name = process.env.NOMAD_OPERATOR_CLUSTER ?? 'default'] = process.argv.slice(2);
const log = (line: string) => process.stderr.write(`${line}\n`);

try {
  switch (command) {
    case 'up': {
      const { state, reused } = await up({ name, log });
      log(
        reused
          ? `cluster ${name}: already running at ${state.server}`
          : `cluster ${name}: logs in ${state.dir}`,
      );
      process.stdout.write(`export KUBECONFIG=${state.kubeconfig}\n`);
      break;
    }
    case 'down': {
      const stopped = await down({ name });
      log(stopped ? `cluster ${name}: stopped` : `cluster ${name}: not running`);
      break;
    }
    case 'status': {
      const state = readState(defaultClusterDir(name));
      if (!state) {
        log(`cluster ${name}: not running`);
        process.exitCode = 1;
        break;
      }
      for (const [component, pid] of Object.entries(state.pids)) {
        log(`${component.padEnd(24)} pid ${pid} ${isAlive(pid, state.binDir) ? 'running' : 'NOT RUNNING'}`);
      }
      process.stdout.write(`export KUBECONFIG=${state.kubeconfig}\n`);
      break;
    }
    default:
      log(`usage: cli.ts up|down|status [name]`);
      process.exitCode = 2;
  }
} catch (error) {
  log(error instanceof ComponentError ? `cluster ${name} failed to start: ${error.message}` : String(error));
  process.exitCode = 1;
}
