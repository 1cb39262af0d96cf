// What the browser scripts share: axe-core run on a page (WCAG 2.1 A and AA and best
// practice) with a full-page screenshot, recorded in a report.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** An `audit(page, name, status, report)` that saves screenshots in `dir`. */
export function auditor(dir) {
  return async function audit(page, name, status, report) {
    // Injected through DevTools: the pages' CSP (rightly) refuses an added script tag.
    await page.evaluate(AXE);
    const result = await page.evaluate(async () =>
      // eslint-disable-next-line no-undef
      axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } }),
    );
    await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
    report.pages.push({
      name,
      status,
      title: await page.title(),
      violations: result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })),
    });
  };
}
