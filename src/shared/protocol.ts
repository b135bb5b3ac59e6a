// The one message protocol between the dashboard webview and the extension host.
import type { HealthReport } from '../core/health/report';

export interface HistoryPoint {
  t: number;
  cpu: number | null;
  memory: number | null;
  disk: number | null;
}

/** Host → webview. */
export type HostMessage = { type: 'health'; report: HealthReport; history: HistoryPoint[] };

/** Webview → host. `ready` is sent once the page can receive; the host posts nothing before it. */
export type WebviewMessage = { type: 'ready' } | { type: 'runHealthCheck' } | { type: 'showStatus' };

export const DASHBOARD_VIEW_TYPE = 'codebaseGardener.dashboard';
