import '@ifreg/platform/require-supported-node';
import { ConfigError } from '@ifreg/platform';
import { startTracing } from '@ifreg/platform/tracing';
import { loadConfig } from './config';
import { startAllInOne } from './start';

/** `npm start`: everything in one process on embedded defaults (DESIGN.md §2.8). */
// loadConfig inside the chain: a bad setting is reported like any start-up failure.
Promise.resolve()
  .then(() => startTracing('ifreg'))
  .then(() => startAllInOne(loadConfig(process.env), { handleSignals: true }))
  .catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error('ifreg failed to start:', error);
  process.exit(1);
});
