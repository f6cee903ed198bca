/**
 * Waiting for group licensing (docs/group-moves.md): Entra processes a group's license change, or a new member, in
 * the background. Each step of the group moves starts its own wait (`start`), with its own deadline.
 */
import { DurableWait } from './waiting';
import type { MigrationRun } from './run';

export class GroupWait extends DurableWait {
  constructor(run: MigrationRun) {
    super(run, 'processingGroups');
  }

  protected reasonOf(reasons: string[]): string {
    return reasons[0] ?? 'waiting for group processing';
  }
}
