import { readFileSync } from 'node:fs';

/*
 * `node services/bench/dist/cpuprofile-top.js <file.cpuprofile> [count] [function]`: the
 * functions with the most self time in a V8 CPU profile (node --cpu-prof, or
 * npm run bench -- --cpu-prof dir) and the inclusive time of ifreg's functions; with a
 * function name, also who calls it (self time of that function by calling stack, 4 deep).
 */

interface ProfileNode {
  readonly id: number;
  parent?: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const where = (node: ProfileNode): string => {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^file:\/\//, '').replace(/^.*\/(libs|services|node_modules)\//, '$1/');
  return `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
};

function main(): void {
  const [file, countText, callersOf] = process.argv.slice(2);
  if (!file) throw new Error('usage: cpuprofile-top <file.cpuprofile> [count] [function]');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const node of profile.nodes) for (const child of node.children ?? []) {
    const c = byId.get(child);
    if (c) c.parent = node.id;
  }
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

  const self = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node) self.set(where(node), (self.get(where(node)) ?? 0) + us);
  }
  // Inclusive time: a node's self time plus its subtree, counted once per function name and stack.
  const inclusive = new Map<string, number>();
  const visit = (id: number, onStack: Set<string>): number => {
    const node = byId.get(id);
    if (!node) return 0;
    const key = where(node);
    let sum = selfUs.get(id) ?? 0;
    const nested = onStack.has(key);
    if (!nested) onStack.add(key);
    for (const child of node.children ?? []) sum += visit(child, onStack);
    if (!nested) {
      onStack.delete(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + sum);
    }
    return sum;
  };
  const root = profile.nodes[0];
  if (root) visit(root.id, new Set());

  const pct = (us: number): string => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
  const count = Number(countText ?? 25);
  console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled\n\nself time:`);
  for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, count)) console.log(`${pct(us)}  ${name}`);
  console.log('\ninclusive time (ifreg code):');
  const ours = [...inclusive].filter(([name]) => /(libs|services)\//.test(name) && !name.includes('node_modules'));
  for (const [name, us] of ours.sort((a, b) => b[1] - a[1]).slice(0, count)) console.log(`${pct(us)}  ${name}`);
  if (callersOf === undefined) return;
  const stacks = new Map<string, number>();
  for (const [id, us] of selfUs) {
    let node = byId.get(id);
    if (!node || node.callFrame.functionName !== callersOf) continue;
    const chain: string[] = [];
    for (let depth = 0; depth < 4 && node?.parent !== undefined; depth++) {
      node = byId.get(node.parent);
      if (node) chain.push(where(node));
    }
    const key = chain.join('  <  ');
    stacks.set(key, (stacks.get(key) ?? 0) + us);
  }
  console.log(`\ncallers of ${callersOf} (self time):`);
  for (const [chain, us] of [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`${pct(us)}  ${chain}`);
}

main();
