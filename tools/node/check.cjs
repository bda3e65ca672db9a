// Stops the npm scripts at once on a Node.js that ifreg does not run on, before anything loads
// a native module. Needs nothing installed; the services check again as they start
// (libs/platform/src/supported-node.ts, the same rule as `engines` in package.json).
'use strict';

function supported(version) {
  const [major, minor] = version.split('.').map(Number);
  return major >= 24 || (major === 22 && minor >= 15);
}

if (require.main === module && !supported(process.versions.node)) {
  console.error(
    `ifreg needs Node.js 24 LTS (or 22.15 and later); this is Node ${process.versions.node}. ` +
      'Install Node 24, or run `tools/node/run.sh 24 <command>` from the repository to use a copy of its own.',
  );
  process.exit(1);
}

module.exports = { supported };
