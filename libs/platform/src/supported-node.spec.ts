import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SUPPORTED_NODE, unsupportedNode } from './supported-node';

describe('supported Node', () => {
  it('is the range the root package.json declares in engines', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(SUPPORTED_NODE);
  });

  it.each(['24.21.0', '24.0.0', '22.15.0', '22.23.3', '26.10.0'])('accepts %s', (version) => {
    expect(unsupportedNode(version)).toBeUndefined();
  });

  it.each(['20.20.2', '22.14.0', '18.20.0', '23.0.0'])('refuses %s, naming the Node it needs', (version) => {
    expect(unsupportedNode(version)).toMatch(new RegExp(`needs Node.js 24 LTS .*this is Node ${version.replace(/\./g, '\\.')}`));
  });
});
