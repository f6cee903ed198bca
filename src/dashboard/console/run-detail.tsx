/**
 * One run: stage timeline, live progress and ETA, why it waits (with the admin center link), the plan summary beside
 * Approve and Reject, every user with outcome, reason and Graph request-id, downloads, and the actions the run allows
 * now (Cancel, Re-check; Retry failed and Roll back when the API offers them).
 */
import { useRef, useState } from 'preact/hooks';
import { call, download, get } from './api';
import { formatDuration, formatInstant, formatNumber, relative } from './format';
import { allowed } from './actions';
import { href, navigate } from './router';
import { runLabel } from './runs';
import type { Migration } from './types';
import {
  Badge,
  ConfirmDialog,
  ErrorNotice,
  Linked,
  Progress,
  REFRESH_MS,
  StatusBadge,
  useFocusHeading,
  usePoll,
  type ConfirmRequest,
} from './ui';
import { UsersTable } from './run-users';

const STAGES: [string, string][] = [
  ['plan', 'Plan'],
  ['approval', 'Approval'],
  ['purchaseCheck', 'Licenses'],
  ['reassign', 'Reassign'],
  ['verify', 'Verify'],
  ['cleanup', 'Clean up'],
  ['report', 'Report'],
];

export function RunDetailView({ id, finished }: { id: string; finished: string[] }) {
  const heading = useFocusHeading(`run${id}`);
  const [isFinished, setFinished] = useState(false);
  const highest = useRef({ id, progress: 0 });
  const run = usePoll(
    async () => {
      const value = await get<Migration>(`/api/migrations/${encodeURIComponent(id)}`);
      setFinished(finished.includes(value.status));
      return steadyProgress(
        value,
        highest.current.id === id ? highest.current : (highest.current = { id, progress: 0 }),
      );
    },
    id,
    isFinished ? 30_000 : REFRESH_MS,
  );
  const [confirm, setConfirm] = useState<ConfirmRequest | undefined>(undefined);
  const data = run.data;
  return (
    <section aria-labelledby="run-title" data-migration-id={id} data-status={data?.status ?? ''}>
      <h1 id="run-title" tabIndex={-1} ref={heading}>
        {data ? runLabel(data) : `Run ${id}`}
      </h1>
      <ErrorNotice error={run.error} />
      {data && (
        <>
          <RunHeader run={data} />
          <Timeline run={data} finished={finished.includes(data.status)} />
          <RunState run={data} ask={setConfirm} reload={run.reload} />
          <RunActions run={data} finished={finished.includes(data.status)} ask={setConfirm} reload={run.reload} />
          {data.stage !== 'plan' && data.status !== 'pending' && data.status !== 'planning' && (
            <UsersTable
              id={id}
              version={`${data.status}|${data.counts.done}`}
              showMove={(data.run?.moves.length ?? 1) > 1}
              planOnly={['awaitingApproval', 'waitingForLicenses'].includes(data.status)}
            />
          )}
        </>
      )}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(undefined)} />
    </section>
  );
}

/** Links to the runs this one retries or rolls back, and those that retried or rolled it back. */
function Related({ run }: { run: Migration }) {
  const links: [string, string][] = [
    ...(run.rollbackOf ? [['Rolls back', run.rollbackOf] as [string, string]] : []),
    ...(run.retryOf ? [['Retries', run.retryOf] as [string, string]] : []),
    ...(run.rolledBackBy ?? []).map((id): [string, string] => ['Rolled back by', id]),
    ...(run.retriedBy ?? []).map((id): [string, string] => ['Retried by', id]),
  ];
  if (links.length === 0) return null;
  return (
    <ul class="meta plain">
      {links.map(([words, id]) => (
        <li key={`${words}${id}`}>
          {words} <a href={href('runs', id)}>{id}</a>
        </li>
      ))}
    </ul>
  );
}

/**
 * The status API can briefly report less progress than before, between one wave of batches ending and the run
 * counting it: the bar keeps the highest value this page has seen for the run, so it never moves back.
 */
function steadyProgress(run: Migration, highest: { progress: number }): Migration {
  highest.progress = Math.max(highest.progress, run.progress);
  return run.progress >= highest.progress ? run : { ...run, progress: highest.progress };
}

function RunHeader({ run }: { run: Migration }) {
  const summary = run.run;
  return (
    <div class="run-header">
      <StatusBadge status={run.status} />
      {summary?.dryRun && <Badge tone="info">dry run</Badge>}
      <span class="meta">
        {formatInstant(run.createdAt)}
        {summary?.startedBy && ` · started by ${summary.startedBy}`}
        {summary?.origin === 'schedule' && ` · schedule ${summary.scheduleName ?? ''}`}
        {summary && ` · ${summary.mode}, ${summary.strategy}`} · <span class="part">{run.id}</span>
      </span>
    </div>
  );
}

