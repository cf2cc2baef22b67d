// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// Layering (DESIGN.md): apps import libs; libs never import apps; apps never import each other.
const appNames = ['api', 'operator', 'broker', 'console', 'cli'];
const appImportPatterns = (except) =>
  appNames
    .filter((name) => name !== except)
    .flatMap((name) => [`@tributary/${name}`, `@tributary/${name}/*`, `**/apps/${name}/**`, `../../${name}/*`, `../../../${name}/*`]);

export default tseslint.config(
  // Generated codecs are checked by tsc and by their tests, not held to hand-written style.
  { ignores: ['**/src/generated/**', '**/node_modules/**', '**/dist/**', 'apps/console/dist/**', 'coverage/**', '.tools/**', '.data/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Plain JavaScript files (bins, container health checks) run on Node.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: globals.node },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: appImportPatterns(''), message: 'libs never import apps (DESIGN.md)' }] }],
    },
  },
  ...appNames.map((name) => ({
    files: [`apps/${name}/**/*.ts`, `apps/${name}/**/*.tsx`],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: appImportPatterns(name), message: 'apps never import other apps (DESIGN.md)' }] }],
    },
  })),
);
