import { satisfies } from 'semver';

/** The Node.js lines ifreg runs on (DESIGN §2.11), as `engines` in the root package.json says. */
export const SUPPORTED_NODE = '^22.15.0 || >=24';

/** Why this Node cannot run ifreg, or undefined when it can. */
export function unsupportedNode(version: string): string | undefined {
  if (satisfies(version, SUPPORTED_NODE)) return undefined;
  return (
    `ifreg needs Node.js 24 LTS (or 22.15 and later); this is Node ${version}. ` +
    'Install Node 24, or run `tools/node/run.sh 24 <command>` from the repository to use a copy of its own.'
  );
}
