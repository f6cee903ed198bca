import { app } from '@azure/functions';
import { dashboardPage } from '../dashboard/page';

/** Anonymous: the page itself holds no data. Its API calls carry the function key the page was opened with (?code=). */
export function registerDashboard(): void {
  app.http('dashboard', {
    route: 'dashboard',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: () => {
      const page = dashboardPage();
      return { status: 200, headers: page.headers, body: page.html };
    },
  });
}
