import { app, type HttpRequest } from '@azure/functions';
import type { AppDeps } from '../deps';
import {
  deleteScheduleHandler,
  getScheduleHandler,
  listSchedulesHandler,
  pauseScheduleHandler,
  putScheduleHandler,
  type ScheduleHttpDeps,
} from '../schedules/http';
import { ScheduleRepository } from '../schedules/repository';

const authLevel = 'function';

export function registerScheduleRoutes(deps: AppDeps): void {
  const scheduleDeps: ScheduleHttpDeps = {
    repository: new ScheduleRepository(deps.store),
    clock: deps.clock,
    notify: deps.settings.notify,
  };
  app.http('listSchedules', {
    route: 'schedules',
    methods: ['GET'],
    authLevel,
    handler: (request: HttpRequest) => listSchedulesHandler(scheduleDeps, request),
  });
  app.http('getSchedule', {
    route: 'schedules/{name}',
    methods: ['GET'],
    authLevel,
    handler: (request: HttpRequest) => getScheduleHandler(scheduleDeps, request),
  });
  app.http('putSchedule', {
    route: 'schedules/{name}',
    methods: ['PUT'],
    authLevel,
    handler: (request: HttpRequest) => putScheduleHandler(scheduleDeps, request),
  });
  app.http('deleteSchedule', {
    route: 'schedules/{name}',
    methods: ['DELETE'],
    authLevel,
    handler: (request: HttpRequest) => deleteScheduleHandler(scheduleDeps, request),
  });
  app.http('pauseSchedule', {
    route: 'schedules/{name}/pause',
    methods: ['POST'],
    authLevel,
    handler: (request: HttpRequest) => pauseScheduleHandler(scheduleDeps, request, true),
  });
  app.http('resumeSchedule', {
    route: 'schedules/{name}/resume',
    methods: ['POST'],
    authLevel,
    handler: (request: HttpRequest) => pauseScheduleHandler(scheduleDeps, request, false),
  });
}
