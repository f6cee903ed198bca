// Entry point loaded by the Functions host (package.json "main"). Telemetry is set up first so its instrumentation
// sees every module loaded after it; then the app is composed from the app settings, so a bad deployment fails at
// start-up with a message naming the setting.
import { setupTelemetry } from './telemetry/telemetry';
const telemetry = setupTelemetry(process.env);

import { createApp } from './app';

createApp({ env: process.env, telemetry });
