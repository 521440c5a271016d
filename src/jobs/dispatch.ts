// Dispatch of a parameterized job, as Nomad's Job.Dispatch (nomad/job_endpoint.go) does it: the same
// rules and messages, and a child job that is the parent's copy with
// `ParentID`, `ID` = `<parent>/dispatch-[<template>-]<unix>-<8 hex>`, `Name` = ID, `Dispatched: true`,
// the dispatch meta merged over the parent's, `Payload` and `DispatchIdempotencyToken`. As in Nomad the
// child keeps the parent's ParameterizedJob block (Nomad copies the job and only sets Dispatched; its
// IsParameterized() is `ParameterizedJob != nil && !Dispatched`): the translator reads MetaOptional
// from it to give optional meta keys that were not passed an empty NOMAD_META_* variable.
//
// The child is a NomadJob in the parent's Kubernetes namespace, owned by the parent (ownerReference,
// not controller: the child is reconciled on its own, the parent never adopts or prunes it; the
// reference is there so that purging the parent purges its children). Its reconcile runs it as a
// batch Job and creates the payload Secret it mounts (reconcile.ts), so a dispatch interrupted right
// after the create still ends with the Secret.
//
// Idempotency tokens, across restarts and races: a NomadJob's name is derived from its Nomad ID
// (jobObjectName), and the ID holds the dispatch time, so the name alone cannot deduplicate. A token
// claim does: a ConfigMap whose name is derived from (parent, token) only, created with a plain create
// before the child. The apiserver lets exactly one create succeed; a 409 means the token is taken and
// the claim names the child to return (created: false). A claim whose child is missing (the first
// dispatcher died between the two creates, or is between them right now) is completed by creating that
// very child; a 409 on the child then means the other side won and its child is returned. Once the
// child exists the claim is handed to it (ownerReference), so purging the child frees the token, as
// Nomad's garbage collection of a dispatched job does.
//
// Kubernetes only: the API façade turns the result into HTTP.
import { randomBytes } from 'node:crypto';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { nomadJobObject } from '../crd/object.ts';
import type { NomadJobObject } from '../crd/resource.ts';
import { kubeErrorMessage } from '../kube/errors.ts';
import { ownerReference } from '../kube/owner-reference.ts';
import { type ClusterWriter, isWriteError, nomadJobRef } from '../kube/writer.ts';
import { REGISTRATION_FIELDS } from '../nomad/bookkeeping.ts';
import { goQuote, goStringList } from '../nomad/go.ts';
import { childName, hashToken, jobObjectName, labelValueFor } from '../nomad/ids.ts';
import {
  ANNOTATION_SUBMIT_TIME,
  LABEL_MANAGED_BY,
  LABEL_PARENT_ID,
  LABEL_RECORD,
  MANAGED_BY,
} from '../nomad/keys.ts';
import type { Job } from '../nomad/schema.ts';
import { type CachedEvaluations, recordEvaluation } from './evaluations.ts';
import { checkSpec } from './spec.ts';
import { submitTimeAnnotation } from './versions.ts';

/** Largest payload, decoded (Nomad's DispatchPayloadSizeLimit). */
export const DISPATCH_PAYLOAD_SIZE_LIMIT = 16 * 1024;
/** Data key of a token claim: the Nomad ID of the child the token dispatched. */
export const CLAIM_JOB_ID_KEY = 'jobId';

export interface DispatchRequest {
  /** Standard base64 (as Go's encoding/json writes []byte); at most 16 KiB once decoded. */
  payload?: string;
  meta?: Record<string, string>;
  idempotencyToken?: string;
  /** 0 or unset: the parent's priority. */
  priority?: number;
  /** Nomad's IdPrefixTemplate: `<parent>/dispatch-<template>-<unix>-<8 hex>`. */
  idPrefixTemplate?: string;
}

export type DispatchResult =
  | {
      ok: true;
      child: NomadJobObject;
      childId: string;
      /** False when the idempotency token had already dispatched this child. */
      created: boolean;
      /** The child's job-register evaluation (unset if it could not be recorded). */
      evalId?: string;
    }
  | { ok: false; status: 400 | 500; message: string };

type Failure = { ok: false; status: 400 | 500; message: string };

