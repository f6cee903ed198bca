/** The live preview of a request: seats against free ones, what the run would wait for, blocked users, data loss. */
import { blockWords, formatNumber } from './format';
import { href } from './router';
import type { Preview, PreviewUser } from './types';
import { Badge, ErrorNotice, Linked, TableScroll } from './ui';

const SHOWN = 200;

export function PreviewPanel({
  state,
  complete,
}: {
  state: { busy: boolean; preview?: Preview; error?: Error; dryRunId?: string };
  complete: boolean;
}) {
  const { preview } = state;
  return (
    <section
      class="panel preview"
      aria-labelledby="preview-title"
      data-testid="preview"
      aria-busy={state.busy ? 'true' : 'false'}
    >
      <h2 id="preview-title">Preview</h2>
      <p class="hint" aria-live="polite">
        {!complete ? 'Choose the products and users to see what would happen.' : state.busy ? 'Planning…' : ''}
      </p>
      <ErrorNotice error={state.error} />
      {state.dryRunId && (
        <p>
          This request names too many users to plan while you wait: a dry run plans it.{' '}
          <a href={href('runs', state.dryRunId)}>Follow the dry run</a>.
        </p>
      )}
      {preview && complete && <PreviewBody preview={preview} />}
    </section>
  );
}

function PreviewBody({ preview }: { preview: Preview }) {
  const blocked = preview.users.filter((user) => user.decision === 'blocked');
  const skipped = preview.users.filter((user) => user.decision === 'skip');
  return (
    <>
      <dl class="counts" data-testid="preview-counts">
        <div>
          <dt>To change</dt>
          <dd>{formatNumber(preview.toChange)}</dd>
        </div>
        <div>
          <dt>To skip</dt>
          <dd>{formatNumber(preview.skipped)}</dd>
        </div>
        <div>
          <dt>Blocked</dt>
          <dd>{formatNumber(preview.blocked)}</dd>
        </div>
      </dl>
      <Seats preview={preview} />
      {preview.reasons.length > 0 && (
        <div class="notice waiting" data-testid="preview-reasons">
          <strong>A run started now would wait:</strong>
          <ul>
            {preview.reasons.map((reason) => (
              <li key={reason}>
                <Linked text={reason} />
              </li>
            ))}
          </ul>
        </div>
      )}
      {preview.notes.map((note) => (
        <p class="hint" key={note}>
          {note}
        </p>
      ))}
      <DataLoss preview={preview} />
      <UserList title="Blocked users" users={blocked} testId="blocked-users" />
      {skipped.length > 0 && (
        <details>
          <summary>{skipped.length} users skipped</summary>
          <UserList title="Skipped users" users={skipped} testId="skipped-users" />
        </details>
      )}
    </>
  );
}

function Seats({ preview }: { preview: Preview }) {
  return (
    <ul class="seats" data-testid="preview-seats">
      {preview.seats.map((seat) => (
        <li key={seat.skuId} data-short={seat.short}>
          <strong>{seat.productName}</strong>: need {formatNumber(seat.needed)}, {formatNumber(seat.free)} free{' '}
          {seat.short > 0 ? (
            <Badge tone="bad">buy {formatNumber(seat.short)} more</Badge>
          ) : (
            <Badge tone="good">enough</Badge>
          )}
        </li>
      ))}
    </ul>
  );
}

function DataLoss({ preview }: { preview: Preview }) {
  const lost = preview.moves.flatMap((move) => move.lostPlans.map((plan) => ({ ...plan, label: move.label })));
  if (lost.length === 0) return null;
  return (
    <div class={`notice ${preview.needsDataLossAcknowledgement ? 'bad' : 'waiting'}`} data-testid="data-loss">
      <strong>
        {preview.needsDataLossAcknowledgement
          ? 'This move loses services that hold user data: tick "I know this move loses services that hold data" to run it.'
          : 'This move loses these services:'}
      </strong>
      <ul>
        {lost.map((plan) => (
          <li key={`${plan.label}${plan.servicePlanId}`}>
            {plan.friendlyName} <span class="part">{plan.servicePlanName}</span>
            {plan.holdsData && <Badge tone="bad">holds data</Badge>}
          </li>
        ))}
      </ul>
    </div>
  );
}

function UserList({ title, users, testId }: { title: string; users: PreviewUser[]; testId: string }) {
  if (users.length === 0) return null;
  return (
    <>
      <h3>
        {title} ({users.length})
      </h3>
      <TableScroll label={title}>
        <table class="data stack" data-testid={testId}>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {users.slice(0, SHOWN).map((user) => (
              <tr key={user.userId}>
                <td data-label="User">{user.userPrincipalName}</td>
                <td data-label="Why">
                  {user.code && <strong class="reason-code">{blockWords(user.code)}: </strong>}
                  {user.reason}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      {users.length > SHOWN && <p class="hint">and {users.length - SHOWN} more (the run's report lists everyone)</p>}
    </>
  );
}
