/** Schedules: every scheduled bulk move with its next occurrences, pause and resume, and a form to create or edit one. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { call, get } from './api';
import { formatInstant } from './format';
import { href, navigate } from './router';
import type { Inventory, MigrationRequestBody, Schedule } from './types';
import {
  ConfirmDialog,
  ErrorNotice,
  StatusBadge,
  TableScroll,
  useFocusHeading,
  usePoll,
  type ConfirmRequest,
  Field,
} from './ui';

export function SchedulesView() {
  const heading = useFocusHeading('schedules');
  const schedules = usePoll(() => get<{ schedules: Schedule[] }>('/api/schedules'), 'schedules', 15_000);
  const [confirm, setConfirm] = useState<ConfirmRequest | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const act = async (name: string, action: 'pause' | 'resume') => {
    try {
      await call('POST', `/api/schedules/${encodeURIComponent(name)}/${action}`);
      schedules.reload();
    } catch (caught) {
      setError(caught instanceof Error ? caught : new Error(String(caught)));
    }
  };
  const remove = (name: string) =>
    setConfirm({
      title: `Delete the schedule ${name}?`,
      message: 'No new waves start. Runs it already started go on.',
      confirmLabel: 'Delete',
      tone: 'danger',
      onConfirm: async () => {
        await call('DELETE', `/api/schedules/${encodeURIComponent(name)}`);
        schedules.reload();
      },
    });
  return (
    <section aria-labelledby="schedules-title">
      <div class="view-head">
        <h1 id="schedules-title" tabIndex={-1} ref={heading}>
          Schedules
        </h1>
        <a class="button primary" href={href('schedules', 'new')}>
          New schedule
        </a>
      </div>
      <ErrorNotice error={schedules.error ?? error} />
      {schedules.data?.schedules.length === 0 && <p class="empty">No schedules yet.</p>}
      {(schedules.data?.schedules.length ?? 0) > 0 && (
        <TableScroll label="Schedules">
          <table class="data" data-testid="schedules">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">When</th>
                <th scope="col">Next occurrences</th>
                <th scope="col">Last run</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {schedules.data?.schedules.map((schedule) => (
                <ScheduleRow key={schedule.name} schedule={schedule} act={act} remove={remove} />
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(undefined)} />
    </section>
  );
}

function ScheduleRow({
  schedule,
  act,
  remove,
}: {
  schedule: Schedule;
  act: (name: string, action: 'pause' | 'resume') => Promise<void>;
  remove: (name: string) => void;
}) {
  const { definition } = schedule;
  const window = definition.window
    ? `${definition.window.days.join(', ')} ${definition.window.start}–${definition.window.end}`
    : 'any time';
  return (
    <tr data-schedule={schedule.name}>
      <th scope="row">
        <a href={href('schedules', schedule.name)}>{schedule.name}</a>
      </th>
      <td>
        <StatusBadge status={schedule.status} />
      </td>
      <td>
        {definition.cron ? <code>{definition.cron}</code> : `once at ${formatInstant(definition.startAt)}`} (
        {definition.timeZone}), window {window}
        {definition.wave?.maxUsers && `, ${definition.wave.maxUsers} users a wave`}
      </td>
      <td>
        <ul class="plain">
          {(schedule.nextOccurrences ?? []).map((occurrence) => (
            <li key={occurrence}>{formatInstant(occurrence)}</li>
          ))}
        </ul>
      </td>
      <td>
        {schedule.lastMigrationId ? (
          <a href={href('runs', schedule.lastMigrationId)}>{schedule.lastMigrationId}</a>
        ) : (
          '—'
        )}
      </td>
      <td class="row-actions">
        {schedule.status === 'active' && (
          <button type="button" onClick={() => void act(schedule.name, 'pause')} aria-label={`Pause ${schedule.name}`}>
            Pause
          </button>
        )}
        {schedule.status === 'paused' && (
          <button
            type="button"
            onClick={() => void act(schedule.name, 'resume')}
            aria-label={`Resume ${schedule.name}`}
          >
            Resume
          </button>
        )}
        <button
          type="button"
          class="danger"
          onClick={() => remove(schedule.name)}
          aria-label={`Delete ${schedule.name}`}
        >
          Delete
        </button>
      </td>
    </tr>
  );
}

interface ScheduleForm {
  name: string;
  from: string;
  to: string;
  usageLocation: string;
  timing: 'cron' | 'once';
  cron: string;
  startAt: string;
  timeZone: string;
  windowDays: string[];
  windowStart: string;
  windowEnd: string;
  maxUsers: string;
  maxOccurrences: string;
  /** The request as JSON, when it is more than one move of everyone holding a license. */
  requestJson: string;
  /** The stored request being edited: fields the form does not show are kept. */
  base?: MigrationRequestBody;
}

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function formOf(schedule: Schedule | undefined): ScheduleForm {
  const definition = schedule?.definition;
  const request = definition?.request;
  const simple =
    request && request.moves.length === 1 && 'all' in request.moves[0]!.users ? request.moves[0] : undefined;
  return {
    name: schedule?.name ?? '',
    from: simple?.from ?? '',
    to: simple?.to ?? '',
    usageLocation: request?.usageLocation ?? '',
    timing: definition?.startAt ? 'once' : 'cron',
    cron: definition?.cron ?? '0 0 1 * * *',
    startAt: definition?.startAt ?? '',
    timeZone: definition?.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    windowDays: definition?.window?.days ?? [],
    windowStart: definition?.window?.start ?? '01:00',
    windowEnd: definition?.window?.end ?? '05:00',
    maxUsers: definition?.wave?.maxUsers ? String(definition.wave.maxUsers) : '',
    maxOccurrences: definition?.wave?.maxOccurrences ? String(definition.wave.maxOccurrences) : '',
    requestJson: request && !simple ? JSON.stringify(request, null, 2) : '',
    ...(request && simple ? { base: request } : {}),
  };
}

