/**
 * After jest's summary, lists every suite skipped because a program it needs is missing (test/support/tools.ts), with
 * the reason and the command that installs it: a green run on a bare machine says what it did not check.
 */
const path = require('node:path');

/** Same text as SKIPPED_MARK in test/support/tools.ts (this file is loaded by jest as plain JavaScript). */
const SKIPPED_MARK = ' — skipped: ';

/** @implements {import('@jest/reporters').Reporter} */
class SkippedSuitesReporter {
  /** @param {import('@jest/types').Config.GlobalConfig} globalConfig */
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  /**
   * @param {unknown} _contexts
   * @param {import('@jest/test-result').AggregatedResult} results
   */
  onRunComplete(_contexts, results) {
    const lines = [];
    for (const file of results.testResults) {
      /** @type {Map<string, number>} */
      const skipped = new Map();
      for (const test of file.testResults) {
        if (test.status !== 'pending') continue;
        const title = test.ancestorTitles.find((ancestor) => ancestor.includes(SKIPPED_MARK));
        if (!title) continue;
        const reason = title.slice(title.indexOf(SKIPPED_MARK) + SKIPPED_MARK.length);
        skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
      }
      for (const [reason, count] of skipped) {
        const where = path.relative(this.rootDir, file.testFilePath);
        lines.push(`  ${where} (${count} test${count === 1 ? '' : 's'}): ${reason}`);
      }
    }
    if (lines.length === 0) return;
    process.stderr.write(
      `\nSkipped, because a tool they need is missing (REQUIRE_ALL_TESTS=1 makes this fail the run):\n${lines.join('\n')}\n\n`,
    );
  }
}

module.exports = SkippedSuitesReporter;
