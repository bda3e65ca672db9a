import { join } from 'node:path';
import { ServiceProcess } from '@ifreg/testing';

/**
 * The real query service process (services/query/dist/main.js; build first) on a store, for
 * invariant (d). Ready once it logged 'query service caught up' (the store's history folded in).
 */
export class QueryProcess extends ServiceProcess {
  constructor(root: string, env: Record<string, string>) {
    super('query', join(root, 'services', 'query', 'dist', 'main.js'), { env: { IFREG_HTTP_PORT: '0', IFREG_LOG_LEVEL: 'info', ...env } });
  }

  /** Waits until it has caught up with the store and answers its base URL. */
  async started(timeoutMs: number): Promise<string> {
    return String((await this.waitForLog('query service caught up', timeoutMs))['url']);
  }
}
