import { app, type HttpRequest } from '@azure/functions';
import {
  deleteScheduleHandler,
  getScheduleHandler,
  listSchedulesHandler,
  pauseScheduleHandler,
  putScheduleHandler,
  type ScheduleHttpDeps,
} from '../schedules/http';
import { scheduleNow } from '../schedules/clock';
import { ScheduleRepository } from '../schedules/repository';
import { appStore } from './dependencies';

const deps = (): ScheduleHttpDeps => ({ repository: new ScheduleRepository(appStore()), now: scheduleNow });
const authLevel = 'function';

app.http('listSchedules', {
  route: 'schedules',
  methods: ['GET'],
  authLevel,
  handler: (request: HttpRequest) => listSchedulesHandler(deps(), request),
});
app.http('getSchedule', {
  route: 'schedules/{name}',
  methods: ['GET'],
  authLevel,
  handler: (request: HttpRequest) => getScheduleHandler(deps(), request),
});
app.http('putSchedule', {
  route: 'schedules/{name}',
  methods: ['PUT'],
  authLevel,
  handler: (request: HttpRequest) => putScheduleHandler(deps(), request),
});
app.http('deleteSchedule', {
  route: 'schedules/{name}',
  methods: ['DELETE'],
  authLevel,
  handler: (request: HttpRequest) => deleteScheduleHandler(deps(), request),
});
app.http('pauseSchedule', {
  route: 'schedules/{name}/pause',
  methods: ['POST'],
  authLevel,
  handler: (request: HttpRequest) => pauseScheduleHandler(deps(), request, true),
});
app.http('resumeSchedule', {
  route: 'schedules/{name}/resume',
  methods: ['POST'],
  authLevel,
  handler: (request: HttpRequest) => pauseScheduleHandler(deps(), request, false),
});