function Timeline({ run, finished }: { run: Migration; finished: boolean }) {
  const entered = new Map((run.stages ?? []).map((entry) => [entry.stage, entry.at]));
  const shown = STAGES.filter(
    ([stage]) =>
      entered.has(stage) ||
      (stage === 'approval'
        ? run.run?.requireApproval === true
        : stage === 'cleanup'
          ? run.run?.strategy === 'overlap'
          : true),
  ).filter(
    ([stage]) => !(run.run?.dryRun && ['approval', 'purchaseCheck', 'reassign', 'verify', 'cleanup'].includes(stage)),
  );
  return (
    <ol class="timeline" aria-label="Stages">
      {shown.map(([stage, words]) => {
        const current = !finished && run.stage === stage;
        const done = finished ? entered.has(stage) || stage === 'report' : entered.has(stage) && !current;
        const state = current ? 'current' : done ? 'done' : 'pending';
        return (
          <li key={stage} class={state} data-stage={stage} aria-current={current ? 'step' : undefined}>
            <span class="stage-name">{words}</span>
            <span class="stage-time">
              {entered.get(stage) ? formatInstant(entered.get(stage)) : state === 'pending' ? 'not yet' : ''}
            </span>
          </li>
        );
      })}
    </ol>
  );
}

interface ActionProps {
  run: Migration;
  ask: (request: ConfirmRequest) => void;
  reload: () => void;
}

const post = (url: string, reason: string) => call('POST', new URL(url).pathname, reason ? { reason } : {});

function RunState({ run, ask, reload }: ActionProps) {
  const moving = ['reassigning', 'verifying', 'cleaningUp'].includes(run.status);
  return (
    <div class="run-state">
      {(moving || run.progress > 0) && !run.run?.dryRun && (
        <div class="panel" data-testid="progress">
          <Progress value={run.progress} label="Users handled" />
          <p class="meta" aria-live="polite">
            {formatNumber(Math.max(0, run.counts.done - (run.counts.total - run.counts.toChange)))} of{' '}
            {formatNumber(run.counts.toChange)} users handled · {formatNumber(run.counts.moved)} moved ·{' '}
            {formatNumber(run.counts.failed)} failed
            {run.etaSeconds !== undefined && ` · about ${formatDuration(run.etaSeconds)} left`}
          </p>
        </div>
      )}
      {run.waitingFor && <Waiting run={run} ask={ask} reload={reload} />}
      {(allowed(run, 'approve', false) || allowed(run, 'reject', false)) && (
        <Approval run={run} ask={ask} reload={reload} />
      )}
      {run.message && (
        <p class="notice info" data-testid="message">
          <Linked text={run.message} />
        </p>
      )}
      {run.approval?.decision && (
        <p class="meta">
          {run.approval.decision.approved ? 'Approved' : 'Rejected'}
          {run.approval.decision.by && ` by ${run.approval.decision.by}`} {formatInstant(run.approval.decision.at)}
          {run.approval.decision.reason && ` (${run.approval.decision.reason})`}
        </p>
      )}
      <Related run={run} />
    </div>
  );
}

function Waiting({ run, ask, reload }: ActionProps) {
  const waiting = run.waitingFor!;
  return (
    <div class="notice waiting" data-testid="waiting">
      <strong>Waiting for licenses</strong>
      <ul>
        {waiting.reasons.map((reason) => (
          <li key={reason} class="waiting-reason">
            <Linked text={reason} />
          </li>
        ))}
      </ul>
      <p class="meta">
        Since {formatInstant(waiting.since)}
        {waiting.nextCheckAt && ` · next check ${relative(waiting.nextCheckAt)}`}
        {waiting.deadline && ` · gives up ${formatInstant(waiting.deadline)}`}
      </p>
      {allowed(run, 'recheck', false) && (
        <button
          type="button"
          onClick={() =>
            ask({
              title: 'Check the licenses now?',
              message: 'The run checks the subscriptions at once instead of at its next check.',
              confirmLabel: 'Re-check now',
              onConfirm: async () => {
                await post(run.links.recheck, '');
                reload();
              },
            })
          }
        >
          Re-check
        </button>
      )}
    </div>
  );
}

function Approval({ run, ask, reload }: ActionProps) {
  const plan = run.plan;
  const decide = (approve: boolean) =>
    ask({
      title: approve ? 'Approve this run?' : 'Reject this run?',
      message: approve
        ? `${formatNumber(plan?.toChange ?? 0)} users will be moved once enough licenses are free.`
        : 'Nothing will be changed; the run ends as rejected.',
      confirmLabel: approve ? 'Approve' : 'Reject',
      tone: approve ? 'primary' : 'danger',
      reason: true,
      onConfirm: async (reason) => {
        await post(approve ? run.links.approve : run.links.reject, reason);
        reload();
      },
    });
  return (
    <div class="panel approval" data-testid="approval">
      <h2>Awaiting approval</h2>
      {plan && <PlanSummary plan={plan} />}
      {run.approval?.approvers && (
        <p class="meta">
          Who may decide:{' '}
          {[...run.approval.approvers.deployment, ...run.approval.approvers.run].join(', ') || 'any admin'}
          {run.approval.requireDifferentApprover && ' (not the person who asked)'}
        </p>
      )}
      <div class="actions">
        {allowed(run, 'approve', false) && (
          <button type="button" class="primary" onClick={() => decide(true)}>
            Approve
          </button>
        )}
        {allowed(run, 'reject', false) && (
          <button type="button" class="danger" onClick={() => decide(false)}>
            Reject
          </button>
        )}
      </div>
    </div>
  );
}

