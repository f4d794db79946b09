// ESLint (flat config): typescript-eslint's recommended rules over every TypeScript folder, plus two
// project rules: functions longer than ~80 lines are flagged (a warning: split them by their phases,
// CONTRIBUTING.md), and only extension/ and test/ may import `vscode` (the core runs in plain Node).
// `npm run lint`; formatting is prettier's job (`npm run format:check`), not ESLint's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NODE_GLOBALS = {
  process: 'readonly',
  console: 'readonly',
  Buffer: 'readonly',
  URL: 'readonly',
  setTimeout: 'readonly',
  clearTimeout: 'readonly',
};

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'node_modules/**',
      'samples/**',
      'test/fixtures/**',
      '.vscode-test/**',
      'test-artifacts/**',
      '.lab-cache/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      'max-lines-per-function': ['warn', { max: 80, skipBlankLines: true, skipComments: true }],
      // as tsc's noUnusedParameters: a leading underscore marks a parameter kept for its signature
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      // `let x!: T` assigned once after a closure that reads it is the definite-assignment idiom, not a missed const
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'vscode',
              message: 'only extension/ and test/ import vscode: the core runs in plain Node (README, Architecture)',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['extension/**/*.ts', 'test/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: NODE_GLOBALS },
  },
  {
    // plain CommonJS (the demo's helper extension)
    files: ['**/*.js'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'commonjs',
      globals: { ...NODE_GLOBALS, require: 'readonly', module: 'writable', exports: 'writable' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
