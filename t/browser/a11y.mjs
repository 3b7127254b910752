// Shared by the page-quality scripts (ux_handoff.mjs, ux_forms.mjs,
// ux_pages.mjs): axe-core (exactly the version pinned in
// t/browser/package.json) injected into a page, the "nothing scrolls
// sideways at 320 px" check, and checkState(), which checks one page state
// at 390 and 1280 px, light and dark, and at 320 px, with a screenshot of
// each.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { show } from './common.mjs';

const require = createRequire(import.meta.url);
const AXE_PATH = require.resolve('axe-core/axe.min.js');
const AXE_SOURCE = fs.readFileSync(AXE_PATH, 'utf8');
export const AXE_VERSION = JSON.parse(
    fs.readFileSync(path.join(path.dirname(AXE_PATH), 'package.json'), 'utf8')).version;

export const SIZES = [{ width: 390, height: 844 }, { width: 1280, height: 800 }];
export const SCHEMES = ['light', 'dark'];
export const NARROW = { width: 320, height: 640 };
// The buttons' and links' colour transitions (.15 s) after a scheme switch.
const SETTLE_MS = 400;

// axe-core's violations (WCAG 2.x A and AA, best practices) of the page as
// it is now, as "id (impact): target, target" strings; [] when there is
// none. The script is evaluated by DevTools, so the page's CSP does not
// apply to it.
export async function axeViolations(page) {
    await page.evaluate(AXE_SOURCE);
    return page.evaluate(async () => {
        // eslint-disable-next-line no-undef
        const r = await axe.run(document, { resultTypes: ['violations'] });
        return r.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(', ')}`);
    });
}

// { ok, scroll, inner }: ok when the widest thing on the page is no wider
// than the window (no horizontal scroll bar).
export async function sideways(page) {
    const o = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
    return { ok: o.scroll <= o.inner, ...o };
}

// Checks one page state and screenshots it, in OUTDIR:
//   - at 390 and 1280 px, light and dark: axe-core finds 0 violations;
//     PREFIX-NAME-WIDTH-SCHEME.png (and -part.png of `part`, a selector);
//   - at 320 px, light: nothing scrolls sideways; PREFIX-NAME-NARROW.png.
// `reach` (optional) brings the page to the state again after each switch
// (a state that exists once is checked as it is, without it). The viewport
// is put back as it was; the scheme ends light. One test per check, on tap.
export async function checkState(tap, page, { name, outdir, prefix = 'ux', reach, part, narrow = '320-light' }) {
    const restore = page.viewportSize();
    const shot = async (suffix) => {
        await page.screenshot({ path: path.join(outdir, `${prefix}-${name}-${suffix}.png`), fullPage: true });
        if (part) {
            await page.locator(part).first().screenshot({ path: path.join(outdir, `${prefix}-${name}-${suffix}-part.png`) });
        }
    };
    const settle = async (size, scheme) => {
        await page.setViewportSize(size);
        await page.emulateMedia({ colorScheme: scheme });
        if (reach) await reach();
        await page.waitForTimeout(SETTLE_MS);
    };
    for (const size of SIZES) {
        for (const scheme of SCHEMES) {
            await settle(size, scheme);
            const v = await axeViolations(page);
            tap.ok(v.length === 0, `${name} (${size.width} px, ${scheme}): axe-core ${AXE_VERSION} finds 0 violations`,
                v.join('\n'));
            await shot(`${size.width}-${scheme}`);
        }
    }
    await settle(NARROW, 'light');
    const o = await sideways(page);
    tap.ok(o.ok, `${name} (${NARROW.width} px): nothing scrolls sideways`, show(o));
    await shot(narrow);
    if (restore) await page.setViewportSize(restore);
}

// The focused element: its id, tag and text, and the text of what
// describes it (aria-describedby): where a refused form put the focus.
export async function focused(page) {
    return page.evaluate(() => {
        const el = document.activeElement;
        const ids = (el && el.getAttribute('aria-describedby')) || '';
        const desc = ids.split(/\s+/).map((id) => document.getElementById(id))
            .filter(Boolean).map((e) => e.textContent).join(' ');
        return { id: el ? el.id : '', tag: el ? el.tagName : '', text: el ? el.textContent : '', desc };
    });
}
