import { unsupportedNode } from './supported-node';

// Imported first by every entry point: an older Node stops here, before any native module loads.
const problem = unsupportedNode(process.versions.node);
if (problem !== undefined) {
  console.error(problem);
  process.exit(1);
}
