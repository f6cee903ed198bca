/**
 * New migration: pick the source and target by product name from the inventory, choose the users, mode, strategy,
 * plans to switch off and options, and see the live preview (seats, blocked users, data loss) before Start or
 * Request approval.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, call, get } from './api';
import { formatNumber } from './format';
import { href, navigate } from './router';
import type { FieldProblem, Inventory, InventorySku, MigrationRequestBody, Preview } from './types';
import { ErrorNotice, useFocusHeading, usePoll, Field } from './ui';
import { parseUsers } from './users-input';
import { PreviewPanel } from './preview';

export interface MigrationForm {
  from: string;
  to: string;
  usersKind: 'all' | 'group' | 'list';
  groupId: string;
  list: string;
  mode: 'swap' | 'replace';
  strategy: 'atomic' | 'overlap';
  disabledPlans: string[];
  usageLocation: string;
  includeDisabledUsers: boolean;
  keepDisabledPlans: boolean;
  acknowledgeDataLoss: boolean;
}

const EMPTY: MigrationForm = {
  from: '',
  to: '',
  usersKind: 'all',
  groupId: '',
  list: '',
  mode: 'swap',
  strategy: 'atomic',
  disabledPlans: [],
  usageLocation: '',
  includeDisabledUsers: false,
  keepDisabledPlans: true,
  acknowledgeDataLoss: false,
};

/** The request the form describes, or undefined while it lacks what every request needs. */
export function requestOf(form: MigrationForm): MigrationRequestBody | undefined {
  if (!form.to || (form.mode === 'swap' && !form.from)) return undefined;
  let users: MigrationRequestBody['moves'][number]['users'] | undefined;
  if (form.usersKind === 'all') users = { all: true };
  else if (form.usersKind === 'group') users = form.groupId.trim() ? { groupId: form.groupId.trim() } : undefined;
  else users = parseUsers(form.list).selector;
  if (!users) return undefined;
  const move = {
    ...(form.from ? { from: form.from } : {}),
    to: form.to,
    users,
    ...(form.disabledPlans.length > 0 ? { disabledPlans: form.disabledPlans } : {}),
    keepDisabledPlans: form.keepDisabledPlans,
  };
  return {
    moves: [move],
    mode: form.mode,
    strategy: form.strategy,
    ...(form.usageLocation.trim() ? { usageLocation: form.usageLocation.trim() } : {}),
    includeDisabledUsers: form.includeDisabledUsers,
    acknowledgeDataLoss: form.acknowledgeDataLoss,
  };
}

type PreviewState = { busy: boolean; preview?: Preview; error?: Error; dryRunId?: string };

/** Asks for a preview half a second after the last change. */
function usePreview(request: MigrationRequestBody | undefined): PreviewState {
  const [state, setState] = useState<PreviewState>({ busy: false });
  const key = request ? JSON.stringify(request) : '';
  useEffect(() => {
    if (!request) {
      setState({ busy: false });
      return undefined;
    }
    let current = true;
    setState((earlier) => ({ ...earlier, busy: true }));
    const timer = setTimeout(() => {
      call<Preview | { mode: 'dryRun'; id: string }>('POST', '/api/migrations/preview', request).then(
        ({ body }) => {
          if (!current) return;
          setState(body.mode === 'dryRun' ? { busy: false, dryRunId: body.id } : { busy: false, preview: body });
        },
        (error: unknown) =>
          current && setState({ busy: false, error: error instanceof Error ? error : new Error(String(error)) }),
      );
    }, 500);
    return () => {
      current = false;
      clearTimeout(timer);
    };
    // The request is compared by its JSON text.
  }, [key]);
  return state;
}

