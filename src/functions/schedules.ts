import { app, type HttpRequest } from '@azure/functions';
import type { AppDeps } from '../deps';
import { apiAuth } from '../http/auth';
import {
  deleteScheduleHandler,
  getScheduleHandler,
  listSchedulesHandler,
  pauseScheduleHandler,
  putScheduleHandler,
  type ScheduleHttpDeps,
} from '../schedules/http';
import { ScheduleRepository } from '../schedules/repository';

export function registerScheduleRoutes(deps: AppDeps): void {
  const { authLevel, guard } = apiAuth(deps.settings);
  const scheduleDeps: ScheduleHttpDeps = {
    repository: new ScheduleRepository(deps.store),
    clock: deps.clock,
    notify: deps.settings.notify,
  };
  app.http('listSchedules', {
    route: 'schedules',
    methods: ['GET'],
    authLevel,
    handler: guard((request: HttpRequest) => listSchedulesHandler(scheduleDeps, request)),
  });
  app.http('getSchedule', {
    route: 'schedules/{name}',
    methods: ['GET'],
    authLevel,
    handler: guard((request: HttpRequest) => getScheduleHandler(scheduleDeps, request)),
  });
  app.http('putSchedule', {
    route: 'schedules/{name}',
    methods: ['PUT'],
    authLevel,
    handler: guard((request: HttpRequest) => putScheduleHandler(scheduleDeps, request)),
  });
  app.http('deleteSchedule', {
    route: 'schedules/{name}',
    methods: ['DELETE'],
    authLevel,
    handler: guard((request: HttpRequest) => deleteScheduleHandler(scheduleDeps, request)),
  });
  app.http('pauseSchedule', {
    route: 'schedules/{name}/pause',
    methods: ['POST'],
    authLevel,
    handler: guard((request: HttpRequest) => pauseScheduleHandler(scheduleDeps, request, true)),
  });
  app.http('resumeSchedule', {
    route: 'schedules/{name}/resume',
    methods: ['POST'],
    authLevel,
    handler: guard((request: HttpRequest) => pauseScheduleHandler(scheduleDeps, request, false)),
  });
}
