// The linter of `npm run lint` (with the dependency rules of .dependency-cruiser.cjs):
// typescript-eslint's recommended rules, plus the type-aware rules that catch a promise nobody
// waits for, which in a consumer loop or an HTTP handler loses an error or an offset commit.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.run/**', '**/coverage/**', 'infra/grafana/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  {
    // The ops board's page script runs in the browser, with uPlot loaded by the page before it.
    files: ['services/board/public/**/*.js'],
    languageOptions: { globals: { ...globals.browser, uPlot: 'readonly' } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    rules: {
      // `const { dropped: _dropped, ...rest } = x` is how the code leaves a field out.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // `cond ? a() : b()` as a statement is a style the scenario generator uses.
      '@typescript-eslint/no-unused-expressions': ['error', { allowTernary: true }],
    },
  },
  {
    files: ['shared/*/src/**/*.ts', 'services/*/src/**/*.ts', 'tests/src/**/*.ts'],
    languageOptions: {
      // One program for the whole tree (tsconfig.eslint.json) instead of one per package: the
      // type-aware rules then cost one type check, not eighteen.
      parserOptions: { project: './tsconfig.eslint.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
);
