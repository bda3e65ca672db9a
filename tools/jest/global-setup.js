// Jest global setup: gives the integration specs a Kafka broker in KAFKA_BROKERS.
// - KAFKA_BROKERS already set: used as it is (a broker you run, or CI's); nothing is started.
// - Else, the broker of deploy/kafka/start.sh already running: used.
// - Else: deploy/kafka/start.sh starts one (~4 s; its first run also fetches the jars with mvn).
// global-teardown.js stops a broker that a jest run started, once no jest run uses it any
// more, unless IFREG_KEEP_KAFKA=1 (see there).
// If the broker cannot start, the Kafka specs are skipped (visibly) and the rest still run,
// unless IFREG_REQUIRE_KAFKA=1 (CI), which fails the run instead.
// Variables set here reach the test files: jest runs them in band or in workers it starts after this.
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const lease = require('./kafka-lease');

const scripts = path.join(__dirname, '..', '..', 'deploy', 'kafka');

/** Runs a deploy/kafka script; the last line on its stdout is the bootstrap address. */
function run(script, timeout) {
  const out = execFileSync(path.join(scripts, script), { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').pop();
}

module.exports = async function globalSetup() {
  if (process.env.KAFKA_BROKERS) return;
  // Join before looking, so a run finishing right now sees us and leaves the broker up.
  lease.join();
  globalThis.__IFREG_KAFKA_LEASE__ = true;
  const started = Date.now();
  try {
    // start.sh is idempotent and returns at once when the broker is up; status.sh tells us
    // first whether this run is the one that started it.
    const wasRunning = (() => {
      try {
        execFileSync(path.join(scripts, 'status.sh'), { stdio: 'ignore', timeout: 10_000 });
        return true;
      } catch {
        return false;
      }
    })();
    process.env.KAFKA_BROKERS = run('start.sh', 180_000);
    if (!wasRunning) {
      lease.markStarted();
      process.stderr.write(`\njest global setup: Kafka broker started in ${Date.now() - started} ms at ${process.env.KAFKA_BROKERS}\n`);
    }
  } catch (error) {
    if (process.env.IFREG_REQUIRE_KAFKA === '1') throw error;
    process.stderr.write(`\njest global setup: no Kafka broker (${String(error.message).split('\n')[0]}); Kafka specs will be skipped\n`);
  }
};
