import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

// Libs form a one-way graph and never import apps; apps import libs only through their # aliases.
const LIB_DEPENDENCIES = {
  contracts: [],
  'cj-scoring': [],
  infra: ['contracts'],
  'llm-providers': ['contracts'],
  'batch-store': ['contracts', 'infra', 'llm-providers'],
  'assessment-store': ['contracts', 'infra', 'cj-scoring'],
};
const ALIASES = [
  '#contracts',
  '#cj-scoring',
  '#infra',
  '#llm-providers',
  '#batch-store',
  '#assessment-store',
];

function libBoundaries() {
  return Object.entries(LIB_DEPENDENCIES).map(([lib, allowed]) => ({
    files: [`libs/${lib}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          // `paths`, not `patterns`: in gitignore syntax a leading # starts a comment.
          paths: ALIASES.filter((a) => a !== `#${lib}` && !allowed.includes(a.slice(1))).map((name) => ({
            name,
            message: `libs/${lib} may import only: ${allowed.join(', ') || 'nothing of ours'}`,
          })),
          patterns: [
            { group: ['**/apps/**'], message: 'libs never import apps' },
            {
              group: ['../../*/src/**', '../../../libs/**'],
              message: 'import other libs through their # alias',
            },
          ],
        },
      ],
    },
  }));
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', '.cache/**', '.run/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  ...libBoundaries(),
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'off',
    },
  },
);
