/** Small pieces every view uses: polling, status badges, progress, errors, confirmation, scrollable tables. */
import { cloneElement, isValidElement, type ComponentChildren, type VNode } from 'preact';
import { useCallback, useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';
import { linkParts, statusWords } from './format';

/** Every few seconds (3 s; ?refresh=<ms> for a wall screen or a test, at least 250). */
export const REFRESH_MS = Math.max(250, Number(new URLSearchParams(window.location.search).get('refresh')) || 3000);

export interface Polled<T> {
  data: T | undefined;
  error: Error | undefined;
  reload: () => void;
}

/** Loads now and again every `intervalMs` while `active`; a change of `key` starts over. */
export function usePoll<T>(load: () => Promise<T>, key: string, intervalMs = REFRESH_MS, active = true): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const value = await loadRef.current();
        if (stopped) return;
        setData(value);
        setError(undefined);
      } catch (caught) {
        if (!stopped) setError(caught instanceof Error ? caught : new Error(String(caught)));
      }
      if (!stopped && active) timer = setTimeout(() => void run(), intervalMs);
    };
    void run();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [key, tick, intervalMs, active]);
  const reload = useCallback(() => setTick((value) => value + 1), []);
  return { data, error, reload };
}

const STATUS_TONE: Record<string, string> = {
  completed: 'good',
  finished: 'good',
  active: 'info',
  completedWithErrors: 'bad',
  needsAttention: 'bad',
  failed: 'bad',
  cancelled: 'muted',
  rejected: 'muted',
  awaitingApproval: 'waiting',
  waitingForLicenses: 'waiting',
  paused: 'waiting',
};

export function StatusBadge({ status }: { status: string }) {
  return (
    <span class={`badge ${STATUS_TONE[status] ?? 'info'}`} data-status={status}>
      {statusWords(status)}
    </span>
  );
}

export function Badge({ tone, children }: { tone: string; children: ComponentChildren }) {
  return <span class={`badge ${tone}`}>{children}</span>;
}

export function Progress({ value, label }: { value: number; label: string }) {
  return (
    <div class="progress">
      <progress max={100} value={value} aria-label={label} data-progress={value} />
      <span aria-hidden="true">{value}%</span>
    </div>
  );
}

/** Text with its https links as links (reasons name the admin center). */
export function Linked({ text }: { text: string }) {
  return (
    <>
      {linkParts(text).map((part, index) =>
        part.href ? (
          <a key={index} href={part.href} target="_blank" rel="noopener noreferrer">
            {part.text}
          </a>
        ) : (
          <span key={index}>{part.text}</span>
        ),
      )}
    </>
  );
}

export function ErrorNotice({ error }: { error: Error | undefined }) {
  if (!error) return null;
  const problem = error instanceof ApiError ? error : undefined;
  return (
    <div class="notice bad" role="alert">
      <strong>{problem ? `${problem.title}` : 'Something went wrong'}</strong>
      <p>
        <Linked text={problem?.detail ?? error.message} />
      </p>
      {problem?.status === 401 && (
        <p>Open the console with ?code=&lt;function key&gt; in its address, or enter the key above.</p>
      )}
      {problem && problem.errors.length > 0 && (
        <ul>
          {problem.errors.map((item) => (
            <li key={`${item.field}${item.message}`}>
              <code>{item.field}</code> {item.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A wide table that scrolls sideways on a phone; focusable so keyboard users can scroll it too. */
export function TableScroll({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

export interface ConfirmRequest {
  title: string;
  message: ComponentChildren;
  confirmLabel: string;
  tone?: 'danger' | 'primary';
  /** Ask for a reason (approve, reject, cancel). */
  reason?: boolean;
  /** A checkbox to go with the confirmation (off at first), such as acknowledging data loss. */
  option?: string;
  onConfirm: (reason: string, option: boolean) => Promise<void> | void;
}

/** A modal confirmation (the browser's <dialog>: focus stays inside, Escape cancels). */
export function ConfirmDialog({ request, onClose }: { request: ConfirmRequest | undefined; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [option, setOption] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>(undefined);
  useEffect(() => {
    if (request && dialog.current && !dialog.current.open) {
      setReason('');
      setOption(false);
      setError(undefined);
      dialog.current.showModal();
    }
    if (!request && dialog.current?.open) dialog.current.close();
  }, [request]);
  if (!request) return <dialog ref={dialog} aria-label="Confirmation" />;
  const confirm = async () => {
    setBusy(true);
    try {
      await request.onConfirm(reason.trim(), option);
      onClose();
    } catch (caught) {
      setError(caught instanceof Error ? caught : new Error(String(caught)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <dialog ref={dialog} aria-labelledby="confirm-title" onClose={onClose} class="confirm">
      <h2 id="confirm-title">{request.title}</h2>
      <div class="confirm-message">{request.message}</div>
      {request.reason && (
        <Field label="Reason (optional, recorded with your name)">
          <input value={reason} onInput={(event) => setReason(event.currentTarget.value)} maxLength={500} />
        </Field>
      )}
      {request.option && (
        <label class="choice">
          <input type="checkbox" checked={option} onChange={(event) => setOption(event.currentTarget.checked)} />
          {request.option}
        </label>
      )}
      <ErrorNotice error={error} />
      <div class="actions">
        <button
          type="button"
          class={request.tone === 'danger' ? 'danger' : 'primary'}
          disabled={busy}
          onClick={() => void confirm()}
        >
          {request.confirmLabel}
        </button>
        <button type="button" onClick={onClose} disabled={busy}>
          Go back
        </button>
      </div>
    </dialog>
  );
}

let firstView = true;

/**
 * Moves focus to the view's heading when the view changes, so screen readers announce the new page. Not on the first
 * view of a page load: there the browser starts at the top, where the skip link is.
 */
export function useFocusHeading(key: string) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (firstView) firstView = false;
    else heading.current?.focus();
  }, [key]);
  return heading;
}

/**
 * A labelled form control: the label names the control by id (so its name is the label alone), and a problem the API
 * reported for the field is shown under it and tied to it (aria-invalid, aria-describedby).
 */
export function Field({
  label,
  error,
  children,
}: {
  label: ComponentChildren;
  error?: string;
  children: ComponentChildren;
}) {
  const id = useId();
  const errorId = `${id}-error`;
  const controls = (Array.isArray(children) ? children : [children]) as ComponentChildren[];
  let labelled = false;
  const content = controls.map((child) => {
    if (labelled || !isValidElement(child)) return child;
    labelled = true;
    return cloneElement(child as VNode<Record<string, unknown>>, {
      id,
      ...(error ? { 'aria-invalid': 'true', 'aria-describedby': errorId } : {}),
    });
  });
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {content}
      {error && (
        <span class="field-error" id={errorId}>
          {error}
        </span>
      )}
    </div>
  );
}
