const fs = require('node:fs');

// One jest run over every workspace package; unit specs and integration specs side by side.
const swc = ['@swc/jest', {
  jsc: {
    parser: { syntax: 'typescript' },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
}];

const project = (dir) => ({
  displayName: dir,
  rootDir: `<rootDir>/${dir}`,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: { '^@ifreg/platform/tracing$': '<rootDir>/../../libs/platform/src/start-tracing.ts', '^@ifreg/([^/]+)$': '<rootDir>/../../libs/$1/src/index.ts' },
  modulePathIgnorePatterns: ['<rootDir>/dist'],
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
});

const dirs = ['libs', 'services'].flatMap((group) =>
  fs.readdirSync(`${__dirname}/${group}`).map((name) => `${group}/${name}`).filter((dir) => fs.existsSync(`${__dirname}/${dir}/src`)),
);

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    ...dirs.map(project),
    // Repository checks (docker-compose.yml against the services), not a package.
    { ...project('tools'), moduleNameMapper: { '^@ifreg/([^/]+)$': '<rootDir>/../libs/$1/src/index.ts' }, testMatch: ['<rootDir>/compose/**/*.spec.ts', '<rootDir>/node/**/*.spec.ts'] },
    // The fault and abuse suite (docs/faults.md): `npm run test:faults`. Real broker, real processes.
    {
      ...project('tools/faults'),
      displayName: 'faults',
      moduleNameMapper: { '^@ifreg/([^/]+)$': '<rootDir>/../../libs/$1/src/index.ts' },
      testMatch: ['<rootDir>/**/*.faults.spec.ts', '<rootDir>/*.spec.ts'],
    },
  ],
  // Starts a Kafka broker for the *.int.spec.ts that need one (see tools/jest/global-setup.js).
  globalSetup: '<rootDir>/tools/jest/global-setup.js',
  globalTeardown: '<rootDir>/tools/jest/global-teardown.js',
  testTimeout: 30000,
};
