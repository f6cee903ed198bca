// Entry point loaded by the Functions host (package.json "main"). Telemetry is set up first so its instrumentation
// sees every module loaded after it; then configuration is checked so a bad deployment fails at start-up with a
// message naming the setting, and then every function registers itself.
import { setupTelemetry } from './telemetry';
setupTelemetry(process.env);

import { app } from '@azure/functions';
import { assertConfiguration } from './functions/dependencies';

assertConfiguration();
app.setup({ enableHttpStream: false });

import './functions/health';
import './functions/orchestrations';
import './functions/activities';
import './functions/migrations';
import './functions/schedules';
import './functions/schedule-timer';
import './functions/dashboard';
