// The Nomad API decodes a new spec while the apiserver stores it (src/jobs/spec.ts decodeAhead) and
// takes that decoding for the object the apiserver answers with only when the answer holds the very
// spec decoded, keys in the same order (rememberAhead). On the real apiserver, for every job of the
// realistic corpus written as a register writes it: the answer does, so the decoding is handed over,
// and it is exactly what decoding the answer gives.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareJob, withoutBookkeeping } from '../../../src/api/jobwrite.ts';
import { nomadJobObject } from '../../../src/crd/object.ts';
import type { NomadJobObject } from '../../../src/crd/resource.ts';
import { decodeAhead, decodeSpec, rememberAhead } from '../../../src/jobs/spec.ts';
import { ensureNomadJobCrd } from '../../../src/kube/crds.ts';
import { makeKubeWriter } from '../../../src/kube/kube-writer.ts';
import { parseJobspec } from '../../../src/nomad/hcl/jobspec.ts';
import { createNamespaceMapper } from '../../../src/nomad/ids.ts';
import { corpusEntries } from '../../support/corpus.ts';
import { operatorConfig } from '../../support/operator-kubeconfig.ts';
import { createTestNamespace, testKubeConfig } from '../support/kube.ts';

const kc = testKubeConfig();
const writer = makeKubeWriter(operatorConfig(kc));

let ns: { name: string; remove: () => Promise<void> };

beforeAll(async () => {
  ns = await createTestNamespace(kc, 'spec-ahead');
  await ensureNomadJobCrd(operatorConfig(kc));
});

afterAll(async () => {
  await ns?.remove();
});

describe('a spec decoded ahead of its write, on the real apiserver', () => {
  it.each(corpusEntries().map((entry) => [entry.name, entry] as const))('%s', async (_name, entry) => {
    const parsed = await parseJobspec({
      hcl: readFileSync(entry.jobspec, 'utf8'),
      ...(entry.varFile ? { variables: readFileSync(entry.varFile, 'utf8') } : {}),
    });
    if (!parsed.ok) throw new Error(parsed.error);
    // As a register builds the object: the canonical, valid job, in the test's namespace.
    const { job } = prepareJob(parsed.job, 'default');
    const object = nomadJobObject(
      withoutBookkeeping(job) as Record<string, unknown>,
      createNamespaceMapper(),
    );
    object.metadata = { ...object.metadata, namespace: ns.name };
    const ahead = decodeAhead(object);
    expect(ahead.decoded.ok).toBe(true);

    const written = await writer.create<NomadJobObject>(object);
    expect(rememberAhead(written, ahead)).toBe(true);
    const handedOver = decodeSpec(written);
    // Decoding the answer afresh (an object without uid is never taken from what is remembered).
    const fresh = decodeSpec({ ...written, metadata: { ...written.metadata, uid: undefined } });
    expect(JSON.stringify(handedOver)).toBe(JSON.stringify(fresh));
  });
});
