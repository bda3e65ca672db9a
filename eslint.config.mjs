// Type-aware linting plus Nx module boundaries: arrows point inward, the domain imports no I/O.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('_'));
const browserGlobals = Object.fromEntries(
  ['window', 'document', 'location', 'history', 'performance', 'fetch', 'EventSource', 'URL', 'URLSearchParams', 'AbortController', 'matchMedia', 'Intl', 'BigInt', 'setTimeout', 'clearTimeout', 'console'].map(
    (name) => [name, 'readonly'],
  ),
);
const io = ['kafkajs', 'pg', 'better-sqlite3', '@eventstore/*', '@kurrent/*'];

/**
 * Arrows point inward: services → edges (HTTP API, agent SDK) → application → ports ← adapters;
 * ports → domain. The application libraries (registrar, query) see the ports, never an adapter.
 * Test code (specs and testing/ folders) may also use the testing library, and an application's
 * tests real adapters; production code may not.
 */
const boundaries = (domainTestLibs, testCode = false) => ({
  enforceBuildableLibDependency: false,
  allow: [],
  // The testing library serves the specs of the libraries it builds on (the domain's harness, the
  // store contract suite): only test code uses it (constraints below), so such cycles are test-only.
  ignoredCircularDependencies: [['@ifreg/testing', '*']],
  depConstraints: constraints(domainTestLibs).map((c) => {
    if (!testCode) return c;
    const extra = c.sourceTag === 'type:application' ? ['type:testing', 'type:adapter'] : ['type:testing'];
    return { ...c, onlyDependOnLibsWithTags: [...c.onlyDependOnLibsWithTags, ...extra] };
  }),
});

const constraints = (domainTestLibs) => [
  // The domain is pure: no other project, no npm package (tests: their libraries only), no node builtin (rule below).
  { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain'], allowedExternalImports: domainTestLibs },
  { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:domain'], bannedExternalImports: [...io, 'inversify', 'fastify'] },
  { sourceTag: 'type:platform', onlyDependOnLibsWithTags: [], bannedExternalImports: [...io, 'inversify'] },
  // The ports the core owns: interfaces, errors and constants, no I/O.
  { sourceTag: 'type:ports', onlyDependOnLibsWithTags: ['type:domain'], bannedExternalImports: [...io, 'inversify', 'fastify', 'ws'] },
  { sourceTag: 'type:adapter', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:platform', 'type:ports', 'type:adapter'], bannedExternalImports: ['inversify'] },
  {
    sourceTag: 'type:application',
    onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:platform', 'type:ports', 'type:application'],
    bannedExternalImports: [...io, 'inversify'],
  },
  // Where the outside comes in (HTTP, the agent SDK, the Linux agent): over the application and the adapters.
  {
    sourceTag: 'type:edge',
    onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:platform', 'type:ports', 'type:adapter', 'type:application', 'type:edge'],
    bannedExternalImports: ['inversify'],
  },
  // What every composition root binds alike (logger, metrics, lifecycle, store): services only.
  { sourceTag: 'type:composition', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:platform', 'type:ports', 'type:adapter'], bannedExternalImports: io },
  { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:platform', 'type:ports', 'type:adapter', 'type:application', 'type:edge', 'type:composition'] },
  // The bench runs built services and measures them: a service that may use the testing library.
  { sourceTag: 'type:bench', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:platform', 'type:ports', 'type:adapter', 'type:application', 'type:edge', 'type:testing'] },
  // Test support: never in a production build (tools/build.mjs --production, deploy/Dockerfile).
  { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:platform', 'type:ports', 'type:adapter', 'type:testing'] },
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.nx/**', 'coverage/**', 'bench-results/**', 'deploy/**'] },
  js.configs.recommended,
  ...nx.configs['flat/base'],
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Adapters over synchronous drivers still implement async ports.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': ['error', boundaries([])],
    },
  },
  {
    files: ['libs/domain/**/*.ts'],
    ignores: ['libs/domain/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['node:*'], message: 'libs/domain is pure: no I/O' }],
          paths: nodeBuiltins.map((name) => ({ name, message: 'libs/domain is pure: no I/O' })),
        },
      ],
      'no-restricted-globals': ['error', 'process', 'require', 'setTimeout', 'setInterval', 'fetch'],
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Date']", message: 'libs/domain has no clock: the time arrives in the message' },
        { selector: "MemberExpression[object.name='Date'][property.name='now']", message: 'libs/domain has no clock' },
        { selector: "MemberExpression[object.name='Math'][property.name='random']", message: 'libs/domain is deterministic' },
      ],
    },
  },
  {
    files: ['**/src/testing/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': ['error', boundaries([], true)] },
  },
  {
    files: ['**/*.spec.ts'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', boundaries(['fast-check', '@jest/globals'], true)],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ignores: ['libs/web-page/public/**'],
    ...tseslint.configs.disableTypeChecked,
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
    languageOptions: { globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', console: 'readonly', process: 'readonly' } },
  },
  {
    // The web page's own files: ES modules run by the browser as they are (no build step).
    files: ['libs/web-page/public/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { sourceType: 'module', globals: browserGlobals },
  },
);
