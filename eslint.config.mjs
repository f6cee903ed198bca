// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import fence from './eslint-rules/allowed-imports.mjs';

const root = import.meta.dirname;

/** Replayed code must not read the clock, draw random numbers or touch the process (shared by orchestrations and domain). */
const determinism = {
  'no-restricted-globals': [
    'error',
    { name: 'fetch', message: 'No I/O here.' },
    { name: 'setTimeout', message: 'Use context.df.createTimer.' },
    { name: 'setInterval', message: 'Use context.df.createTimer.' },
    { name: 'setImmediate', message: 'Not deterministic.' },
    { name: 'process', message: 'No environment access here.' },
    { name: 'require', message: 'No dynamic loading here.' },
    { name: 'crypto', message: 'Use context.df.newGuid.' },
    { name: 'performance', message: 'Use context.df.currentUtcDateTime.' },
  ],
  'no-restricted-properties': [
    'error',
    {
      object: 'Date',
      property: 'now',
      message: 'Use context.df.currentUtcDateTime (or take the instant as an argument).',
    },
    { object: 'Math', property: 'random', message: 'Use context.df.newGuid.' },
    { object: 'console', message: 'Log through context.log when !context.df.isReplaying.' },
  ],
  'no-restricted-syntax': [
    'error',
    {
      selector: "NewExpression[callee.name='Date'][arguments.length=0]",
      message: 'new Date() reads the clock: use context.df.currentUtcDateTime (or take the instant as an argument).',
    },
    { selector: "CallExpression[callee.name='Date']", message: 'Date() reads the clock.' },
  ],
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      '.data/**',
      'artifacts/**',
      '**/*.js',
      '**/*.cjs',
      'src/dashboard/assets/**',
      'eslint.config.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      eqeqeq: ['error', 'smart'],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
    },
  },
  {
    // The product must never depend on the local stand-ins for Azure. Outside orchestrations (which use
    // currentUtcDateTime), time comes from the Clock the composition root passes in, so tests can move it.
    files: ['src/**/*.ts'],
    plugins: { 'license-shift': fence },
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/emulators/**', '**/emulators'], message: 'src/ must not import emulators/.' }] },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'Read time from the Clock in deps (src/clock.ts).',
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'new Date() reads the wall clock: use the Clock in deps (src/clock.ts).',
        },
      ],
      // Functions read top to bottom in one screen; a longer one is split into named steps.
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['src/clock.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // Orchestrator code is replayed: it may depend on durable-functions and the pure domain only.
    files: ['src/orchestrations/**/*.ts'],
    rules: {
      'license-shift/allowed-imports': [
        'error',
        {
          root,
          layer: 'Orchestrations (replayed, deterministic)',
          packages: ['durable-functions'],
          folders: ['src/orchestrations', 'src/domain'],
        },
      ],
      ...determinism,
    },
  },
  {
    // The domain is pure: no I/O, no clock, nothing but its own modules and pure libraries.
    files: ['src/domain/**/*.ts'],
    rules: {
      'license-shift/allowed-imports': [
        'error',
        { root, layer: 'src/domain (pure, no I/O)', packages: ['zod', 'croner'], folders: ['src/domain'] },
      ],
      ...determinism,
    },
  },
  {
    // The project's own lint rules: plain ES modules run by ESLint under Node.
    files: ['eslint-rules/**/*.mjs', 'test/**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
  },
  {
    // The operator console runs in browsers (Preact, bundled by esbuild): browser globals, its own tsconfig, type-checked
    // like the rest. Time comes from the browser's clock, in one module (console/time.ts).
    files: ['src/dashboard/console/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../*'], message: 'The console talks to the API only; it imports no server code.' }] },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'Read the time through console/time.ts.',
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'Read the time through console/time.ts.',
        },
        {
          selector: "JSXAttribute[name.name='dangerouslySetInnerHTML']",
          message: 'Insert values as text, never as HTML.',
        },
      ],
    },
  },
  {
    files: ['src/dashboard/console/time.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // Tests reach into JSON bodies of HTTP responses; strict unsafe-* checks add noise there without catching bugs.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Tests run on clocks that start at one fixed instant (test/support/clock.ts), so they pass at any date and hour.
    // Where real time is meant (a polling deadline, a measured duration), disable the rule for that line with the reason.
    files: ['test/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'Date',
          property: 'now',
          message:
            'Tests must not read the wall clock: use the host clock, or TEST_START_MS from test/support/clock.ts.',
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'new Date() reads the wall clock: use testStart() from test/support/clock.ts, or the host clock.',
        },
        { selector: "CallExpression[callee.name='Date']", message: 'Date() reads the wall clock.' },
      ],
    },
  },
  prettier,
);
