// A read-only client of a Nomad HTTP API, for `nomad-operator import`: lists jobs, reads each job
// and its original submission. Only GET requests exist here, so the source cluster is never changed.
// TLS and token as the Nomad CLI sends them (X-Nomad-Token, the CA and client certificate files of
// connection.ts). Answers are checked with zod: a server that answers something else is reported,
// never trusted.
import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { z } from 'zod';
import type { NomadConnection } from './connection.ts';

// Not an ESM import of node:http: its namespace's lazy WebSocket exports would load undici
// (src/kube/client.ts says more).
const httpRequest = process.getBuiltinModule('node:http').request;

/** One entry of `GET /v1/jobs` (Nomad's JobListStub): the fields the import decides on. */
export const JobStubSchema = z.looseObject({
  ID: z.string(),
  Namespace: z.string().optional(),
  ParentID: z.string().optional(),
  Type: z.string().optional(),
  Status: z.string().optional(),
  Stop: z.boolean().optional(),
});
export type JobStub = z.infer<typeof JobStubSchema>;

/** `GET /v1/job/:id`: a job as Nomad's API prints it; the rest is checked by the job schema later. */
export const ApiJobSchema = z.looseObject({
  ID: z.string(),
  Namespace: z.string().optional(),
  ParentID: z.string().optional(),
  Dispatched: z.boolean().optional(),
  Stop: z.boolean().optional(),
  Version: z.number().int().nonnegative().optional(),
});
export type ApiJob = z.infer<typeof ApiJobSchema>;

/** `GET /v1/job/:id/submission?version=N`: the jobspec as it was submitted. */
export const SubmissionSchema = z.object({
  Source: z.string(),
  Format: z.string().optional(),
  VariableFlags: z.record(z.string(), z.string()).nullish(),
  Variables: z.string().nullish(),
});
export type Submission = z.infer<typeof SubmissionSchema>;

export interface NomadReader {
  /** Every job of the connection's namespace (`*`: of every namespace the token may list). */
  listJobs(): Promise<JobStub[]>;
  readJob(namespace: string, id: string): Promise<ApiJob>;
  /** The job's original submission at `version`, undefined when the server has none. */
  readSubmission(namespace: string, id: string, version: number): Promise<Submission | undefined>;
}

/** An answer other than 200, or no answer at all; `status` is the HTTP status when there was one. */
export class NomadRequestError extends Error {
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.name = 'NomadRequestError';
    this.status = status;
  }
}

interface Response {
  status: number;
  body: string;
}

export async function makeNomadReader(connection: NomadConnection): Promise<NomadReader> {
  const url = new URL(connection.address);
  const https = url.protocol === 'https:';
  const tls = https
    ? {
        ...(connection.tls.caCert !== undefined ? { ca: await readFile(connection.tls.caCert) } : {}),
        ...(connection.tls.clientCert !== undefined
          ? { cert: await readFile(connection.tls.clientCert) }
          : {}),
        ...(connection.tls.clientKey !== undefined ? { key: await readFile(connection.tls.clientKey) } : {}),
        rejectUnauthorized: !connection.tls.skipVerify,
      }
    : {};

  function get(path: string, query: Record<string, string>): Promise<Response> {
    const target = new URL(connection.address + path);
    for (const [key, value] of Object.entries(query)) target.searchParams.set(key, value);
    if (connection.region !== undefined) target.searchParams.set('region', connection.region);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (connection.token !== undefined) headers['X-Nomad-Token'] = connection.token;
    const send = https ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(target, { method: 'GET', headers, ...tls }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      });
      req.on('error', (error) => reject(new NomadRequestError(`GET ${target.href}: ${error.message}`)));
      req.end();
    });
  }

  async function getJson<T>(
    what: string,
    path: string,
    query: Record<string, string>,
    schema: z.ZodType<T>,
  ): Promise<T> {
    let response: Response;
    try {
      response = await get(path, query);
    } catch (error) {
      throw new NomadRequestError(`Error querying ${what}: ${(error as Error).message}`);
    }
    if (response.status !== 200) {
      throw new NomadRequestError(
        `Error querying ${what}: Unexpected response code: ${response.status} (${response.body.trim()})`,
        response.status,
      );
    }
    let value: unknown;
    try {
      value = JSON.parse(response.body);
    } catch (error) {
      throw new NomadRequestError(`Error querying ${what}: invalid JSON: ${(error as Error).message}`);
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      throw new NomadRequestError(
        `Error querying ${what}: unexpected answer: ${z.prettifyError(parsed.error)}`,
      );
    }
    return parsed.data;
  }

  const jobPath = (id: string) => `/v1/job/${encodeURIComponent(id)}`;
  return {
    listJobs: () => getJson('jobs', '/v1/jobs', { namespace: connection.namespace }, z.array(JobStubSchema)),
    readJob: (namespace, id) =>
      getJson(`job ${JSON.stringify(id)}`, jobPath(id), { namespace }, ApiJobSchema),
    async readSubmission(namespace, id, version) {
      try {
        return await getJson(
          `the submission of job ${JSON.stringify(id)}`,
          `${jobPath(id)}/submission`,
          { namespace, version: String(version) },
          SubmissionSchema,
        );
      } catch (error) {
        // Nomad answers 404 "job source not found" when the job was registered without its source
        // (the API with a JSON job, an old client); the JSON job is then all there is.
        if (error instanceof NomadRequestError && error.status === 404) return undefined;
        throw error;
      }
    },
  };
}
