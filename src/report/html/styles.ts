/** The page's only style sheet, inlined: system fonts, no images, nothing fetched. */
export const STYLES = String.raw`
:root {
  --fg: #1f2328; --muted: #59636e; --faint: #8c959f; --line: #d1d9e0; --bg: #ffffff; --panel: #f6f8fa;
  --fail: #cf222e; --pass: #1a7f37; --warn: #9a6700; --read: #0969da; --read-bg: #ddf4ff; --write: #cf222e; --write-bg: #ffebe9;
  --sel: #fff8c5; --row: 44px;
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
  --sans: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", Arial, sans-serif;
}
* { box-sizing: border-box; }
html, body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.45 var(--sans); }
a { color: var(--read); text-decoration: none; }
a:hover { text-decoration: underline; }
code, pre, .mono { font-family: var(--mono); font-size: 12.5px; }
h1, h2, h3 { margin: 0; font-weight: 600; }
.top { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; padding: 10px 20px; border-bottom: 1px solid var(--line); background: var(--panel); }
.top h1 { font-size: 16px; }
.top .meta { color: var(--muted); }
.count { font-weight: 600; }
.count.fail { color: var(--fail); } .count.pass { color: var(--pass); } .count.error { color: var(--warn); }
.banner { margin: 0; padding: 8px 20px; background: #fff1e5; color: #953800; border-bottom: 1px solid #ffd8b5; }
.layout { display: flex; align-items: flex-start; }
nav.picker { flex: 0 0 280px; position: sticky; top: 0; max-height: 100vh; overflow-y: auto; border-right: 1px solid var(--line); padding: 12px 0; }
nav.picker h2 { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); padding: 4px 16px; }
nav.picker ul { list-style: none; margin: 0 0 12px; padding: 0; }
nav.picker a { display: block; padding: 6px 16px; color: var(--fg); border-left: 3px solid transparent; }
nav.picker a:hover { background: var(--panel); text-decoration: none; }
nav.picker a.current { background: var(--panel); border-left-color: var(--fail); }
nav.picker .nav-name { display: block; font-weight: 500; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
nav.picker .nav-id { display: block; color: var(--muted); font-size: 12px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
main { flex: 1 1 auto; min-width: 0; padding: 16px 20px 40px; }
.scenario + .scenario, .scenario + .others { margin-top: 40px; }
.js .view:not(.current) { display: none; }
.js .view + .view { margin-top: 0; }
.sc-head { display: flex; align-items: baseline; gap: 10px; flex-wrap: wrap; }
.sc-head h2 { font-size: 20px; }
.sc-id { color: var(--muted); font-family: var(--mono); font-size: 12.5px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; background: var(--fail); white-space: nowrap; }
.badge.pass { background: var(--pass); } .badge.error { background: var(--warn); } .badge.soft { background: var(--panel); color: var(--fg); border: 1px solid var(--line); }
.message { margin: 8px 0 6px; font-size: 15px; white-space: pre-wrap; overflow-wrap: anywhere; }
.facts { display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 0; color: var(--muted); }
.facts div { display: flex; gap: 5px; } .facts dt { margin: 0; } .facts dd { margin: 0; color: var(--fg); font-weight: 500; }
.replay { display: flex; align-items: center; gap: 8px; margin: 12px 0; padding: 6px 6px 6px 12px; background: #0d1117; color: #e6edf3; border-radius: 6px; }
.replay .label { color: #9198a1; font-size: 12px; white-space: nowrap; }
.replay code { flex: 1; min-width: 0; overflow-x: auto; white-space: nowrap; padding: 2px 0; }
button { font: inherit; font-size: 12.5px; cursor: pointer; border: 1px solid var(--line); background: var(--bg); color: var(--fg); border-radius: 6px; padding: 3px 10px; }
button:hover { background: var(--panel); }
.replay button { background: #21262d; color: #e6edf3; border-color: #3d444d; }
.block { margin: 16px 0; }
.block > h3 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin-bottom: 6px; }
.explain { border: 1px solid var(--line); border-left: 4px solid var(--fail); border-radius: 6px; padding: 10px 14px; background: var(--bg); }
.explain .summary { margin: 0 0 8px; font-size: 15px; overflow-wrap: anywhere; }
.explain .none { margin: 0; color: var(--muted); }
ol.accesses { margin: 0; padding: 0; list-style: none; display: grid; grid-template-columns: auto max-content minmax(0, max-content) minmax(0, max-content) minmax(0, 1fr); row-gap: 3px; }
ol.accesses li { grid-column: 1 / -1; display: grid; grid-template-columns: subgrid; }
ol.accesses li a { grid-column: 1 / -1; display: grid; grid-template-columns: subgrid; column-gap: 12px; align-items: baseline; padding: 3px 6px; border-radius: 4px; color: var(--fg); }
ol.accesses li a:hover { background: var(--panel); text-decoration: none; }
ol.accesses li.flash a { animation: flash 1.6s ease-out; }
ol.accesses li.selected a { background: var(--sel); outline: 1px solid #d4a72c; }
.num { display: inline-flex; align-items: center; justify-content: center; min-width: 20px; height: 20px; padding: 0 4px; border-radius: 10px; font-size: 11.5px; font-weight: 700; color: #fff; background: var(--faint); }
.op-read .num { background: var(--read); } .op-write .num { background: var(--write); }
.acc-step { color: var(--muted); white-space: nowrap; }
.acc-task { font-weight: 600; max-width: 220px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.acc-what { font-family: var(--mono); font-size: 12.5px; overflow-wrap: anywhere; }
.acc-what .op { font-family: var(--sans); font-size: 11px; font-weight: 700; letter-spacing: .03em; }
.op-read .op { color: var(--read); } .op-write .op { color: var(--write); }
.acc-site { color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.acc-site code { color: var(--fg); }
pre.stack { margin: 0; padding: 10px 12px; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; overflow-x: auto; white-space: pre; }
ul.plain { margin: 0; padding-left: 18px; }
ul.advice { list-style: none; padding: 0; margin: 0; display: grid; gap: 8px; }
ul.advice > li { border: 1px solid var(--line); border-left: 4px solid var(--warn); border-radius: 6px; padding: 8px 12px; }
ul.advice .advice-msg { margin: 4px 0; overflow-wrap: anywhere; }
ul.advice .advice-sites { color: var(--muted); font-size: 13px; }
.site-ref code { color: var(--fg); }

/* The timeline: a column per lane, a row per step, drawn a screenful at a time. */
.timeline { border: 1px solid var(--line); border-radius: 6px; overflow: hidden; }
.tl-bar { display: flex; align-items: center; gap: 14px; flex-wrap: wrap; padding: 6px 10px; background: var(--panel); border-bottom: 1px solid var(--line); color: var(--muted); font-size: 12.5px; }
.tl-bar .spacer { flex: 1; }
.tl-key { display: inline-flex; align-items: center; gap: 5px; }
.key-run { display: inline-block; width: 10px; height: 14px; border-radius: 3px; background: #6e7781; }
.key-wait { display: inline-block; width: 0; height: 14px; border-left: 2px dashed #6e7781; margin: 0 4px; }
.tl-scroll { position: relative; overflow: auto; max-height: 72vh; }
.tl-head { position: sticky; top: 0; z-index: 3; display: flex; background: var(--bg); border-bottom: 1px solid var(--line); }
.tl-head .h-step { flex: none; padding: 6px 8px; color: var(--muted); font-size: 12px; text-align: right; align-self: flex-end; }
.tl-head .h-lanes { flex: none; position: relative; }
.tl-head .h-detail { flex: 1; display: flex; gap: 14px; padding: 6px 10px; color: var(--muted); font-size: 12px; align-self: flex-end; }
.with-acc .h-detail > span:first-child { flex: 0 0 50%; }
.lane-h { position: absolute; bottom: 0; display: flex; flex-direction: column; align-items: center; justify-content: flex-end; padding: 4px 1px; font-size: 12px; font-weight: 600; overflow: hidden; white-space: nowrap; }
.lane-h .lane-name { max-width: 100%; overflow: hidden; text-overflow: ellipsis; }
.lane-h .lane-origin { font-size: 10.5px; font-weight: 400; color: var(--muted); max-width: 100%; overflow: hidden; text-overflow: ellipsis; }
.vertical .lane-h .lane-name, .vertical .lane-h .lane-origin { writing-mode: vertical-rl; transform: rotate(180deg); max-height: 100%; max-width: none; }
.lane-h.dim { opacity: .45; font-weight: 400; }
.lane-h.unnamed .lane-name { display: none; }
.lane-h.overflow { overflow: visible; z-index: 1; }
.lane-h.overflow .lane-name { overflow: visible; }
.lane-h.involved { background: #fff8c5; border-radius: 4px 4px 0 0; }
.tl-body { position: relative; }
.row { position: absolute; left: 0; right: 0; height: var(--row); display: flex; border-bottom: 1px solid #eef1f4; cursor: default; }
.row:hover { background: #f6f8fa80; }
.row.has-access { background: #fffbe6; }
.row.selected { background: var(--sel); box-shadow: inset 3px 0 0 #d4a72c; }
.row.flash { animation: flash 1.6s ease-out; }
@keyframes flash { 0% { background: #ffd33d; } 100% { background: var(--sel); } }
.c-step { flex: none; display: flex; align-items: center; justify-content: flex-end; padding: 0 8px; text-align: right; color: var(--muted); font-family: var(--mono); font-size: 12px; line-height: 18px; white-space: nowrap; overflow: hidden; }
.c-lanes { flex: none; position: relative; }
.mark { position: absolute; top: 5px; bottom: 5px; border-radius: 4px; z-index: 2; }
.mark.activity { border-radius: 9px; }
.mark.acc-read { box-shadow: 0 0 0 2px var(--bg), 0 0 0 4px var(--read); }
.mark.acc-write { box-shadow: 0 0 0 2px var(--bg), 0 0 0 4px var(--write); }
.fold .mark { top: 14px; bottom: 14px; opacity: .45; }
.life { position: absolute; width: 0; border-left: 2px dashed; opacity: .7; z-index: 1; pointer-events: none; }
.life.dim { opacity: .25; }
.c-detail { flex: 1; min-width: 0; display: flex; gap: 14px; padding: 3px 10px; }
.with-acc .row.has-access .c-detail > .d-main { flex: 0 0 50%; max-width: 50%; }
.d-main { flex: 1 1 auto; min-width: 0; display: flex; flex-direction: column; justify-content: center; }
.d-head { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; line-height: 19px; }
.d-lane { font-weight: 700; }
.d-where { font-family: var(--mono); font-size: 12px; color: var(--muted); }
.d-next { color: var(--muted); font-size: 12.5px; }
.d-code { font-family: var(--mono); font-size: 12px; color: #424a53; white-space: pre; overflow: hidden; text-overflow: ellipsis; line-height: 17px; }
.d-note { font-size: 12px; color: var(--muted); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; line-height: 17px; }
.d-note b { color: var(--fg); font-weight: 600; }
.d-acc { flex: 1 1 0; min-width: 0; display: flex; flex-direction: column; justify-content: center; align-items: flex-start; gap: 3px; }
.chips.stacked { flex-direction: column; align-items: flex-start; gap: 2px; }
.chips.stacked .acc-code { max-width: 100%; }
.chips { display: flex; align-items: baseline; gap: 8px; max-width: 100%; overflow: hidden; }
.chip { display: inline-flex; align-items: center; gap: 5px; padding: 1px 8px 1px 2px; border-radius: 11px; font-family: var(--mono); font-size: 12px; white-space: nowrap; color: var(--fg); border: 1px solid transparent; flex: none; max-width: 70%; overflow: hidden; text-overflow: ellipsis; }
.chip:hover { text-decoration: none; border-color: currentColor; }
.chip.op-read { background: var(--read-bg); } .chip.op-write { background: var(--write-bg); } .chip.op-other { background: var(--panel); }
.chip .op { font-family: var(--sans); font-size: 10.5px; font-weight: 700; }
.chip.selected { outline: 2px solid #d4a72c; }
.acc-code { flex: 1 1 auto; min-width: 0; font-family: var(--mono); font-size: 11.5px; color: var(--muted); white-space: pre; overflow: hidden; text-overflow: ellipsis; }
.fold .d-main { flex-direction: row; align-items: center; justify-content: flex-start; gap: 10px; color: var(--muted); }
.fold .d-fold { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; font-style: italic; }
.fold button { flex: none; padding: 1px 8px; }
.others table { border-collapse: collapse; width: 100%; }
.others th, .others td { text-align: left; padding: 5px 10px 5px 0; border-bottom: 1px solid var(--line); vertical-align: top; }
.others th { font-size: 12px; color: var(--muted); font-weight: 600; }
.others td.num-cell { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.others .err { color: var(--warn); white-space: pre-wrap; overflow-wrap: anywhere; }
.empty { color: var(--muted); }
`;