const fail = (message: string, status: 400 | 500 = 500): Failure => ({ ok: false, status, message });

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Go's base64.StdEncoding as encoding/json uses it (padding required; CR and LF ignored). */
export function decodePayload(payload: string | undefined): Buffer | undefined {
  if (payload === undefined || payload === '') return Buffer.alloc(0);
  const text = payload.replace(/[\r\n]/g, '');
  if (!BASE64.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

/**
 * Nomad's dispatch rules, in Nomad's order, with its messages: the parent must be a parameterized job
 * that is not stopped; the payload must be given when required, absent when forbidden, at most 16 KiB;
 * meta keys must be among MetaRequired ∪ MetaOptional and include every MetaRequired key; a priority
 * must be 1..100. Key lists are sorted (Go prints them in map order). Returns the decoded payload.
 */
export function checkDispatch(
  parent: Job,
  request: DispatchRequest,
): { ok: true; payload: Buffer } | Failure {
  const parameterized = parent.ParameterizedJob;
  if (!parameterized || parent.Dispatched === true)
    return fail(`Specified job ${goQuote(parent.ID ?? '')} is not a parameterized job`);
  if (parent.Stop === true) return fail(`Specified job ${goQuote(parent.ID ?? '')} is stopped`);
  const payload = decodePayload(request.payload);
  if (!payload) return fail('Payload is not valid base64', 400);
  const mode = parameterized.Payload || 'optional';
  if (mode === 'required' && payload.length === 0)
    return fail('Payload is not provided but required by parameterized job');
  if (mode === 'forbidden' && payload.length > 0)
    return fail('Payload provided but forbidden by parameterized job');
  if (payload.length > DISPATCH_PAYLOAD_SIZE_LIMIT)
    return fail(`Payload exceeds maximum size; ${payload.length} > ${DISPATCH_PAYLOAD_SIZE_LIMIT}`);
  const required = new Set(parameterized.MetaRequired ?? []);
  const optional = new Set(parameterized.MetaOptional ?? []);
  const meta = request.meta ?? {};
  const unpermitted = Object.keys(meta)
    .filter((k) => !required.has(k) && !optional.has(k))
    .sort();
  if (unpermitted.length > 0)
    return fail(`Dispatch request included unpermitted metadata keys: ${goStringList(unpermitted)}`);
  const missing = [...required].filter((k) => !Object.hasOwn(meta, k)).sort();
  if (missing.length > 0)
    return fail(`Dispatch did not provide required meta keys: ${goStringList(missing)}`);
  const priority = request.priority ?? 0;
  if (priority !== 0 && (!Number.isInteger(priority) || priority < 1 || priority > 100))
    return fail('dispatch job priority must be between [1, 100]');
  return { ok: true, payload };
}

/** Nomad's DispatchedID: `<parent>/dispatch-[<template>-]<unix seconds>-<suffix>`. */
export function dispatchedJobId(parentId: string, now: Date, suffix: string, idPrefixTemplate = ''): string {
  const unix = Math.floor(now.getTime() / 1000);
  const prefix = idPrefixTemplate !== '' ? `${idPrefixTemplate}-` : '';
  return `${parentId}/dispatch-${prefix}${unix}-${suffix}`;
}

/** Eight random hex digits (Nomad: the first 8 characters of a UUID). */
export function randomSuffix(): string {
  return randomBytes(4).toString('hex');
}

/** The child job Nomad derives from a parameterized parent for one dispatch. */
export function deriveDispatchedJob(
  parent: Job,
  request: DispatchRequest,
  childId: string,
  payload: Buffer,
): Job {
  const child = structuredClone(parent) as Record<string, unknown>;
  for (const field of REGISTRATION_FIELDS) delete child[field];
  child.ID = childId;
  child.Name = childId;
  child.ParentID = parent.ID;
  child.Dispatched = true;
  if (request.idempotencyToken) child.DispatchIdempotencyToken = request.idempotencyToken;
  else delete child.DispatchIdempotencyToken;
  if (request.priority) child.Priority = request.priority;
  const meta = { ...(parent.Meta ?? {}), ...(request.meta ?? {}) };
  if (Object.keys(meta).length > 0) child.Meta = meta;
  if (payload.length > 0) child.Payload = payload.toString('base64');
  else delete child.Payload;
  return child as Job;
}

/** Name of the ConfigMap that claims an idempotency token of a parent (NomadJob name `parentName`). */
export function tokenClaimName(parentName: string, token: string): string {
  return childName(parentName, 'dispatch-token', hashToken(token));
}

/**
 * The child NomadJob object for a derived child job, owned by the parent, with the dispatch time as
 * its submit time (its first generation's: versions.ts ANNOTATION_SUBMIT_TIME).
 */
export function dispatchedChildObject(parent: NomadJobObject, child: Job, at = new Date()): NomadJobObject {
  const object = nomadJobObject(child as Record<string, unknown>, () => parent.metadata?.namespace ?? '');
  object.metadata = {
    ...object.metadata,
    annotations: { ...object.metadata?.annotations, [ANNOTATION_SUBMIT_TIME]: submitTimeAnnotation(at, 1) },
    ownerReferences: [ownerReference(parent, { controller: false, blockOwnerDeletion: true })],
  };
  return object;
}

const configMapRef = (namespace: string, name: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace,
  name,
});

/** Creates the claim or reads the existing one: the child ID the token stands for. */
async function claimToken(
  writer: ClusterWriter,
  parent: NomadJobObject,
  parentId: string,
  token: string,
  candidateId: string,
): Promise<{ childId: string; claim: V1ConfigMap }> {
  const namespace = parent.metadata?.namespace ?? '';
  const name = tokenClaimName(parent.metadata?.name ?? '', token);
  const body: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace,
      labels: {
        [LABEL_MANAGED_BY]: MANAGED_BY,
        [LABEL_PARENT_ID]: labelValueFor(parentId),
        [LABEL_RECORD]: 'dispatch-token',
      },
      // Until the child exists the parent holds the claim, so it never outlives the parent.
      ownerReferences: [ownerReference(parent, { controller: false, blockOwnerDeletion: false })],
    },
    data: { [CLAIM_JOB_ID_KEY]: candidateId },
  };
  try {
    const claim = await writer.create(body);
    return { childId: candidateId, claim };
  } catch (error) {
    if (!isWriteError(error, 'already-exists')) throw error;
  }
  const claim = await writer.read<V1ConfigMap>(configMapRef(namespace, name));
  const childId = claim?.data?.[CLAIM_JOB_ID_KEY];
  if (!claim || !childId) throw new Error(`idempotency token claim ${name} names no job`);
  return { childId, claim };
}

