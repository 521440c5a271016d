// The NomadJob custom resource: its API coordinates and the shape of the object as stored in
// Kubernetes. The spec is the Nomad job in Kubernetes style (camelCase keys, durations as Go
// duration strings); `codec.ts` converts it to and from Nomad's JSON form.
import type { KubernetesObject } from '@kubernetes/client-node';
import { API_GROUP } from '../nomad/keys.ts';

/** An API group of this project's own (nomad.operator.io belongs to a project doing the reverse). */
export const group = API_GROUP;
export const version = 'v1alpha1';
export const apiVersion = `${group}/${version}`;
export const kind = 'NomadJob';
export const plural = 'nomadjobs';
export const singular = 'nomadjob';
export const shortNames = ['nj'];
export const crdName = `${plural}.${group}`;

/** A Kubernetes-style status condition (metav1.Condition). */
export interface Condition {
  type: 'Ready' | 'Scheduled' | 'Progressing' | 'Degraded' | (string & {});
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** Per task group allocation counts, as Nomad's job summary reports them. */
export interface GroupSummary {
  queued: number;
  starting: number;
  running: number;
  complete: number;
  failed: number;
  lost: number;
  unknown: number;
}

export interface NomadJobStatus {
  /** Nomad's job status: pending, running or dead. */
  status?: 'pending' | 'running' | 'dead';
  statusDescription?: string;
  /** Nomad job version: 0 on first registration, +1 per spec change. */
  version?: number;
  jobModifyIndex?: number;
  stable?: boolean;
  /** Nomad's SubmitTime: Unix nanoseconds, as a decimal string (int64 exceeds JSON's safe integers). */
  submitTime?: string;
  /** "running/desired" allocations over all groups, for `kubectl get`. */
  allocations?: string;
  summary?: Record<string, GroupSummary>;
  children?: { pending: number; running: number; dead: number };
  warnings?: string[];
  observedGeneration?: number;
  conditions?: Condition[];
}

export interface NomadJobObject extends KubernetesObject {
  apiVersion: typeof apiVersion;
  kind: typeof kind;
  spec: Record<string, unknown>;
  status?: NomadJobStatus;
}
