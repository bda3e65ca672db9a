import '@ifreg/platform/require-supported-node';
import { ConfigError } from '@ifreg/platform';
import { startTracing } from '@ifreg/platform/tracing';
import { loadConfig } from './config';
import { startQuery } from './start';

/** The query service as its own process; run as many replicas as you like. */
// loadConfig inside the chain: a bad setting is reported like any start-up failure.
Promise.resolve()
  .then(() => startTracing('ifreg-query'))
  .then(() => startQuery(loadConfig(process.env), { handleSignals: true }))
  .catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error('ifreg query service failed to start:', error);
  process.exit(1);
});