/** Hands the claim to the child, so purging the child frees the token. Best effort. */
async function handClaimTo(writer: ClusterWriter, claim: V1ConfigMap, child: NomadJobObject): Promise<void> {
  const refs = claim.metadata?.ownerReferences ?? [];
  if (refs.length === 1 && refs[0]?.uid === child.metadata?.uid) return;
  await writer
    .mergePatch(configMapRef(claim.metadata?.namespace ?? '', claim.metadata?.name ?? ''), {
      metadata: {
        ownerReferences: [ownerReference(child, { controller: false, blockOwnerDeletion: false })],
      },
    })
    .catch(() => undefined);
}

/**
 * Dispatches the parameterized job `parent` (a live NomadJob, with its uid): checks Nomad's rules,
 * creates the child NomadJob (or, for an idempotency token already used, returns its child with
 * `created: false`) and records the child's job-register evaluation (from `cachedEvaluations`, the
 * caller's cached records, when given: no read first). Errors carry Nomad's messages and HTTP status
 * (400 for a malformed payload, 500 for the rest, as Nomad answers).
 */
export async function dispatchJob(
  writer: ClusterWriter,
  parent: NomadJobObject,
  request: DispatchRequest,
  now: Date = new Date(),
  cachedEvaluations?: CachedEvaluations,
): Promise<DispatchResult> {
  const checked = checkSpec(parent);
  if (!checked.ok) return fail(checked.message);
  const parentJob = checked.job;
  const rules = checkDispatch(parentJob, request);
  if (!rules.ok) return rules;
  const namespace = parent.metadata?.namespace ?? '';
  const parentId = parentJob.ID ?? '';
  const token = request.idempotencyToken ?? '';
  try {
    let childId = dispatchedJobId(parentId, now, randomSuffix(), request.idPrefixTemplate);
    let claim: V1ConfigMap | undefined;
    // The token's child exists (an earlier dispatch, or the other dispatcher of this token won the
    // create): the claim is handed to it and it is the answer, as Nomad answers a replayed token.
    const alreadyDispatched = async (claim: V1ConfigMap | undefined, existing: NomadJobObject) => {
      if (claim) await handClaimTo(writer, claim, existing);
      return {
        ok: true as const,
        child: existing,
        childId,
        created: false,
        ...(await evalOf(writer, existing, cachedEvaluations)),
      };
    };
    if (token !== '') {
      ({ childId, claim } = await claimToken(writer, parent, parentId, token, childId));
      const existing = await writer.read<NomadJobObject>(nomadJobRef(namespace, jobObjectName(childId)));
      if (existing) return await alreadyDispatched(claim, existing);
    }
    for (let attempt = 0; ; attempt++) {
      const childJob = deriveDispatchedJob(parentJob, request, childId, rules.payload);
      const body = dispatchedChildObject(parent, childJob, now);
      let child: NomadJobObject;
      try {
        child = await writer.create(body);
      } catch (error) {
        if (!isWriteError(error, 'already-exists')) throw error;
        if (token !== '') {
          // The other dispatcher of this token created it first.
          const existing = await writer.read<NomadJobObject>(nomadJobRef(namespace, jobObjectName(childId)));
          if (!existing) throw error;
          return await alreadyDispatched(claim, existing);
        }
        // Two dispatches in the same second drew the same suffix: draw again.
        if (attempt >= 3) throw error;
        childId = dispatchedJobId(parentId, now, randomSuffix(), request.idPrefixTemplate);
        continue;
      }
      if (claim) await handClaimTo(writer, claim, child);
      await writer.event(parent, 'Normal', 'Dispatched', `Dispatched job ${childId}`);
      return { ok: true, child, childId, created: true, ...(await evalOf(writer, child, cachedEvaluations)) };
    }
  } catch (error) {
    return fail(kubeErrorMessage(error));
  }
}

/** The child's job-register evaluation (version 0), recorded now if the reconciler has not yet. */
async function evalOf(
  writer: ClusterWriter,
  child: NomadJobObject,
  cachedEvaluations: CachedEvaluations | undefined,
): Promise<{ evalId?: string }> {
  try {
    const evaluation = await recordEvaluation(writer, child, {
      triggeredBy: 'job-register',
      version: 0,
      ...(cachedEvaluations ? { cached: cachedEvaluations(child) } : {}),
    });
    return { evalId: evaluation.ID };
  } catch {
    return {};
  }
}
