// The app as the local runtime loads it in these tests: the product's entry point plus the schedule, timer and
// dashboard functions (until src/index.ts imports them itself; importing a module twice registers it once).
import '../../src/index';
import '../../src/functions/schedules';
import '../../src/functions/schedule-timer';
import '../../src/functions/dashboard';
