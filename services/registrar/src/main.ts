import '@ifreg/platform/require-supported-node';
import { ConfigError } from '@ifreg/platform';
import { startTracing } from '@ifreg/platform/tracing';
import { loadConfig } from './config';
import { startRegistrar } from './start';

/** The registrar as its own process: Kafka agent messages in, events and outcomes out. */
// loadConfig inside the chain: a bad setting is reported like any start-up failure.
Promise.resolve()
  .then(() => startTracing('ifreg-registrar'))
  .then(() => startRegistrar(loadConfig(process.env), { handleSignals: true }))
  .catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error('ifreg registrar failed to start:', error);
  process.exit(1);
});
