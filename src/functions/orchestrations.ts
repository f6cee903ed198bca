import * as df from 'durable-functions';
import { Orchestrators } from '../domain/workflow';
import { migrationOrchestrator } from '../orchestrations/migration';
import { migrationWaveOrchestrator } from '../orchestrations/wave';

df.app.orchestration(Orchestrators.migration, migrationOrchestrator);
df.app.orchestration(Orchestrators.wave, migrationWaveOrchestrator);
