#!/usr/bin/env node
// t/browser/resume.mjs BASE_URL [OUTDIR]
//
// The resume on the profile page (interface.md, Profile and resume; Pages) in headless Chromium
// (Debian's /usr/bin/chromium): sign in with the form, choose a small
// generated PDF in the file input and press Upload (a real multipart/form-
// data POST with the page's CSRF field before the file), land back on the
// profile page (303) which lists the file with its size and a Download
// link; the link gives the same bytes as an attachment; a PNG renamed .pdf
// is refused on the page next to the input; Delete asks, then removes it. No console
// error, page error or CSP violation on the way. Prints TAP; exit status 0
// only if every test passed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
    Tap, guard, baseUrl, launchChromium, watchErrors, registerUser, show, runMain,
} from './common.mjs';

const BASE = baseUrl(process.argv, 'node t/browser/resume.mjs BASE_URL [OUTDIR]');
const OUTDIR = path.resolve(process.argv[3] || 'screenshots');
fs.mkdirSync(OUTDIR, { recursive: true });
const PROFILE = '/api/auth/profile';

const tap = new Tap('resume.mjs');
let browser;
const watchdog = guard(tap, { timeoutMs: 120000, cleanup: async () => { if (browser) await browser.close(); } });

// A small valid PDF (one empty page), with its xref offsets computed.
function makePdf(title) {
    const objs = [
        '<< /Type /Catalog /Pages 2 0 R >>',
        '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>',
        `<< /Title (${title}) >>`,
    ];
    let out = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
    const offsets = [];
    objs.forEach((body, i) => {
        offsets.push(Buffer.byteLength(out, 'latin1'));
        out += `${i + 1} 0 obj\n${body}\nendobj\n`;
    });
    const xref = Buffer.byteLength(out, 'latin1');
    out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
    for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
    out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R /Info 4 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
    return Buffer.from(out, 'latin1');
}

const textOf = async (page) => (await page.locator('body').innerText()).replace(/\s+/g, ' ');

