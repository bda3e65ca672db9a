import type { SyncReport } from '@ifreg/agent-sdk';
import type { AllInOneConfig } from './config';
import { createContainer } from './container';
import { describeStore, openEventStore } from '@ifreg/event-store';
import { LISTEN_BACKLOG } from '@ifreg/http-api';
import { startHostAgent } from './host-agent';
import { TOKENS } from './tokens';

export interface RunningAllInOne {
  /** Where the HTTP API listens, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  /** What the first look at this host's interfaces did (when IFREG_REGISTER_HOST). */
  readonly hostReport: SyncReport | undefined;
  readonly startupMs: number;
  stop(): Promise<void>;
}

/** Starts registrar + projection + HTTP API in this process, in dependency order. */
export async function startAllInOne(config: AllInOneConfig, options: { handleSignals?: boolean } = {}): Promise<RunningAllInOne> {
  const started = process.hrtime.bigint();
  const store = await openEventStore(config.store);
  const container = await createContainer(config, store);
  const log = container.get(TOKENS.Logger);
  const lifecycle = container.get(TOKENS.Lifecycle);
  if (options.handleSignals) lifecycle.handleSignals();

  lifecycle.onStop('event store', () => store.close());
  lifecycle.onStop('snapshots', () => container.get(TOKENS.Snapshots).close());
  const readModel = container.get(TOKENS.ReadModel);
  await readModel.start();
  lifecycle.onStop('read model', () => readModel.stop());
  log.info({ position: readModel.position, scopes: readModel.model.scopes.size, store: describeStore(config.store) }, 'read model caught up');

  const transport = container.get(TOKENS.Transport);
  const registrar = container.get(TOKENS.Registrar);
  await transport.start((batch) => registrar.handleBatch(batch));
  lifecycle.onStop('registrar', () => transport.stop());
  const waiter = container.get(TOKENS.OutcomeWaiter);
  lifecycle.onStop('outcome waiter', () => waiter.close());

  const app = await container.getAsync(TOKENS.HttpApp);
  await app.listen({ port: config.http.port, host: config.http.host, backlog: LISTEN_BACKLOG });
  lifecycle.onStop('http', () => app.close());
  if (!config.http.token) log.warn({ host: config.http.host }, 'no IFREG_TOKEN configured: listening on loopback only and accepting writes from loopback only');
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  const url = `http://${config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host}:${port}`;

  const broker = container.get(TOKENS.ObjectBroker);
  lifecycle.onStop('object broker', () => broker.close());
  const hostReport = config.host.register ? await startHostAgent(config, transport, broker, log, lifecycle) : undefined;
  const startupMs = Math.round(Number(process.hrtime.bigint() - started) / 1e6);
  log.info({ url: `${url}/v1/scopes/${config.host.scope}/interfaces`, startupMs }, 'ifreg is ready');
  return { url, hostReport, startupMs, stop: () => lifecycle.stop() };
}
