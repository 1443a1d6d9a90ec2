// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/, lowest first. A module may import its own layer and the ones below it, never
 * one above: `resources/` builds objects without knowing who reconciles them, the engine in
 * `controller/` knows nothing of Gaims. Entries ending in `/` are folders; others are modules of src/.
 */
const LAYERS = [
  ['errors.ts', 'messages.ts', 'hash.ts', 'version.ts', 'node-version.ts', 'cron.ts', 'text-order.ts'],
  ['api/'],
  ['datamodel.ts', 'config/'],
  ['kube/'],
  ['observability/'],
  ['controller/'],
  ['resources/'],
  ['status/'],
  ['seeders/', 'firestore/'],
  ['reconciler/'],
  ['commands/', 'plugin/', 'operator.ts', 'main.ts', 'kubectl-gaim.ts'],
  // Fakes and builders for unit tests: above everything, so no module of the operator can import them.
  ['testing/'],
];

/**
 * Each vendor SDK is imported by its one adapter (a file or a folder of src/); everything else goes
 * through the adapter's narrow functions. `pino` types (Logger) may be used anywhere.
 */
const ADAPTERS = {
  mongodb: ['seeders/mongodb.ts'],
  ioredis: ['seeders/redis.ts', 'seeders/redis-queues.ts'],
  '@google-cloud/firestore': ['firestore/'],
  'google-auth-library': ['firestore/'],
  '@lancedb/lancedb': ['seeders/lancedb.ts', 'seeders/lancedb-maintenance.ts'],
  'apache-arrow': ['seeders/lancedb.ts'],
  '@kubernetes/client-node': ['kube/'],
  undici: ['kube/'],
  'prom-client': ['observability/'],
  pino: ['observability/logger.ts'],
  'cron-parser': ['cron.ts'],
};

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A regex matching relative import paths that reach `entry` (a folder or a root module of src/). */
const reaches = (entry) => entry.endsWith('/')
  ? `(^|/)${escape(entry)}`
  : `^(\\./|(\\.\\./)+)${escape(entry.replace(/\.ts$/, '.js'))}$`;
const globOf = (entry) => (entry.endsWith('/') ? `src/${entry}**/*.ts` : `src/${entry}`);
const inside = (file, entry) => (entry.endsWith('/') ? file.startsWith(entry) : file === entry);

/** The import restrictions of one entry of src/ (a folder or a module) at layer `level`. */
function restrictions(entry, level) {
  const above = LAYERS.slice(level + 1).flat();
  const patterns = above.map((target) => ({
    regex: reaches(target),
    message: `layers import downward only: ${entry} (layer ${level}) must not import ${target} (layer ${LAYERS.findIndex((l) => l.includes(target))})`,
  }));
  const paths = Object.entries(ADAPTERS)
    .filter(([, owners]) => !owners.some((owner) => inside(entry, owner)))
    .map(([name, owners]) => ({
      name,
      message: `${name} is used through its adapter (${owners.join(', ')}) only`,
      ...(name === 'pino' ? { allowTypeImports: true } : {}),
    }));
  return { '@typescript-eslint/no-restricted-imports': ['error', { paths, patterns }] };
}

/** One config object per layer entry, then one per adapter file inside a folder (later objects win). */
function layerConfigs() {
  const configs = [];
  LAYERS.forEach((entries, level) => {
    for (const entry of entries) configs.push({ files: [globOf(entry)], ignores: ['src/**/*.test.ts'], rules: restrictions(entry, level) });
  });
  const adapterFiles = new Set(Object.values(ADAPTERS).flat().filter((owner) => !owner.endsWith('/')));
  for (const file of adapterFiles) {
    const level = LAYERS.findIndex((entries) => entries.some((entry) => inside(file, entry)));
    configs.push({ files: [globOf(file)], ignores: ['src/**/*.test.ts'], rules: restrictions(file, level) });
  }
  return configs;
}

export default tseslint.config(
  { ignores: ['dist/', 'bin/', '.run/', 'node_modules/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // @kubernetes/client-node models are classes with only public data fields; object literals
      // are how its own docs build them.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      // `get<T>(…): T` is how a client of untyped JSON says what it expects back.
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { varsIgnorePattern: '^_', argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // The product (src/) never imports test code or dev tooling.
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/test/**', '**/hack/**'], message: 'product code never imports test code or dev tooling' }] },
      ],
      // ICU's data lives in node's binary and stays resident once touched (6–10 MiB of RSS measured):
      // the operator orders strings by code unit (text-order.ts) and formats times as RFC 3339.
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.property.name='localeCompare']", message: 'localeCompare runs ICU collation (about 6 MiB resident): use compareText from text-order.ts' },
        { selector: "CallExpression[callee.property.name=/^toLocale/]", message: 'locale formatting loads ICU data: format as RFC 3339 (toISOString)' },
      ],
      'no-restricted-globals': ['error', { name: 'Intl', message: 'Intl loads ICU data (6–10 MiB resident): the operator needs no locale' }],
    },
  },
  {
    // Unit tests need nothing running: they and their fakes (src/testing/) import nothing from test/,
    // which is the integration suite and its stacks.
    files: ['src/**/*.test.ts', 'src/testing/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/test/**'], message: 'unit tests import nothing from test/: their fakes live in src/testing/' }] }],
    },
  },
  {
    // The stack is the development cluster (`make dev`, `make bench` and the tests run it): it stands
    // below the test suite, so it imports nothing from test/; nor do `make dev` and `make bench`.
    files: ['stack/**/*.ts', 'stack/**/*.mjs', 'hack/dev.ts', 'hack/bench/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/test/**'], message: 'the stack, make dev and make bench import nothing from test/: they run without the tests' }] }],
    },
  },
  ...layerConfigs(),
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
