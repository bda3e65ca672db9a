// The fast loop (`npm run test:unit`): the unit specs only. No Kafka broker, no database,
// no child processes of the services, so no global set-up either.
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  projects: base.projects
    .filter((project) => project.displayName !== 'faults')
    .map((project) => ({ ...project, testPathIgnorePatterns: ['/node_modules/', '\\.int\\.spec\\.ts$'] })),
  testTimeout: base.testTimeout,
};
