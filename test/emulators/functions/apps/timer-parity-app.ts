/**
 * Test-only function app for timer-trigger parity: overlap and past-due runs. Each schedule comes from an app setting,
 * so a test enables only the timer it needs (a missing setting leaves that function disabled).
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';

interface Invocation {
  function: string;
  startedAt: number;
  endedAt?: number;
  isPastDue: boolean;
  scheduleStatus: Timer['scheduleStatus'] | null;
}

const invocations: Invocation[] = [];
let running = 0;
let peak = 0;

async function record(name: string, timer: Timer, holdMs: number): Promise<void> {
  const entry: Invocation = {
    function: name,
    startedAt: performance.now(),
    isPastDue: timer.isPastDue,
    // The host hands over null when it keeps no schedule status for this timer (the type doesn't say so).
    scheduleStatus: timer.scheduleStatus ?? null,
  };
  invocations.push(entry);
  running++;
  peak = Math.max(peak, running);
  try {
    if (holdMs > 0) await new Promise((resolve) => setTimeout(resolve, holdMs));
  } finally {
    running--;
    entry.endedAt = performance.now();
  }
}

/** Runs longer than its every-second schedule. */
app.timer('SlowTick', {
  schedule: '%SLOW_TICK_SCHEDULE%',
  handler: (timer: Timer) => record('SlowTick', timer, Number(process.env.SLOW_TICK_HOLD_MS ?? '2200')),
});

/** Hourly, with the schedule monitor (on by default for schedules of a minute or longer). */
app.timer('HourlyTick', {
  schedule: '%HOURLY_SCHEDULE%',
  handler: (timer: Timer) => record('HourlyTick', timer, 0),
});

app.http('TimerLog', {
  route: 'timer-log',
  methods: ['GET'],
  handler: (_request, _context: InvocationContext) => ({ jsonBody: { invocations, peak } }),
});
