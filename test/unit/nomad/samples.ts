// Loads the sample payloads of Nomad's Jobs HTTP API documentation,
// extracted verbatim into test/fixtures/api-samples/, one file per JSON block:
// `<section>.<payload|response>[-N].json`.
import { readFileSync } from 'node:fs';

const dir = new URL('../../fixtures/api-samples/', import.meta.url);

export function loadSample(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8'));
}

/** A sample as a plain object, for tests that pick fields out of it. */
export function loadObject(name: string): Record<string, unknown> {
  const value = loadSample(name);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`sample ${name} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Every job object the documentation shows, with where it came from. */
export function documentedJobs(): { source: string; job: unknown }[] {
  const versions = (name: string) =>
    (loadObject(name).Versions as unknown[]).map((job, i) => ({ source: `${name} Versions[${i}]`, job }));
  return [
    { source: 'create-job.payload Job', job: loadObject('create-job.payload').Job },
    { source: 'parse-job.response', job: loadSample('parse-job.response') },
    { source: 'read-job.response', job: loadSample('read-job.response') },
    ...versions('list-job-versions.response'),
    ...versions('list-job-versions.response-2'),
  ];
}
