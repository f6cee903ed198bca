import { app } from '@azure/functions';
import { dashboardPage } from '../dashboard/page';
import type { AppDeps } from '../deps';
import { apiAuth } from '../http/auth';

/**
 * Anonymous: the page itself holds no data. Its API calls go to this origin with the function key the page was opened
 * with (?code=), or, with App Service authentication (API_AUTH=appService), with the signed-in user's session.
 */
export function registerDashboard(deps: AppDeps): void {
  const { mode } = apiAuth(deps.settings);
  app.http('dashboard', {
    route: 'dashboard',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: () => {
      const page = dashboardPage({ auth: mode });
      return { status: 200, headers: page.headers, body: page.html };
    },
  });
}
