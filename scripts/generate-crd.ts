// Writes crds/nomadjobs.nomadoperator.dev.yaml from the job model (npm run generate:crd).
import { writeFileSync } from 'node:fs';
import { nomadJobCrdYaml } from '../src/crd/definition.ts';

const file = new URL('../crds/nomadjobs.nomadoperator.dev.yaml', import.meta.url);
writeFileSync(file, nomadJobCrdYaml());
process.stderr.write(`wrote ${file.pathname}\n`);
