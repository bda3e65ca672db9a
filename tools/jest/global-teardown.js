// Jest global teardown: stops the broker of deploy/kafka/start.sh when a jest run started it
// and no other jest run still uses it (tools/jest/kafka-lease.js), unless IFREG_KEEP_KAFKA=1.
// A broker you started yourself, or one given by KAFKA_BROKERS, is never stopped.
// IFREG_KEEP_KAFKA=1 npm test leaves it running: the next run finds it and skips the ~4 s
// start. Stop it yourself with deploy/kafka/stop.sh (the next run without the variable will
// also stop it, as a jest run started it).
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const lease = require('./kafka-lease');

module.exports = async function globalTeardown() {
  if (!globalThis.__IFREG_KAFKA_LEASE__) return;
  lease.leave();
  if (process.env.IFREG_KEEP_KAFKA === '1' || !lease.startedByJest() || lease.others().length > 0) return;
  lease.clearStarted();
  execFileSync(path.join(__dirname, '..', '..', 'deploy', 'kafka', 'stop.sh'), { timeout: 60_000, stdio: ['ignore', 'ignore', 'inherit'] });
};
