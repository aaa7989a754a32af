// ESLint (flat config): typescript-eslint with type information over the
// TypeScript of src/, test/ and packages/. Formatting is Prettier's job
// (.prettierrc.json); eslint-config-prettier turns off the rules it owns.
// Run by `npm run lint` (with prettier --check, the type-check of the tests,
// and the native linters).
'use strict';

const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const prettier = require('eslint-config-prettier');

const NODE_GLOBALS = {
  process: 'readonly',
  Buffer: 'readonly',
  console: 'readonly',
  URL: 'readonly',
  setTimeout: 'readonly',
  clearTimeout: 'readonly',
};

module.exports = tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'build/**',
      'build-native/**',
      'native/**',
      'fixtures/**',
      'docs/**',
      'ops/**',
    ],
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        // each file is checked with the tsconfig.json nearest to it
        // (tsconfig.json for src/, test/tsconfig.json for test/, each package's own)
        projectService: true,
        tsconfigRootDir: __dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // promises: a floating promise is an unhandled rejection in a daemon that must not die
      // (tap's t.test/t.skip/t.todo queue the subtest and the parent waits for it: no await needed)
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafePromises: [{ from: 'package', package: '@tapjs/core', name: 'PromiseWithSubtest' }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      // (`typeof import('./x')` types a module loaded on demand with require())
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // the TypeScript compiler checks unused names too (noUnusedLocals/Parameters); `_x` marks one kept on purpose
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // An async function turns a synchronous throw into a rejected promise:
      // implementations of a Promise-returning interface (payment drivers,
      // route handlers, close()) stay async without awaiting anything.
      '@typescript-eslint/require-await': 'off',
      // This is CommonJS: the CLI and the daemon load modules on demand with
      // require() (start-up time; the native addon and libpcap are optional),
      // typed `as typeof import(...)`; an untyped require is an `any`, which
      // the no-unsafe-* rules already report.
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests read HTTP and CLI answers as parsed JSON (any) and check them
      // with tap's assertions at run time; typing every response body would
      // repeat the API's schemas in the tests without checking anything more.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // tests swap process.stdout.write and the like for a while and put the
      // saved method back; they never call it detached from its object
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['packages/tools/src/**/*.ts'],
    rules: {
      // The benchmarks and the fuzz driver read JSON that child processes and
      // earlier runs wrote (results, baselines, stats events) and print it;
      // like the tests, they check those values at run time, not by type.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // the few plain JavaScript files: this config and the tests' TypeScript loader hooks
    files: ['**/*.js', '**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { globals: NODE_GLOBALS },
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        exports: 'writable',
        __dirname: 'readonly',
        __filename: 'readonly',
      },
    },
  },
  prettier,
);
