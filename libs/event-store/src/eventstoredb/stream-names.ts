import { streamNameFilter, type Filter } from '@eventstore/db-client';
import { CLAIM_PREFIX } from './claims';

/**
 * Which EventStoreDB streams belong to this store, and under which names.
 * - `namespace` is prepended to every stream name on the server and stripped on the way
 *   back: several stores (a test each, or two deployments) share one server without
 *   seeing each other's streams, and each numbers its own events from 1.
 * - `prefixes` (port-level names) limit the store to some streams, e.g. ['registry-'];
 *   the default [''] means every stream that is not a system stream ($...).
 * Only these streams count in the global order, so the store refuses to write elsewhere.
 * The adapter's claim streams (claims.ts) are never the store's.
 */
export class StreamNames {
  readonly namespace: string;
  readonly prefixes: readonly string[];

  constructor(namespace = '', prefixes: readonly string[] = ['']) {
    if (namespace.startsWith('$')) throw new Error(`namespace ${namespace} would name system streams`);
    if (prefixes.length === 0) throw new Error('streamPrefixes must name at least one prefix');
    this.namespace = namespace;
    this.prefixes = prefixes;
  }

  owns(stream: string): boolean {
    return stream.length > 0 && !`${this.namespace}${stream}`.startsWith('$') && !stream.startsWith(CLAIM_PREFIX) && this.prefixes.some((p) => stream.startsWith(p));
  }

  /** The server's name of one of the adapter's own streams (claims). */
  internal(stream: string): string {
    return `${this.namespace}${stream}`;
  }

  /** The server's name for one of our streams; throws for a stream outside this store. */
  physical(stream: string): string {
    if (!this.owns(stream)) {
      throw new Error(`stream "${stream}" is outside this store (prefixes ${JSON.stringify(this.prefixes)}, no system streams)`);
    }
    return `${this.namespace}${stream}`;
  }

  /** Our name for a server stream, or undefined when the stream is not ours. */
  logical(physical: string): string | undefined {
    if (!physical.startsWith(this.namespace)) return undefined;
    const stream = physical.slice(this.namespace.length);
    return this.owns(stream) ? stream : undefined;
  }

  /** The server-side filter of the live subscription: the same streams as `logical`. */
  filter(): Filter {
    const prefixes = this.prefixes.map((p) => `${this.namespace}${p}`);
    // An empty prefix would match system streams too; a regex excludes them.
    return prefixes.includes('') ? streamNameFilter({ regex: '^[^$]' }) : streamNameFilter({ prefixes });
  }
}
