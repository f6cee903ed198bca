// Imported first by src/index.ts: sets up Application Insights before anything else is loaded.
import { setupTelemetry } from './telemetry';

setupTelemetry(process.env);
