// @ts-check
import { builtinModules } from 'node:module';
import eslint from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Workflow code runs in Temporal's deterministic sandbox: a Node built-in there is a bug (I/O, clocks, randomness).
// As in Temporal's samples, importing one from workflow code — or from the shared modules it imports — is an error.
const nodeBuiltins = builtinModules.filter((name) => !name.startsWith('_')).flatMap((name) => [name, `node:${name}`]);
const sandboxed = nodeBuiltins.map((name) => ({
  name,
  message: 'Workflow code runs in the Temporal sandbox: do this in an activity instead.',
}));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tools/', '.data/', 'coverage/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Forgetting to await an activity or a Temporal call is a silent bug.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['workflows/**/*.ts', 'common/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: sandboxed }] },
  },
  {
    // Every change to an app goes through RunbookRun.change, which records its intent and outcome: the proxies that
    // reach the changing activities are for workflows/runbook.ts alone.
    files: ['workflows/**/*.ts'],
    ignores: ['workflows/runbook.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...sandboxed,
            {
              name: './activities',
              importNames: ['changes', 'starters'],
              message: 'Change an app through RunbookRun.change (workflows/runbook.ts): it records the change.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
