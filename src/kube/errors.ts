// What a failed Kubernetes API call says: its HTTP status and the Status message the apiserver sent
// (a KubeApiError of client.ts, or any error shaped like one: a numeric `code` and a `body`).
import { KubeApiError } from './client.ts';

export function kubeErrorCode(error: unknown): number | undefined {
  if (error instanceof KubeApiError) return error.code;
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

export function kubeErrorMessage(error: unknown): string {
  const body = (error as { body?: unknown } | undefined)?.body;
  if (body !== undefined) {
    try {
      const status = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: unknown } | null;
      if (typeof status?.message === 'string') return status.message;
    } catch {
      // not a Status
    }
    if (error instanceof KubeApiError) return `Kubernetes API error ${error.code}`;
  }
  return error instanceof Error ? error.message : String(error);
}