function bodyOf(form: ScheduleForm): Record<string, unknown> {
  let request: MigrationRequestBody;
  if (form.requestJson.trim()) request = JSON.parse(form.requestJson) as MigrationRequestBody;
  else {
    const base = form.base ?? { moves: [] };
    request = { ...base, moves: [{ ...base.moves[0], from: form.from, to: form.to, users: { all: true } }] };
    if (form.usageLocation.trim()) request.usageLocation = form.usageLocation.trim();
    else delete request.usageLocation;
  }
  // The stored definition has defaults applied; a schedule sets id, maxUsers and dryRun itself.
  delete request.id;
  delete request.maxUsers;
  delete request.dryRun;
  const wave: Record<string, number> = {};
  if (form.maxUsers) wave.maxUsers = Number(form.maxUsers);
  if (form.maxOccurrences) wave.maxOccurrences = Number(form.maxOccurrences);
  return {
    request,
    ...(form.timing === 'cron' ? { cron: form.cron.trim() } : { startAt: form.startAt.trim() }),
    timeZone: form.timeZone.trim(),
    ...(form.windowDays.length > 0
      ? { window: { days: form.windowDays, start: form.windowStart, end: form.windowEnd } }
      : {}),
    ...(Object.keys(wave).length > 0 ? { wave } : {}),
  };
}

export function ScheduleEditView({ name }: { name?: string }) {
  const heading = useFocusHeading(`schedule${name ?? ''}`);
  const [form, setForm] = useState<ScheduleForm | undefined>(name ? undefined : formOf(undefined));
  const [error, setError] = useState<Error | undefined>(undefined);
  const inventory = usePoll(() => get<Inventory>('/api/skus'), 'schedule-inventory', 60_000);
  useEffect(() => {
    if (!name) return;
    get<Schedule>(`/api/schedules/${encodeURIComponent(name)}`).then(
      (schedule) => setForm(formOf(schedule)),
      (caught: unknown) => setError(caught instanceof Error ? caught : new Error(String(caught))),
    );
  }, [name]);
  const save = async () => {
    if (!form) return;
    try {
      await call('PUT', `/api/schedules/${encodeURIComponent(form.name.trim())}`, bodyOf(form));
      navigate(href('schedules'));
    } catch (caught) {
      setError(caught instanceof Error ? caught : new Error(String(caught)));
    }
  };
  return (
    <section aria-labelledby="schedule-title">
      <h1 id="schedule-title" tabIndex={-1} ref={heading}>
        {name ? `Edit schedule ${name}` : 'New schedule'}
      </h1>
      <ErrorNotice error={error} />
      {form && (
        <form
          class="panel form"
          aria-label="Schedule"
          onSubmit={(event) => {
            event.preventDefault();
            void save();
          }}
        >
          <ScheduleFields
            form={form}
            editing={name !== undefined}
            skus={inventory.data?.skus ?? []}
            update={(patch) => setForm({ ...form, ...patch })}
          />
          <div class="actions">
            <button type="submit" class="primary">
              Save schedule
            </button>
            <a class="button" href={href('schedules')}>
              Back to schedules
            </a>
          </div>
        </form>
      )}
    </section>
  );
}

