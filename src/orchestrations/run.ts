/**
 * The state a migration run carries from stage to stage: its counts and the custom status the API reads. Stages
 * change the counts, publish, and end the run through `finish`.
 */
import type { OrchestrationContext, Task } from 'durable-functions';
import type { MigrationStatus } from '../domain/status';
import type { FinalizeInput, MigrationCustomStatus, MigrationInput, MigrationOutput } from '../domain/workflow';
import { finishedEvent } from '../domain/notify';
import { callActivity } from './calls';
import { notify } from './notify';

export type RunCounts = MigrationCustomStatus['counts'];

/** How a run ends: its final status, what it says, and how many users still need a move. */
export interface RunEnd {
  status: MigrationStatus;
  message?: string;
  remaining: number;
}

export class MigrationRun {
  readonly counts: RunCounts = { total: 0, toChange: 0, done: 0, moved: 0, skipped: 0, failed: 0, blocked: 0 };
  #status: MigrationCustomStatus;
  /** Said at the end of the final message, whatever the end (from the plan: a part a rollback cannot restore). */
  readonly #notes: string[] = [];

  constructor(
    readonly context: OrchestrationContext,
    readonly input: MigrationInput,
  ) {
    this.#status = { status: 'planning', stage: 'plan', counts: this.counts, stageStartedAt: this.nowIso() };
  }

  get migrationId(): string {
    return this.input.migrationId;
  }

  get options(): MigrationInput['options'] {
    return this.input.options;
  }

  /** The status the run shows now. */
  get status(): MigrationStatus {
    return this.#status.status;
  }

  nowMs(): number {
    return this.context.df.currentUtcDateTime.getTime();
  }

  nowIso(): string {
    return this.context.df.currentUtcDateTime.toISOString();
  }

  /** Updates the custom status (the counts are always the current ones). */
  publish(patch: Partial<MigrationCustomStatus>): void {
    this.#status = { ...this.#status, ...patch, counts: { ...this.counts } };
    this.context.df.setCustomStatus(this.#status);
  }

  /**
   * Moves the run to a new stage. The message stays: what the run said last (who approved, a license note) is
   * published just before a stage change, in the same episode, and would otherwise never be seen.
   */
  *enterStage(status: MigrationStatus, stage: string): Generator<Task, void, unknown> {
    this.publish({ status, stage, stageStartedAt: this.nowIso(), waitingFor: undefined });
    yield* callActivity(this.context, 'recordStage', { migrationId: this.migrationId, status, stage });
  }

  /** Notes for the end of the final message. */
  addNotes(notes: readonly string[]): void {
    this.#notes.push(...notes);
  }

  /**
   * Stores the report summary, then returns the output. The final status becomes visible with the output, once the
   * report is stored: a client that sees "completed" can read the whole report at once.
   */
  *finish(ending: RunEnd): Generator<Task, MigrationOutput, unknown> {
    const end =
      this.#notes.length > 0
        ? { ...ending, message: [ending.message, ...this.#notes].filter(Boolean).join(' ') }
        : ending;
    this.publish({ stage: 'report' });
    const finalize: FinalizeInput = {
      migrationId: this.migrationId,
      status: end.status,
      counts: { ...this.counts },
      message: end.message,
    };
    yield* callActivity(this.context, 'finalizeMigration', finalize);
    const event = finishedEvent(end.status);
    if (this.input.notify && event) {
      // The report is stored: show the final status while the notification goes out, then tell the targets.
      this.publish({ status: end.status, ...(end.message !== undefined ? { message: end.message } : {}) });
      yield* notify(this, event, end.message !== undefined ? { message: end.message } : {});
    }
    const output: MigrationOutput = { status: end.status, counts: { ...this.counts }, remaining: end.remaining };
    if (end.message !== undefined) output.message = end.message;
    return output;
  }
}
