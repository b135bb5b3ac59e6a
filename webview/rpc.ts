// The page's side of the protocol: requests that resolve with the host's reply, and events.
import type { HostEvent, HostMessage, Method, Methods, WebviewMessage } from '../src/shared/protocol';

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  setState(state: unknown): void;
  getState(): unknown;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** A request the host refused or that failed there; `code` says which. */
export class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class Host {
  private readonly api = acquireVsCodeApi();
  private next = 1;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private readonly listeners: ((e: HostEvent) => void)[] = [];

  constructor() {
    window.addEventListener('message', (e: MessageEvent<HostMessage>) => this.receive(e.data));
  }

  get state(): Record<string, unknown> {
    return (this.api.getState() as Record<string, unknown> | undefined) ?? {};
  }

  /** What the page wants back after a reload or when shown again (the chosen range, say). */
  setState(s: Record<string, unknown>): void {
    this.api.setState(s);
  }

  ready(): void {
    this.api.postMessage({ kind: 'ready' });
  }

  request<M extends Method>(method: M, params: Methods[M]['params']): Promise<Methods[M]['result']> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.api.postMessage({ kind: 'request', id, method, params } as WebviewMessage);
    });
  }

  onEvent(listener: (e: HostEvent) => void): void {
    this.listeners.push(listener);
  }

  private receive(m: HostMessage): void {
    if (m?.kind === 'reply') {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.ok) w.resolve(m.result);
      else w.reject(new RequestError(m.error.code, m.error.message));
    } else if (m?.kind === 'event') {
      for (const l of this.listeners) l(m);
    }
  }
}
