/** Hash routes (#/licenses, #/runs/<id>, …): the page is one document, so the key in its URL stays where it is. */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { view: 'licenses'; sku?: string }
  | { view: 'new' }
  | { view: 'runs' }
  | { view: 'run'; id: string }
  | { view: 'schedules' }
  | { view: 'schedule'; name?: string }
  | { view: 'tenants' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const [view, arg] = parts;
  switch (view) {
    case 'new':
      return { view: 'new' };
    case 'runs':
      return arg ? { view: 'run', id: arg } : { view: 'runs' };
    case 'schedules':
      if (arg === 'new') return { view: 'schedule' };
      return arg ? { view: 'schedule', name: arg } : { view: 'schedules' };
    case 'tenants':
      return { view: 'tenants' };
    case 'licenses':
      return arg ? { view: 'licenses', sku: arg } : { view: 'licenses' };
    default:
      return { view: 'runs' };
  }
}

export const href = (...parts: string[]): string => `#/${parts.map(encodeURIComponent).join('/')}`;

export function navigate(to: string): void {
  window.location.hash = to;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
