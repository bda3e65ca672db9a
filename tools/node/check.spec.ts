import { unsupportedNode } from '@ifreg/platform';

describe('the npm scripts’ Node check (tools/node/check.cjs)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { supported } = require('./check.cjs') as { supported: (version: string) => boolean };

  it.each(['24.21.0', '22.15.0', '26.10.0', '20.20.2', '22.14.0', '23.11.0', '18.20.0'])('agrees with the services on %s', (version) => {
    expect(supported(version)).toBe(unsupportedNode(version) === undefined);
  });
});
