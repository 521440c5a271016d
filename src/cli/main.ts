#!/usr/bin/env node
// The `nomad-operator` command: a small dispatcher over subcommands. Each subcommand is a function
// from its arguments to an exit status; this file only picks one and reports usage errors.
// Subcommands are imported when chosen: `convert` never loads the controller, the API or a client.

type Command = (argv: readonly string[]) => Promise<number>;

const commands: Record<string, { run: Command; summary: string }> = {
  convert: {
    run: async (argv) => (await import('./convert.ts')).runConvert(argv),
    summary: 'convert a Nomad jobspec into a NomadJob or Kubernetes manifests (translator options: --help)',
  },
  import: {
    run: async (argv) => (await import('./import.ts')).runImport(argv),
    summary:
      'read every job from a Nomad cluster and convert or apply them, with a migration report (options: --help)',
  },
  run: {
    run: async (argv) => (await import('./run.ts')).runOperator(argv),
    summary:
      'run the operator: reconcile NomadJobs, serve the Nomad API (flags, variables, translator options: --help)',
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: nomad-operator <command> [arguments]\n\nCommands:\n${lines.join('\n')}\n\nRun \`nomad-operator <command> --help\` for a command's options.\n`;
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(`error: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  return command.run(rest);
}

process.exitCode = await main(process.argv.slice(2));