async function main() {
    const reg = await registerUser(BASE, 'resume');
    tap.is(reg.status, 201, 'POST /auth/register (JSON) creates a fresh account: 201');
    const user = reg.fields;

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskauth-resume-'));
    const pdfName = 'Ada Lovelace CV.pdf';
    const pdfPath = path.join(dir, pdfName);
    const pdf = makePdf('Ada Lovelace');
    fs.writeFileSync(pdfPath, pdf);
    const pngPath = path.join(dir, 'photo.pdf');
    fs.writeFileSync(pngPath, Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'),
                                             Buffer.alloc(64)]));

    browser = await launchChromium();
    tap.ok(browser.isConnected(), `headless Chromium ${browser.version()} is up`);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const errors = await watchErrors(page);

    // --- sign in with the form ---------------------------------------------------
    await page.goto(`${BASE}/auth/login`, { waitUntil: 'load' });
    const form = page.locator('form:has(input[type=password])').first();
    await form.locator('input[type=email], input[name=email]').first().fill(user.email);
    await form.locator('input[type=password]').first().fill(user.password);
    await Promise.all([
        page.waitForURL((u) => u.pathname !== '/auth/login', { timeout: 15000 }).catch(() => {}),
        form.locator('button[type=submit], input[type=submit], button:not([type])').first().click(),
    ]);
    await page.waitForLoadState('load');
    tap.is(new URL(page.url()).pathname, PROFILE, 'signing in with the form lands on the profile page');
    tap.ok((await textOf(page)).includes('No resume uploaded yet'), 'the profile page says there is no resume yet');

    // --- upload through the file input -------------------------------------------
    const upload = page.locator('form[enctype="multipart/form-data"]');
    tap.is(await upload.count(), 1, 'the profile page has one multipart/form-data form');
    const order = await upload.evaluate((f) => [...f.elements].map((e) => e.name).filter(Boolean));
    tap.ok(order.indexOf('csrf') === 0 && order.indexOf('resume') > 0,
        'in that form the csrf field comes before the file input', show(order));
    tap.is(await upload.locator('input[type=file]').getAttribute('accept'), 'application/pdf,.pdf',
        'the file input accepts application/pdf and .pdf');
    await upload.locator('input[type=file]').setInputFiles(pdfPath);
    const [post] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === PROFILE,
            { timeout: 15000 }),
        upload.locator('button[type=submit]').click(),
    ]);
    await page.waitForLoadState('load');
    tap.is(post.status(), 303, 'pressing Upload POSTs the form and gets 303');
    tap.ok(/^multipart\/form-data; boundary=/.test(post.request().headers()['content-type'] || ''),
        'Chromium sent multipart/form-data', post.request().headers()['content-type']);
    const back = new URL(page.url());
    tap.ok(back.pathname === PROFILE && back.searchParams.get('resume') === 'saved',
        'the browser is back on the profile page (?resume=saved)', page.url());
    const text = await textOf(page);
    tap.ok(text.includes(pdfName), 'the profile page lists the uploaded file by name', text.slice(0, 600));
    tap.ok(text.includes('Your resume was uploaded'), 'the profile page confirms the upload');
    tap.ok(/\b\d+ (bytes|KB)\b/.test(text), 'the profile page shows the size', text.slice(0, 600));
    await page.screenshot({ path: path.join(OUTDIR, 'resume-uploaded-1280.png'), fullPage: true });

    // --- the Download link --------------------------------------------------------
    const link = page.getByRole('link', { name: 'Download' });
    tap.is(await link.count(), 1, 'there is one Download link');
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15000 }), link.click()]);
    const saved = path.join(dir, 'downloaded.pdf');
    await download.saveAs(saved);
    tap.is(download.suggestedFilename(), pdfName, 'the download is offered under the uploaded name');
    tap.ok(fs.readFileSync(saved).equals(pdf), 'the downloaded file is byte for byte the uploaded PDF');

    // --- a PNG renamed .pdf: refused on the page ----------------------------------
    await upload.locator('input[type=file]').setInputFiles(pngPath);
    const [bad] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === PROFILE,
            { timeout: 15000 }),
        upload.locator('button[type=submit]').click(),
    ]);
    await page.waitForLoadState('load');
    tap.is(bad.status(), 415, 'a PNG renamed .pdf is refused: 415');
    const err = page.locator('#resume-error');
    tap.ok(await err.count() === 1 && /must be a PDF/.test(await err.innerText()),
        'the error is shown next to the file input', await textOf(page));
    tap.ok((await textOf(page)).includes(pdfName), 'the earlier resume is still listed');

    // --- Delete -----------------------------------------------------------------------
    // The page asks first (the browser's dialog), naming the file: accept.
    await page.goto(`${BASE}${PROFILE}`, { waitUntil: 'load' });
    const asked = [];
    page.once('dialog', async (d) => { asked.push(d.message()); await d.accept(); });
    await Promise.all([
        page.waitForURL((u) => u.searchParams.get('resume') === 'deleted', { timeout: 15000 }).catch(() => {}),
        page.getByRole('button', { name: 'Delete the resume' }).click(),
    ]);
    tap.ok(asked.length === 1 && asked[0].includes(pdfName), 'Delete asks first, naming the file', show(asked));
    await page.waitForLoadState('load');
    const after = await textOf(page);
    tap.ok(after.includes('Your resume was deleted') && after.includes('No resume uploaded yet')
           && !after.includes(pdfName), 'Delete removes it and the page says so', after.slice(0, 600));

    // Chromium logs every 4xx page as a console error: the refusal above is
    // one on purpose, and a favicon is not the module's.
    const unexpected = errors.filter((e) => !/status of 415 .*\/api\/auth\/profile\)$/.test(e)
                                            && !/\/favicon\.ico\)$/.test(e));
    tap.ok(unexpected.length === 0, 'no other console error, page error or CSP violation', unexpected.join('\n'));
    await context.close();
    fs.rmSync(dir, { recursive: true, force: true });
}

await runMain(tap, watchdog, main, () => browser);