function PlanSummary({ plan }: { plan: NonNullable<Migration['plan']> }) {
  return (
    <div class="plan-summary" data-testid="plan-summary">
      <p>
        {formatNumber(plan.toChange)} to change, {formatNumber(plan.skipped)} to skip, {formatNumber(plan.blocked)}{' '}
        blocked (of {formatNumber(plan.total)}).
      </p>
      <ul>
        {plan.seats.map((seat) => (
          <li key={seat.skuId}>
            {seat.productName}: need {formatNumber(seat.needed)}, {formatNumber(seat.freeWhenPlanned)} free when planned
          </li>
        ))}
      </ul>
      {plan.downgrades.flatMap((downgrade) => downgrade.lostPlans).some((lost) => lost.holdsData) && (
        <p class="notice bad">
          Loses services that hold data:{' '}
          {plan.downgrades
            .flatMap((downgrade) => downgrade.lostPlans)
            .filter((lost) => lost.holdsData)
            .map((lost) => lost.friendlyName)
            .join(', ')}
        </p>
      )}
    </div>
  );
}

function RunActions({ run, finished, ask, reload }: ActionProps & { finished: boolean }) {
  const [error, setError] = useState<Error | undefined>(undefined);
  const save = (format: 'json' | 'csv') =>
    download(
      `${new URL(run.links.report).pathname}${format === 'csv' ? '?format=csv' : ''}`,
      `migration-${run.id}.${format}`,
      format === 'csv' ? 'text/csv' : 'application/json',
    ).catch((caught: unknown) => setError(caught instanceof Error ? caught : new Error(String(caught))));
  const act = (url: string, title: string, label: string, message: string) =>
    ask({
      title,
      message,
      confirmLabel: label,
      tone: 'danger',
      reason: true,
      onConfirm: async (reason) => {
        await post(url, reason);
        reload();
      },
    });
  return (
    <div class="actions run-actions">
      <Downloads save={save} ready={run.status !== 'planning' && run.status !== 'pending'} />
      {allowed(run, 'cancel', finished) && (
        <button
          type="button"
          class="danger"
          onClick={() =>
            act(
              run.links.cancel,
              'Cancel this run?',
              'Cancel the run',
              'No new batch starts; users already moved stay moved and the report says who.',
            )
          }
        >
          Cancel
        </button>
      )}
      <LinkedRunButtons run={run} finished={finished} ask={ask} />
      <ErrorNotice error={error} />
    </div>
  );
}

/** Retry failed and Roll back: each starts a new run (the body takes run options, not a reason) and opens it. */
function LinkedRunButtons({ run, finished, ask }: Omit<ActionProps, 'reload'> & { finished: boolean }) {
  const startLinked = (url: string, title: string, label: string, message: string, option: [string, string]) =>
    ask({
      title,
      message,
      confirmLabel: label,
      tone: 'danger',
      option: option[1],
      onConfirm: async (_reason, checked) => {
        const answer = await call<{ id: string }>('POST', new URL(url).pathname, checked ? { [option[0]]: true } : {});
        navigate(href('runs', answer.body.id));
      },
    });
  return (
    <>
      {allowed(run, 'retry', finished) && run.links.retry && (
        <button
          type="button"
          onClick={() =>
            startLinked(
              run.links.retry!,
              'Retry the failed users?',
              'Retry failed',
              'A new run tries the users whose change failed again, and those blocked for a reason that may have been fixed (usage location, disabled account, group or clashing license), re-planned from fresh reads. It takes this run’s options, its approval among them.',
              ['includeDisabledUsers', 'Move disabled accounts too'],
            )
          }
        >
          Retry failed
        </button>
      )}
      {allowed(run, 'rollback', finished) && run.links.rollback && (
        <button
          type="button"
          class="danger"
          onClick={() =>
            startLinked(
              run.links.rollback!,
              'Roll this run back?',
              'Roll back',
              'A new run gives the users this run moved the licenses they had before, in paced atomic batches, and reports on each. Users changed since are left alone. It takes this run’s options, its approval among them.',
              [
                'acknowledgeDataLoss',
                'Go ahead where the licenses restored lack services that hold data (otherwise the rollback stops, changing nobody)',
              ],
            )
          }
        >
          Roll back
        </button>
      )}
    </>
  );
}

function Downloads({ save, ready }: { save: (format: 'json' | 'csv') => Promise<void>; ready: boolean }) {
  return (
    <>
      <button type="button" onClick={() => void save('json')} disabled={!ready}>
        Download JSON
      </button>
      <button type="button" onClick={() => void save('csv')} disabled={!ready}>
        Download CSV
      </button>
    </>
  );
}
