// Who uses the broker of deploy/kafka/start.sh from jest: several jest runs on one machine
// (watch mode, parallel checkouts) share the one broker on KAFKA_PORT. Each run leaves its
// pid in a users folder; teardown stops the broker only when a jest setup started it and no
// other live run still uses it.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const dir = path.join(os.tmpdir(), `ifreg-kafka-jest-${process.env.KAFKA_PORT || '9092'}`);
const users = path.join(dir, 'users');
const startedMarker = path.join(dir, 'started-by-jest');

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
};

module.exports = {
  join() {
    fs.mkdirSync(users, { recursive: true });
    fs.writeFileSync(path.join(users, String(process.pid)), '');
  },
  leave() {
    fs.rmSync(path.join(users, String(process.pid)), { force: true });
  },
  /** Live jest runs still using the broker (entries of dead ones are removed). */
  others() {
    const pids = fs.existsSync(users) ? fs.readdirSync(users).map(Number) : [];
    return pids.filter((pid) => {
      if (pid !== process.pid && alive(pid)) return true;
      fs.rmSync(path.join(users, String(pid)), { force: true });
      return false;
    });
  },
  markStarted() {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(startedMarker, String(process.pid));
  },
  startedByJest() {
    return fs.existsSync(startedMarker);
  },
  clearStarted() {
    fs.rmSync(startedMarker, { force: true });
  },
};