export function NewMigrationView() {
  const heading = useFocusHeading('new');
  const inventory = usePoll(() => get<Inventory>('/api/skus'), 'new-inventory', 60_000);
  const [form, setForm] = useState<MigrationForm>(EMPTY);
  const request = useMemo(() => requestOf(form), [form]);
  const preview = usePreview(request);
  const [startError, setStartError] = useState<Error | undefined>(undefined);
  const [starting, setStarting] = useState(false);
  const problems = preview.error instanceof ApiError ? preview.error.errors : [];
  const start = async (requireApproval: boolean) => {
    if (!request) return;
    setStarting(true);
    try {
      const { body } = await call<{ id: string }>('POST', '/api/migrations', { ...request, requireApproval });
      navigate(href('runs', body.id));
    } catch (caught) {
      setStartError(caught instanceof Error ? caught : new Error(String(caught)));
    } finally {
      setStarting(false);
    }
  };
  const update = (patch: Partial<MigrationForm>) => setForm((earlier) => ({ ...earlier, ...patch }));
  return (
    <section aria-labelledby="new-title">
      <h1 id="new-title" tabIndex={-1} ref={heading}>
        New migration
      </h1>
      <ErrorNotice error={inventory.error} />
      <div class="split">
        <form class="panel form" onSubmit={(event) => event.preventDefault()} aria-label="Migration request">
          <ProductPickers form={form} update={update} skus={inventory.data?.skus ?? []} problems={problems} />
          <UsersPicker form={form} update={update} problems={problems} />
          <ModeOptions form={form} update={update} />
          <PlanPicker form={form} update={update} skus={inventory.data?.skus ?? []} />
          <Options form={form} update={update} problems={problems} />
          <ErrorNotice error={startError} />
          <div class="actions">
            <button type="button" class="primary" disabled={!request || starting} onClick={() => void start(false)}>
              Start
            </button>
            <button type="button" disabled={!request || starting} onClick={() => void start(true)}>
              Request approval
            </button>
          </div>
        </form>
        <PreviewPanel state={preview} complete={request !== undefined} />
      </div>
    </section>
  );
}

interface PartProps {
  form: MigrationForm;
  update: (patch: Partial<MigrationForm>) => void;
  problems?: FieldProblem[];
}

function fieldProblem(problems: FieldProblem[] | undefined, prefix: string): string | undefined {
  const found = problems?.find(
    (problem) =>
      problem.field === prefix || problem.field.startsWith(`${prefix}[`) || problem.field.startsWith(`${prefix}.`),
  );
  return found?.message;
}

function skuOption(sku: InventorySku, seatsWord: 'held' | 'free') {
  const seats =
    seatsWord === 'held' ? `${formatNumber(sku.seats.consumed)} assigned` : `${formatNumber(sku.seats.free)} free`;
  return (
    <option key={sku.skuId} value={sku.skuPartNumber}>
      {sku.productName} ({seats})
    </option>
  );
}

function ProductPickers({ form, update, skus, problems }: PartProps & { skus: InventorySku[] }) {
  const assignable = skus.filter((sku) => sku.appliesTo === 'User');
  const fromProblem = fieldProblem(problems, 'moves[0].from');
  const toProblem = fieldProblem(problems, 'moves[0].to');
  return (
    <fieldset>
      <legend>Products</legend>
      <Field error={fromProblem} label={<>From {form.mode === 'replace' && '(optional in replace mode)'}</>}>
        <select value={form.from} onChange={(event) => update({ from: event.currentTarget.value })}>
          <option value="">Choose the license to move from</option>
          {assignable.map((sku) => skuOption(sku, 'held'))}
        </select>
      </Field>
      <Field label="To" error={toProblem}>
        <select value={form.to} onChange={(event) => update({ to: event.currentTarget.value, disabledPlans: [] })}>
          <option value="">Choose the license to move to</option>
          {assignable.map((sku) => skuOption(sku, 'free'))}
        </select>
      </Field>
    </fieldset>
  );
}

