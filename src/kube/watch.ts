// One watch request on a collection: the apiserver's stream of newline-delimited JSON events
// (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR), from a resourceVersion, until the server ends it
// (its timeoutSeconds), the stream goes quiet for too long, the resourceVersion is too old (410 Gone:
// the caller lists afresh) or the caller aborts. Bookmarks are asked for: the apiserver then sends
// one about every minute even on a quiet collection, which keeps the resourceVersion fresh and tells
// a live connection from a half-open one (`inactivityMs`, default 90 s, ends a silent stream).
// informer.ts runs it in its list-then-watch loop.
import { StringDecoder } from 'node:string_decoder';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeClient } from './client.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T> {
  type: WatchEventType;
  /** The object; a Status for ERROR. */
  object: T;
}

export interface WatchOptions {
  resourceVersion: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** The server ends the watch after this long. Default: random in [5, 10) minutes, as client-go's reflector. */
  timeoutSeconds?: number;
  /** Ends the watch when nothing arrived for this long. Default 90 s. */
  inactivityMs?: number;
  signal: AbortSignal;
}

export interface WatchEnd {
  /** `closed`: the server ended it; `inactive`: silent too long; `gone`: 410, list afresh; `aborted`. */
  reason: 'closed' | 'inactive' | 'gone' | 'aborted';
  /** The last resourceVersion seen (of an event or bookmark), or the one the watch started from. */
  resourceVersion: string;
  /** Events received, bookmarks included. */
  events: number;
}

/**
 * Watches `path` (a collection), calling `onEvent` for every event in order. Resolves how it ended;
 * rejects (KubeApiError for an answer other than 200 or 410, any other Error for a broken
 * connection) when it failed.
 */
export async function watchCollection<T extends KubernetesObject>(
  client: KubeClient,
  path: string,
  options: WatchOptions,
  onEvent: (event: WatchEvent<T>) => void,
): Promise<WatchEnd> {
  const local = new AbortController();
  const signal = AbortSignal.any([options.signal, local.signal]);
  let resourceVersion = options.resourceVersion;
  let events = 0;
  let gone = false;
  const timeoutSeconds = options.timeoutSeconds ?? Math.floor(300 * (1 + Math.random()));
  let response: Awaited<ReturnType<KubeClient['stream']>>;
  try {
    response = await client.stream(
      path,
      {
        watch: 'true',
        resourceVersion,
        allowWatchBookmarks: 'true',
        timeoutSeconds,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
      },
      signal,
    );
  } catch (error) {
    if (options.signal.aborted) return { reason: 'aborted', resourceVersion, events };
    if ((error as { code?: unknown }).code === 410) return { reason: 'gone', resourceVersion, events };
    throw error;
  }

  const inactivityMs = options.inactivityMs ?? 90_000;
  let inactive = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      inactive = true;
      local.abort(new Error('watch inactive'));
    }, inactivityMs);
    timer.unref();
  };

  const decoder = new StringDecoder('utf8');
  let pending = '';
  const handleLine = (line: string) => {
    if (line.trim() === '') return;
    let event: WatchEvent<T>;
    try {
      event = JSON.parse(line) as WatchEvent<T>;
    } catch {
      return; // not an event: skipped, as client-node did
    }
    if (!event || typeof event !== 'object' || typeof event.type !== 'string') return;
    events++;
    if (event.type === 'ERROR') {
      // 410: the resourceVersion is too old; nothing more can come from this stream (the server
      // ends it): the caller lists afresh.
      if ((event.object as { code?: unknown } | undefined)?.code === 410) {
        gone = true;
        local.abort(new Error('watch gone'));
      }
    } else {
      const version = event.object?.metadata?.resourceVersion;
      if (version) resourceVersion = version;
    }
    onEvent(event);
  };

  try {
    arm();
    for await (const chunk of response) {
      arm();
      pending += decoder.write(chunk as Buffer);
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        handleLine(line);
        if (signal.aborted) break;
        newline = pending.indexOf('\n');
      }
      if (signal.aborted) break;
    }
    if (!signal.aborted) handleLine(pending + decoder.end());
  } catch (error) {
    if (!signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    response.destroy();
  }
  if (options.signal.aborted) return { reason: 'aborted', resourceVersion, events };
  if (gone) return { reason: 'gone', resourceVersion, events };
  return { reason: inactive ? 'inactive' : 'closed', resourceVersion, events };
}
