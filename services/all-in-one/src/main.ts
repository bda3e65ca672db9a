import 'reflect-metadata';
import { ConfigError } from '@ifreg/platform';
import { loadConfig } from './config';
import { createContainer } from './container';
import { registerHostInterfaces } from './register-host';
import { TOKENS } from './tokens';

/** Composition root: registrar + projection + HTTP API in one process on embedded defaults. */
async function main(): Promise<void> {
  const started = process.hrtime.bigint();
  const config = loadConfig(process.env);
  const container = await createContainer(config);
  const log = container.get(TOKENS.Logger);
  const lifecycle = container.get(TOKENS.Lifecycle);
  lifecycle.handleSignals();

  const store = container.get(TOKENS.EventStore);
  lifecycle.onStop('event store', () => store.close());
  const readModel = container.get(TOKENS.ReadModel);
  await readModel.start();
  lifecycle.onStop('read model', () => readModel.stop());
  log.info({ position: readModel.position, scopes: readModel.model.scopes.size, store: config.store.sqlitePath }, 'read model caught up');

  const transport = container.get(TOKENS.Transport);
  const registrar = container.get(TOKENS.Registrar);
  await transport.start((batch) => registrar.handleBatch(batch));
  lifecycle.onStop('registrar', () => transport.stop());

  const app = await container.getAsync(TOKENS.HttpApp);
  await app.listen({ port: config.http.port, host: config.http.host });
  lifecycle.onStop('http', () => app.close());
  if (!config.http.token) log.warn({ host: config.http.host }, 'no IFREG_TOKEN configured: listening on loopback only and accepting writes from loopback only');

  if (config.host.register) {
    await registerHostInterfaces({
      scope: config.host.scope,
      producer: transport,
      waiter: container.get(TOKENS.OutcomeWaiter),
      readModel,
      log,
      timeoutMs: 10_000,
    });
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  log.info({ url: `http://${config.http.host}:${config.http.port}/v1/scopes/${config.host.scope}/interfaces`, startupMs: Math.round(ms) }, 'ifreg is ready');
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error('ifreg failed to start:', error);
  process.exit(1);
});