function ScheduleFields({
  form,
  editing,
  skus,
  update,
}: {
  form: ScheduleForm;
  editing: boolean;
  skus: Inventory['skus'];
  update: (patch: Partial<ScheduleForm>) => void;
}) {
  const assignable = skus.filter((sku) => sku.appliesTo === 'User');
  const text = (key: keyof ScheduleForm, label: string, extra: Record<string, unknown> = {}) => (
    <Field label={<>{label}</>}>
      <input value={form[key] as string} onInput={(event) => update({ [key]: event.currentTarget.value })} {...extra} />
    </Field>
  );
  const product = (key: 'from' | 'to', label: string) => (
    <Field label={<>{label}</>}>
      <select value={form[key]} onChange={(event) => update({ [key]: event.currentTarget.value })}>
        <option value="">Choose a license</option>
        {assignable.map((sku) => (
          <option key={sku.skuId} value={sku.skuPartNumber}>
            {sku.productName}
          </option>
        ))}
      </select>
    </Field>
  );
  return (
    <>
      <fieldset>
        <legend>What each wave moves</legend>
        {!editing &&
          text('name', 'Name (letters, digits, _ and -)', {
            required: true,
            pattern: '[A-Za-z0-9][A-Za-z0-9_\\-]{0,39}',
          })}
        {form.requestJson ? (
          <Field label="Migration request (JSON)">
            <textarea
              rows={10}
              value={form.requestJson}
              onInput={(event) => update({ requestJson: event.currentTarget.value })}
            />
          </Field>
        ) : (
          <>
            {product('from', 'From (everyone holding it)')}
            {product('to', 'To')}
            {text('usageLocation', 'Usage location for users who have none', { maxLength: 2, size: 4 })}
          </>
        )}
      </fieldset>
      <TimingFields form={form} update={update} text={text} />
    </>
  );
}

function TimingFields({
  form,
  update,
  text,
}: {
  form: ScheduleForm;
  update: (patch: Partial<ScheduleForm>) => void;
  text: (key: keyof ScheduleForm, label: string, extra?: Record<string, unknown>) => JSX.Element;
}) {
  return (
    <fieldset>
      <legend>When</legend>
      <label class="choice">
        <input
          type="radio"
          name="timing"
          checked={form.timing === 'cron'}
          onChange={() => update({ timing: 'cron' })}
        />
        Recurring (cron)
      </label>
      <label class="choice">
        <input
          type="radio"
          name="timing"
          checked={form.timing === 'once'}
          onChange={() => update({ timing: 'once' })}
        />
        Once
      </label>
      {form.timing === 'cron'
        ? text('cron', 'Cron (second minute hour day month weekday)')
        : text('startAt', 'Start at (ISO 8601 with time zone, e.g. 2026-12-05T01:00:00Z)')}
      {text('timeZone', 'Time zone (IANA, e.g. Europe/Berlin)')}
      <div class="days" role="group" aria-label="Window days">
        {DAYS.map((day) => (
          <label class="choice" key={day}>
            <input
              type="checkbox"
              checked={form.windowDays.includes(day)}
              onChange={(event) =>
                update({
                  windowDays: event.currentTarget.checked
                    ? [...form.windowDays, day]
                    : form.windowDays.filter((d) => d !== day),
                })
              }
            />
            {day}
          </label>
        ))}
      </div>
      {form.windowDays.length > 0 && (
        <>
          {text('windowStart', 'Window opens (HH:mm)')}
          {text('windowEnd', 'Window closes (HH:mm)')}
        </>
      )}
      {text('maxUsers', 'Users per wave (empty: no limit)', { inputMode: 'numeric' })}
      {text('maxOccurrences', 'Stop after this many waves (empty: when everyone moved)', { inputMode: 'numeric' })}
    </fieldset>
  );
}
