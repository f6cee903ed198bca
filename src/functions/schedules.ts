import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
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
import { resolveTenant } from '../tenants/resolve';

export function registerScheduleRoutes(deps: AppDeps): void {
  const { authLevel, guard } = apiAuth(deps.settings);
  /** The schedules of the tenant named by `?tenantId=` (absent: home); another tenant's are never reached. */
  const scoped =
    (handler: (scheduleDeps: ScheduleHttpDeps, request: HttpRequest) => Promise<HttpResponseInit>) =>
    async (request: HttpRequest): Promise<HttpResponseInit> => {
      const tenant = await resolveTenant(deps.tenants, request.query.get('tenantId'));
      if (!tenant.ok) return tenant.response;
      return handler(
        {
          repository: new ScheduleRepository(deps.store, tenant.tenantId),
          clock: deps.clock,
          notify: deps.settings.notify,
        },
        request,
      );
    };
  app.http('listSchedules', {
    route: 'schedules',
    methods: ['GET'],
    authLevel,
    handler: guard(scoped(listSchedulesHandler)),
  });
  app.http('getSchedule', {
    route: 'schedules/{name}',
    methods: ['GET'],
    authLevel,
    handler: guard(scoped(getScheduleHandler)),
  });
  app.http('putSchedule', {
    route: 'schedules/{name}',
    methods: ['PUT'],
    authLevel,
    handler: guard(scoped(putScheduleHandler)),
  });
  app.http('deleteSchedule', {
    route: 'schedules/{name}',
    methods: ['DELETE'],
    authLevel,
    handler: guard(scoped(deleteScheduleHandler)),
  });
  app.http('pauseSchedule', {
    route: 'schedules/{name}/pause',
    methods: ['POST'],
    authLevel,
    handler: guard(scoped((scheduleDeps, request) => pauseScheduleHandler(scheduleDeps, request, true))),
  });
  app.http('resumeSchedule', {
    route: 'schedules/{name}/resume',
    methods: ['POST'],
    authLevel,
    handler: guard(scoped((scheduleDeps, request) => pauseScheduleHandler(scheduleDeps, request, false))),
  });
}
