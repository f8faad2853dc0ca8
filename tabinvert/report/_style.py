"""The report's inline stylesheet (screen and print).

Risk badges carry their level as text and differ by border style as well as colour, so they
read in black and white; print rules (the PDF is printed with them) keep tables, figures,
summary cards, the context and the residual risk on one page where they fit, let the long
checklist and glossary tables break between rows, repeat table headers, number the pages and
force badge colours to print.
"""

CSS = """
:root { --ink: #1a1a1a; --muted: #555; --rule: #c8c8c8; --head: #eef1f4; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: var(--ink);
       background: #fff; max-width: 1000px; margin: 0 auto; padding: 24px 32px 48px;
       line-height: 1.45; font-size: 15px; }
h1 { font-size: 1.7em; margin: 0 0 0.2em; }
h2 { font-size: 1.3em; margin: 1.8em 0 0.5em; padding-bottom: 0.2em;
     border-bottom: 2px solid var(--ink); }
h3 { font-size: 1.05em; margin: 1.3em 0 0.4em; }
code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.88em; }
pre { white-space: pre-wrap; word-break: break-all; background: #f6f6f6; padding: 6px 8px;
      border: 1px solid var(--rule); }
.meta { color: var(--muted); margin: 0.1em 0; }
.scope { margin: 0.6em 0 0; }
nav { margin: 1em 0; padding: 6px 10px; border: 1px solid var(--rule); font-size: 0.9em; }
nav a { color: #0b4f8a; margin-right: 1em; }
.card { border: 1px solid var(--rule); border-left: 6px solid var(--ink); padding: 8px 14px;
        margin: 0.8em 0; }
.card h3 { margin: 0.2em 0 0.4em; display: flex; align-items: center; gap: 0.6em; }
.card .sentence { font-size: 1.05em; margin: 0.3em 0; }
.card .detail { color: var(--muted); font-size: 0.9em; margin: 0.2em 0; }
.badge { display: inline-block; padding: 1px 10px; border-radius: 3px; font-weight: bold;
         font-size: 0.85em; letter-spacing: 0.04em; text-transform: uppercase;
         border: 2px solid #000; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.risk-high { background: #b2182b; color: #fff; border-style: double; border-width: 4px; }
.risk-medium { background: #f4a582; color: #000; border-style: solid; }
.risk-low { background: #fde0c5; color: #000; border-style: dashed; }
.risk-none { background: #d1e5f0; color: #000; border-style: dotted; }
.risk-undetermined { background: #e0e0e0; color: #000; border-style: dotted; }
.risk-na { background: #fff; color: var(--muted); border-style: dotted;
           border-color: var(--muted); }
.card ul.access { list-style: none; padding: 0; margin: 0.4em 0; }
.card ul.access li { margin: 0.25em 0; }
.card ul.access .badge { font-size: 0.75em; }
.card .decides { margin: 0.3em 0; }
.card.risk-high, .card.risk-medium, .card.risk-low, .card.risk-none,
.card.risk-undetermined,
.card.risk-na { background: #fff; color: var(--ink); border-width: 1px 1px 1px 6px; }
.card.risk-high { border-left: 6px double #b2182b; }
.card.risk-medium { border-left-color: #d6604d; }
.card.risk-low { border-left-color: #f4a582; border-left-style: dashed; }
.card.risk-none { border-left-color: #4393c3; border-left-style: dotted; }
.explain { background: #f6f8fa; border: 1px solid var(--rule); padding: 8px 12px;
           font-size: 0.92em; }
.notice { border: 1px dashed var(--muted); padding: 8px 12px; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.84em; width: 100%; }
caption { text-align: left; color: var(--muted); padding: 0 0 4px; caption-side: top; }
th, td { border: 1px solid var(--rule); padding: 3px 6px; vertical-align: top;
         text-align: left; }
th { background: var(--head); font-weight: 600; -webkit-print-color-adjust: exact;
     print-color-adjust: exact; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) td { background: #fafafa; }
.note { color: var(--muted); font-size: 0.88em; }
figure { margin: 1em 0 1.6em; }
figure img { display: block; width: 100%; max-width: 760px; height: auto;
             border: 1px solid #eee; }
figcaption { color: var(--muted); font-size: 0.88em; margin-top: 4px; max-width: 760px; }
ol.advice li { margin: 0.4em 0; }
.context { margin: 0.8em 0 0; }
.context h3 { margin: 0.4em 0 0.3em; }
.context dl { margin: 0.2em 0; }
.residual ul.residual { margin: 0.3em 0 0.6em; padding-left: 1.2em; }
.residual ul.residual li { margin: 0.3em 0; }
.level { display: inline-block; padding: 0 6px; border-radius: 3px; font-weight: bold;
         font-size: 0.85em; letter-spacing: 0.04em; border: 2px solid #000;
         -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.level.risk-high { border-width: 3px; }
ul.sources { margin: 0.2em 0 0.6em; }
table.checklist, table.glossary { table-layout: fixed; }
table.checklist td, table.glossary td { overflow-wrap: anywhere; }
table.checklist td:first-child, table.glossary td:first-child { font-weight: 600; }
table.checklist th:nth-child(1) { width: 12%; }
table.checklist th:nth-child(2) { width: 25%; }
table.checklist th:nth-child(3), table.checklist th:nth-child(4) { width: 22%; }
table.checklist th:nth-child(5) { width: 19%; }
table.glossary th:nth-child(1) { width: 16%; }
table.glossary th:nth-child(3) { width: 30%; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 3px 14px; font-size: 0.9em; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
/* Printing only (the PDF): A4 pages, numbered. */
@page { size: A4; margin: 14mm 12mm 16mm;
        @bottom-right { content: "page " counter(page) " of " counter(pages);
                        font-size: 8pt; color: #555; } }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  nav { display: none; }
  a { color: inherit; text-decoration: none; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  table:not(.long):not(.checklist):not(.glossary), figure, .card, .explain, dl, pre,
  .block, .context, .residual {
    break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  tr, img { break-inside: avoid; page-break-inside: avoid; }
  /* A figure taller than a page is scaled down to fit on one, never cut. */
  figure img { width: auto; max-width: 100%; max-height: 235mm; border: none; }
  tbody tr:nth-child(even) td { background: none; }
}
"""
