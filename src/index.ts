// Entry point loaded by the Functions host (package.json "main"). Telemetry must be set up before
// anything else is imported so its instrumentation sees every module.
import { app } from '@azure/functions';

app.setup({ enableHttpStream: false });

import './functions/health';