function UsersPicker({ form, update, problems }: PartProps) {
  const parsed = form.usersKind === 'list' ? parseUsers(form.list) : undefined;
  const problem = fieldProblem(problems, 'moves[0].users');
  const readFile = async (file: File | undefined) => {
    if (file) update({ list: await file.text() });
  };
  const kinds = [
    ['all', 'Everyone who holds the source license'],
    ['group', 'Members of a group'],
    ['list', 'A list of users (paste, or upload a CSV)'],
  ] as const;
  return (
    <fieldset>
      <legend>Users</legend>
      {kinds.map(([kind, words]) => (
        <label class="choice" key={kind}>
          <input
            type="radio"
            name="users"
            value={kind}
            checked={form.usersKind === kind}
            onChange={() => update({ usersKind: kind })}
          />
          {words}
        </label>
      ))}
      {form.usersKind === 'group' && (
        <Field label="Group object id">
          <input
            value={form.groupId}
            placeholder="b7e1d2c3-8f4a-4d6b-9b2e-7c3e0f5d4a81"
            onInput={(event) => update({ groupId: event.currentTarget.value })}
          />
        </Field>
      )}
      {form.usersKind === 'list' && (
        <>
          <Field label="User principal names or object ids, one a line (or a CSV with a userPrincipalName column)">
            <textarea rows={6} value={form.list} onInput={(event) => update({ list: event.currentTarget.value })} />
          </Field>
          <Field label="Or upload a CSV or text file">
            <input
              type="file"
              accept=".csv,.txt,text/csv,text/plain"
              onChange={(event) => void readFile(event.currentTarget.files?.[0])}
            />
          </Field>
          <p class="hint" aria-live="polite">
            {parsed?.count ?? 0} users read
            {parsed && parsed.ignored.length > 0 ? `; ignored: ${parsed.ignored.slice(0, 5).join(', ')}` : ''}
          </p>
        </>
      )}
      {problem && (
        <p class="field-error" role="alert">
          {problem}
        </p>
      )}
    </fieldset>
  );
}

function ModeOptions({ form, update }: PartProps) {
  return (
    <fieldset>
      <legend>How</legend>
      <Field label="Mode">
        <select
          value={form.mode}
          onChange={(event) => update({ mode: event.currentTarget.value as MigrationForm['mode'] })}
        >
          <option value="swap">Swap: remove only the source, keep every other license</option>
          <option value="replace">Replace: remove every directly assigned license</option>
        </select>
      </Field>
      <Field label="Strategy">
        <select
          value={form.strategy}
          onChange={(event) => update({ strategy: event.currentTarget.value as MigrationForm['strategy'] })}
        >
          <option value="atomic">Atomic: add and remove in one call per user</option>
          <option value="overlap">Overlap: add now, remove the source once the new license is verified</option>
        </select>
      </Field>
    </fieldset>
  );
}

function PlanPicker({ form, update, skus }: PartProps & { skus: InventorySku[] }) {
  const target = skus.find((sku) => sku.skuPartNumber === form.to);
  if (!target) return null;
  const toggle = (name: string, on: boolean) =>
    update({ disabledPlans: on ? [...form.disabledPlans, name] : form.disabledPlans.filter((plan) => plan !== name) });
  return (
    <fieldset>
      <legend>Switch off on {target.productName}</legend>
      <details>
        <summary>
          {form.disabledPlans.length} of {target.servicePlans.length} service plans switched off
        </summary>
        <div class="plan-grid">
          {target.servicePlans.map((plan) => (
            <label class="choice" key={plan.servicePlanId}>
              <input
                type="checkbox"
                checked={form.disabledPlans.includes(plan.servicePlanName)}
                onChange={(event) => toggle(plan.servicePlanName, event.currentTarget.checked)}
              />
              {plan.friendlyName}
              {plan.holdsData && <span class="part"> (holds data)</span>}
            </label>
          ))}
        </div>
      </details>
    </fieldset>
  );
}

function Options({ form, update, problems }: PartProps) {
  const locationProblem = fieldProblem(problems, 'usageLocation');
  const check = (name: 'includeDisabledUsers' | 'keepDisabledPlans' | 'acknowledgeDataLoss', words: string) => (
    <label class="choice">
      <input
        type="checkbox"
        checked={form[name]}
        onChange={(event) => update({ [name]: event.currentTarget.checked })}
      />
      {words}
    </label>
  );
  return (
    <fieldset>
      <legend>Options</legend>
      <Field error={locationProblem} label="Usage location for users who have none (two letters, e.g. US)">
        <input
          value={form.usageLocation}
          maxLength={2}
          size={4}
          onInput={(event) => update({ usageLocation: event.currentTarget.value.toUpperCase() })}
        />
      </Field>
      {check('keepDisabledPlans', 'Plans switched off on the source stay off')}
      {check('includeDisabledUsers', 'Also move disabled accounts')}
      {check('acknowledgeDataLoss', 'I know this move loses services that hold data')}
    </fieldset>
  );
}
