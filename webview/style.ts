export const STYLE = `
body { padding: 0 20px 20px; color: var(--vscode-foreground); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
header { display: grid; grid-template-columns: 1fr auto; align-items: center; gap: 4px 16px; margin: 16px 0 12px; }
.title { display: flex; align-items: center; gap: 12px; }
h1 { font-size: 1.6em; font-weight: 600; margin: 0; }
h2 { font-size: 1.1em; font-weight: 600; margin: 0 0 8px; }
.meta { color: var(--vscode-descriptionForeground); margin: 0; }
.actions { grid-row: 1 / span 2; grid-column: 2; display: flex; gap: 8px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 12px; margin: 12px 0 20px; }
.card { border: 1px solid var(--vscode-panel-border, var(--vscode-widget-border, transparent)); border-radius: 4px; padding: 12px; background: var(--vscode-editorWidget-background); }
.card-head { display: flex; justify-content: space-between; align-items: center; }
.card-head h2 { margin: 0; }
.value { font-size: 2em; font-weight: 600; margin: 8px 0 6px; font-variant-numeric: tabular-nums; }
.meter { height: 4px; background: var(--vscode-editorWidget-border, rgba(128,128,128,.3)); border-radius: 2px; overflow: hidden; }
.fill { height: 100%; }
.fill.healthy { background: var(--vscode-charts-green); }
.fill.warning { background: var(--vscode-charts-yellow); }
.fill.critical { background: var(--vscode-charts-red); }
.fill.unknown { background: var(--vscode-disabledForeground); }
.detail { color: var(--vscode-descriptionForeground); margin-top: 6px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.judged { color: var(--vscode-descriptionForeground); margin-top: 6px; }
.spark { width: 100%; height: 28px; margin-top: 6px; }
.spark polyline { fill: none; stroke: var(--vscode-charts-blue); stroke-width: 1.5; vector-effect: non-scaling-stroke; }
.pill { display: inline-flex; align-items: center; gap: 6px; padding: 1px 8px; border-radius: 10px; font-size: .9em; border: 1px solid var(--vscode-widget-border, rgba(128,128,128,.4)); }
.dot { width: 8px; height: 8px; border-radius: 50%; background: var(--vscode-disabledForeground); }
.pill.healthy .dot { background: var(--vscode-charts-green); }
.pill.warning .dot { background: var(--vscode-charts-yellow); }
.pill.critical .dot { background: var(--vscode-charts-red); }
.block { margin: 0 0 20px; }
.mono { font-family: var(--vscode-editor-font-family); }
ul { margin: 0; padding-left: 20px; }
li { margin: 2px 0; }
footer { margin-top: 8px; }
`;
