import * as df from 'durable-functions';
import { MIGRATION_ORCHESTRATOR, WAVE_GROUP_ORCHESTRATOR, WAVE_ORCHESTRATOR } from '../domain/workflow';
import { migrationOrchestrator } from '../orchestrations/migration';
import { migrationWaveOrchestrator } from '../orchestrations/wave';
import { migrationWaveGroupOrchestrator } from '../orchestrations/waves';

export function registerOrchestrations(): void {
  df.app.orchestration(MIGRATION_ORCHESTRATOR, migrationOrchestrator);
  df.app.orchestration(WAVE_ORCHESTRATOR, migrationWaveOrchestrator);
  df.app.orchestration(WAVE_GROUP_ORCHESTRATOR, migrationWaveGroupOrchestrator);
}
