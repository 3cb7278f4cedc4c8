import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const WORKSPACES = ['infra', 'terminology', 'fhir-hub', 'adapters', 'bots', 'ui'];

/** A workspace reaches another only through its package entry (`@simpul/<name>`), never into its src/. */
const crossWorkspaceImports = WORKSPACES.map((self) => ({
  files: [`${self}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: WORKSPACES.filter((other) => other !== self).map((other) => ({
          group: [`**/${other}/src/**`, `**/${other}/test/**`],
          message: `Import ${other} through its package entry (@simpul/${other}).`,
        })),
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.tools/**', 'data/**', 'ui/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  ...crossWorkspaceImports,
);
