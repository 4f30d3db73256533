// ESM + ts-jest on Node 20 (see shared/reference/infrastructure.md): run with --experimental-vm-modules.
const libs = ['contracts', 'infra', 'llm-providers', 'cj-scoring', 'batch-store', 'assessment-store'];
const moduleNameMapper = {
  '^#llm-providers/testing$': '<rootDir>/libs/llm-providers/testing/index.ts',
  ...Object.fromEntries(libs.map((lib) => [`^#${lib}$`, `<rootDir>/libs/${lib}/src/index.ts`])),
  '^(\\.{1,2}/.*)\\.js$': '$1',
};
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper,
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }] },
  testEnvironment: 'node',
};

// `--selectProjects` takes several values, so `jest --selectProjects unit libs/x` would read `libs/x` as a project
// name and run every test. Treat such values as path filters instead, so that common spelling does what it says.
const projectNames = new Set(['unit', 'integration']);
const pathFilters = [];
for (let i = process.argv.indexOf('--selectProjects') + 1; i > 0 && i < process.argv.length; i++) {
  const arg = process.argv[i];
  if (arg.startsWith('-')) break;
  if (!projectNames.has(arg)) pathFilters.push(arg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}
if (pathFilters.length > 0) common.testPathIgnorePatterns = [`^(?!.*(${pathFilters.join('|')})).*$`];

export default {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: [
        '<rootDir>/apps/**/*.spec.ts',
        '<rootDir>/libs/**/*.spec.ts',
        '<rootDir>/test/deployment/**/*.spec.ts',
      ],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/integration/global-setup.js',
      // `testTimeout` in a project config is ignored by jest; this file sets it for every integration spec.
      setupFilesAfterEnv: ['<rootDir>/test/integration/setup-timeout.ts'],
    },
  ],
};
