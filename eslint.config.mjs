// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

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
    // The product must never depend on the local stand-ins for Azure.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/emulators/**', '**/emulators'], message: 'src/ must not import emulators/.' }] },
      ],
    },
  },
  {
    // Orchestrator code is replayed: it must be deterministic and free of I/O.
    files: ['src/orchestrations/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'Orchestrations must not use Node built-ins (replay).' })),
            { name: '@microsoft/microsoft-graph-client', message: 'Graph calls belong in activities.' },
            { name: '@azure/identity', message: 'Credentials belong in activities.' },
            { name: '@azure/storage-blob', message: 'Storage belongs in activities.' },
            { name: 'applicationinsights', message: 'Telemetry is emitted from activities, never from replayed code.' },
          ],
          patterns: [
            { group: ['**/emulators/**'], message: 'src/ must not import emulators/.' },
            {
              group: ['**/graph/**', '**/storage/**', '**/activities/**', '**/telemetry/**'],
              message: 'Orchestrations call activities by name; they never do I/O themselves.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'fetch', message: 'No I/O in orchestrations.' },
        { name: 'setTimeout', message: 'Use context.df.createTimer.' },
        { name: 'setInterval', message: 'Use context.df.createTimer.' },
        { name: 'setImmediate', message: 'Not deterministic.' },
        { name: 'process', message: 'No environment access in orchestrations.' },
        { name: 'require', message: 'No dynamic loading in orchestrations.' },
        { name: 'crypto', message: 'Use context.df.newGuid.' },
        { name: 'performance', message: 'Use context.df.currentUtcDateTime.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Use context.df.currentUtcDateTime.' },
        { object: 'Math', property: 'random', message: 'Use context.df.newGuid.' },
        { object: 'console', message: 'Log through context.log when !context.df.isReplaying.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'new Date() reads the clock: use context.df.currentUtcDateTime.',
        },
        { selector: "CallExpression[callee.name='Date']", message: 'Date() reads the clock.' },
      ],
    },
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
