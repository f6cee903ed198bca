/** The console: header and navigation, the view the address names, and the function key when the API asks for one. */
import { useState } from 'preact/hooks';
import { initialKey, initialTenant, setKey, setTenant, vocabulary } from './api';
import { LicensesView } from './licenses';
import { NewMigrationView } from './new-migration';
import { RunDetailView } from './run-detail';
import { RunsView } from './runs';
import { href, navigate, useRoute, type Route } from './router';
import { ScheduleEditView, SchedulesView } from './schedules';
import { TenantSwitcher, TenantsView } from './tenants';
import { Field } from './ui';

const words = vocabulary();

const NAV: [Route['view'], string, string][] = [
  ['licenses', 'Licenses', href('licenses')],
  ['new', 'New migration', href('new')],
  ['runs', 'Runs', href('runs')],
  ['schedules', 'Schedules', href('schedules')],
  ['tenants', 'All tenants', href('tenants')],
];

const section = (view: Route['view']) => (view === 'run' ? 'runs' : view === 'schedule' ? 'schedules' : view);

function View({ route, onSwitch }: { route: Route; onSwitch: (id: string | null) => void }) {
  switch (route.view) {
    case 'tenants':
      return <TenantsView onSwitch={onSwitch} />;
    case 'licenses':
      return <LicensesView sku={route.sku} />;
    case 'new':
      return <NewMigrationView />;
    case 'run':
      return <RunDetailView id={route.id} finished={words.finished} />;
    case 'schedules':
      return <SchedulesView />;
    case 'schedule':
      return <ScheduleEditView name={route.name} />;
    default:
      return <RunsView statuses={words.statuses} />;
  }
}

/** Asks for the function key when the page was opened without one (API_AUTH=functionKey). */
function KeyForm({ onSaved }: { onSaved: () => void }) {
  const [value, setValue] = useState('');
  return (
    <form
      class="key-form"
      aria-label="Function key"
      onSubmit={(event) => {
        event.preventDefault();
        setKey(value);
        onSaved();
      }}
    >
      <Field label="Function key (npm start prints it; in Azure, a function or host key of the app)">
        <input
          type="password"
          autoComplete="off"
          value={value}
          onInput={(event) => setValue(event.currentTarget.value)}
        />
      </Field>
      <button type="submit" class="primary">
        Use this key
      </button>
    </form>
  );
}

export function App() {
  const route = useRoute();
  const [hasKey, setHasKey] = useState(() => initialKey() !== null || words.auth === 'appService');
  const [generation, setGeneration] = useState(0);
  useState(initialTenant);
  // Another tenant: every view loads again, from that tenant (a run's page goes back to the runs: its id is the old
  // tenant's).
  const switchTenant = (id: string | null) => {
    setTenant(id);
    if (route.view === 'run' || route.view === 'tenants' || route.view === 'schedule') navigate(href('runs'));
    setGeneration((value) => value + 1);
  };
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href('runs')}>
          license-shift
        </a>
        <nav aria-label="Console">
          <ul>
            {NAV.map(([view, label, link]) => (
              <li key={view}>
                <a href={link} aria-current={section(route.view) === view ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <TenantSwitcher key={generation} ready={hasKey} onSwitch={switchTenant} />
      </header>
      <main id="main" key={generation}>
        {!hasKey && (
          <KeyForm
            onSaved={() => {
              setHasKey(true);
              setGeneration((value) => value + 1);
            }}
          />
        )}
        <View route={route} onSwitch={switchTenant} />
      </main>
      <footer class="foot">
        Times in your browser's time zone · <a href="/api/openapi.json">API (OpenAPI)</a>
      </footer>
    </>
  );
}
