// Browser test of the Wharf console, run by e2e/console_test.go with the
// server's URL, keys and an npm environment logged in to WHARF_REPO.
// Plain Node (no test runner): every check throws on failure.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const env = process.env;
const base = env.WHARF_URL;
const domain = env.WHARF_DOMAIN, repo = env.WHARF_REPO, dest = env.WHARF_DEST_REPO, account = env.WHARF_ACCOUNT;
const repoURL = `${base}/console/d/${account}/${domain}/r/${repo}/`;
const pkgURL = `${repoURL}package?format=npm&package=console-demo`;
const versionURL = (v, name = 'console-demo') => `${repoURL}version?format=npm&package=${name}&version=${v}`;

function step(name) { console.log(`- ${name}`); }

function npmVersions() {
  const out = execFileSync('npm', ['view', '--json', '--prefer-online', 'console-demo', 'versions'], { env, encoding: 'utf8' });
  const v = JSON.parse(out);
  return Array.isArray(v) ? v : [v];
}

// Playwright gives the browser a fresh profile directory of its own (it
// refuses --user-data-dir in args).
const browser = await chromium.launch({
  executablePath: env.CHROMIUM, headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});

// Every page of every context reports dialogs, console errors and page
// errors here: a readme that ran script would show up.
const dialogs = [], pageErrors = [];
function watch(page) {
  page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 40[134]/.test(m.text())) pageErrors.push(m.text()); });
}

async function signIn(page, key, secret) {
  await page.goto(`${base}/console/`);
  assert.match(page.url(), /\/console\/signin\?next=/, 'an anonymous visit goes to the sign-in page');
  await page.getByLabel('Access key ID').fill(key);
  await page.getByLabel('Secret access key').fill(secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/console/`);
}

async function confirm(page, verb) {
  await page.getByRole('button', { name: `Yes, ${verb}` }).click();
  await page.waitForSelector('.flash');
}

try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  watch(page);

  step('a wrong secret is refused, then sign-in with the administrator key pair');
  await page.goto(`${base}/console/signin`);
  await page.getByLabel('Access key ID').fill(env.ADMIN_KEY);
  await page.getByLabel('Secret access key').fill('not-the-secret');
  await page.getByRole('button', { name: 'Sign in' }).click();
  assert.match(await page.locator('.error').innerText(), /Sign-in failed/);
  await signIn(page, env.ADMIN_KEY, env.ADMIN_SECRET);
  const cookies = await ctx.cookies();
  const sc = cookies.find((c) => c.name === 'wharf_console');
  assert.ok(sc && sc.httpOnly && sc.sameSite === 'Strict' && sc.expires > 0, `session cookie ${JSON.stringify(sc)}`);

  step('keyboard: the first Tab reaches the skip link, and buttons are real buttons');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');

  step('find the package published by npm');
  await page.getByRole('link', { name: domain, exact: true }).click();
  await page.getByRole('link', { name: repo, exact: true }).click();
  await page.getByLabel('Name starts with').fill('console-');
  await page.getByLabel('Format').selectOption('npm');
  await page.getByRole('button', { name: 'Search' }).click();
  const rows = page.locator('table tbody tr');
  assert.equal(await rows.count(), 1, 'the prefix search finds console-demo only');
  await page.getByRole('link', { name: 'console-demo' }).click();
  assert.equal(await page.locator('table tbody tr').count(), 4);

  step('open a version: readme and dependencies');
  await page.getByRole('link', { name: '2.0.0', exact: true }).click();
  assert.equal(await page.locator('.readme h1').innerText(), 'Console demo');
  assert.match(await page.locator('.readme').innerText(), /A package to browse in the console/);
  const deps = await page.locator('table.deps').innerText();
  assert.match(deps, /left-pad/); assert.match(deps, /\^1\.3\.0/); assert.match(deps, /mocha/);
  const asset = page.locator('table.assets a').first();
  assert.equal(await asset.innerText(), 'package.tgz');
  const dl = await page.request.get(new URL(await asset.getAttribute('href'), base).href);
  assert.equal(dl.status(), 200);
  assert.equal(dl.headers()['content-type'], 'application/octet-stream');

  step('unlist 2.0.0, and npm view stops listing it');
  assert.ok(npmVersions().includes('2.0.0'));
  await page.getByRole('button', { name: 'Unlist' }).click();
  assert.match(await page.locator('h1').innerText(), /Unlist 1 version of console-demo\?/);
  await confirm(page, 'unlist');
  assert.match(await page.locator('.flash').innerText(), /Unlist: 2\.0\.0/);
  assert.deepEqual(npmVersions(), ['1.0.0', '1.1.0', '2.1.0']);

  step('archive 2.0.0 and restore it');
  await page.goto(versionURL('2.0.0'));
  await page.getByRole('button', { name: 'Archive' }).click();
  await confirm(page, 'archive');
  assert.equal(await page.getByRole('link', { name: '2.0.0', exact: true }).count(), 0, 'Archived versions are not listed by default');
  await page.getByLabel('Status').selectOption('Archived');
  await page.getByRole('button', { name: 'Show' }).click();
  assert.match(await page.locator('table tbody').innerText(), /2\.0\.0\s+Archived/);
  await page.getByRole('link', { name: '2.0.0', exact: true }).click();
  await page.getByRole('button', { name: 'Publish' }).click();
  await confirm(page, 'publish');
  assert.match(await page.locator('table tbody').innerText(), /2\.0\.0\s+Published/);
  assert.deepEqual(npmVersions(), ['1.0.0', '1.1.0', '2.0.0', '2.1.0']);

  step('delete two versions, with confirmation');
  await page.goto(pkgURL);
  await page.getByLabel('Select 1.0.0').check();
  await page.getByLabel('Select 1.1.0').check();
  await page.getByRole('button', { name: 'Delete' }).click();
  assert.match(await page.locator('h1').innerText(), /Delete 2 versions of console-demo\?/);
  await page.getByRole('link', { name: 'Cancel' }).click();
  assert.equal(await page.locator('table tbody tr').count(), 4, 'cancel changes nothing');
  await page.getByLabel('Select 1.0.0').check();
  await page.getByLabel('Select 1.1.0').check();
  await page.getByRole('button', { name: 'Delete' }).click();
  await confirm(page, 'delete');
  assert.equal(await page.locator('table tbody tr').count(), 2);

  step(`copy 2.1.0 to ${dest}`);
  await page.goto(versionURL('2.1.0'));
  await page.getByLabel('Copy to').selectOption(dest);
  await page.getByRole('button', { name: 'Copy', exact: true }).click();
  await confirm(page, 'copy');
  assert.match(await page.locator('.flash').innerText(), new RegExp(`Copied 2\\.1\\.0 to ${dest}`));
  await page.goto(`${base}/console/d/${account}/${domain}/r/${dest}/`);
  await page.getByRole('link', { name: 'console-demo' }).click();
  assert.match(await page.locator('table tbody').innerText(), /2\.1\.0\s+Published/);

  step('restore a deleted version from the restore window, and npm installs it');
  await page.goto(repoURL);
  await page.getByRole('link', { name: 'Deleted versions' }).click();
  assert.match(await page.locator('dl.facts').innerText(), /7 days/);
  const trash = await page.locator('table#deleted tbody').innerText();
  assert.match(trash, /restore-demo\s+1\.1\.0/, 'the version deleted through the API is restorable');
  assert.match(trash, /console-demo\s+1\.0\.0/, 'the versions deleted in the console are restorable');
  await page.getByRole('button', { name: 'Restore restore-demo 1.1.0' }).click();
  assert.match(await page.locator('h1').innerText(), /Restore restore-demo 1\.1\.0\?/);
  await confirm(page, 'restore');
  assert.match(await page.locator('.flash').innerText(), /Restored restore-demo 1\.1\.0 as Published/);
  const proj = mkdtempSync(join(tmpdir(), 'console-restore-'));
  writeFileSync(join(proj, 'package.json'), '{"name":"proj","version":"1.0.0","private":true}');
  execFileSync('npm', ['install', '--prefer-online', 'restore-demo@1.1.0'], { cwd: proj, env, encoding: 'utf8' });
  assert.equal(readFileSync(join(proj, 'node_modules', 'restore-demo', 'index.js'), 'utf8'), "module.exports = '1.1.0';\n");
  await page.goto(`${repoURL}deleted`);
  assert.doesNotMatch(await page.locator('main').innerText(), /restore-demo/, 'a restored version leaves the list');

  step('retention: the dry run lists each version a rule would touch, why, and the bytes');
  await page.goto(`${base}/console/d/${account}/${domain}/`);
  await page.getByRole('link', { name: 'Retention rules' }).click();
  assert.match(await page.locator('table tbody').innerText(), /keep-newest\s+npm-store\s+ARCHIVE/);
  await page.getByRole('link', { name: 'keep-newest' }).click();
  await page.getByRole('link', { name: 'Dry run' }).click();
  const dry = await page.locator('table#dry-run tbody').innerText();
  assert.match(dry, /console-demo\s+2\.0\.0\s+Published\s+newest #2 by publish time, beyond the 1 kept/);
  assert.match(dry, /restore-demo\s+1\.0\.0\s+Published/);
  assert.doesNotMatch(dry, /2\.1\.0|1\.1\.0|evil-readme/, 'the newest version of each package is kept');
  assert.match(await page.locator('#dry-run-summary').innerText(), /Selects 2 versions of the 3 packages/);
  await page.getByRole('button', { name: 'Run…' }).click();
  assert.match(await page.locator('h1').innerText(), /Run keep-newest\?/);
  await page.getByRole('link', { name: 'Cancel' }).click();
  assert.deepEqual(npmVersions(), ['2.0.0', '2.1.0'], 'a dry run and a cancelled run change nothing');

  step('the audit trail page shows the calls');
  await page.goto(`${base}/console/`);
  await page.getByRole('link', { name: 'Audit trail' }).click();
  await page.getByLabel('Event').fill('RestorePackageVersion');
  await page.getByRole('button', { name: 'Filter' }).click();
  let audit = await page.locator('table#audit tbody').innerText();
  assert.match(audit, /RestorePackageVersion\s+ok\s+arn:aws:iam::\d+:root/);
  assert.equal(await page.locator('table#audit tbody tr').count(), 1);
  await page.getByLabel('Event').fill('DeletePackageVersions');
  await page.getByRole('button', { name: 'Filter' }).click();
  audit = await page.locator('table#audit tbody').innerText();
  assert.equal(await page.locator('table#audit tbody tr').count(), 2, 'the API delete of restore-demo and the console delete of console-demo');
  await page.getByLabel('Event').fill('');
  await page.getByLabel('User').fill('root');
  await page.getByRole('button', { name: 'Filter' }).click();
  audit = await page.locator('table#audit tbody').innerText();
  assert.match(audit, /PublishPackageVersion/, 'npm publish is on the trail');
  assert.match(audit, /CreateRepository/, 'the API calls are on the trail');

  step('a readme with <script>, an onerror image and javascript: links runs nothing');
  await page.goto(versionURL('1.0.0', 'evil-readme'));
  await page.waitForLoadState('load');
  await page.waitForTimeout(300);
  assert.equal(await page.locator('.readme h1').innerText(), 'Evil readme');
  assert.equal(await page.locator('.readme script').count(), 0);
  assert.equal(await page.locator('.readme img[onerror]').count(), 0);
  const hrefs = await page.locator('.readme a').evaluateAll((as) => as.map((a) => a.getAttribute('href') || ''));
  assert.ok(hrefs.every((h) => !/^\s*javascript:/i.test(h)), `readme links ${JSON.stringify(hrefs)}`);
  assert.ok(hrefs.includes('https://example.com/'), 'safe links are kept');
  const clickMe = page.getByText('click me');
  if (await clickMe.count()) await clickMe.first().click();
  await page.waitForTimeout(200);
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no readme script ran');
  const csp = (await page.request.get(versionURL('1.0.0', 'evil-readme'))).headers()['content-security-policy'];
  assert.match(csp, /script-src 'self'/);

  step('a cross-site POST without the CSRF token is refused');
  const attacker = await ctx.newPage();
  watch(attacker);
  await attacker.goto('about:blank');
  await attacker.setContent(`<form method="post" action="${repoURL}action">
    <input name="op" value="delete"><input name="confirm" value="yes"><input name="format" value="npm">
    <input name="package" value="console-demo"><input name="version" value="2.0.0"></form>`);
  const [resp] = await Promise.all([attacker.waitForNavigation(), attacker.evaluate(() => document.forms[0].submit())]);
  assert.equal(resp.status(), 403);
  // Even same-origin, a POST without the token is refused.
  const noToken = await page.request.post(`${repoURL}action`, { form: { op: 'delete', confirm: 'yes', format: 'npm', package: 'console-demo', version: '2.0.0' } });
  assert.equal(noToken.status(), 403);
  assert.match(await noToken.text(), /CSRF token/);
  await page.goto(pkgURL);
  assert.equal(await page.locator('table tbody tr').count(), 2, 'the refused POSTs deleted nothing');

  step('theme toggle');
  const before = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await page.locator('#theme-toggle').click();
  const after = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.notEqual(before, after);
  await page.locator('#theme-toggle').click();

  step('sign out');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/console\/signin/);
  await page.goto(pkgURL);
  assert.match(page.url(), /\/console\/signin/);
  await ctx.close();

  step('a read-only user sees no action buttons, and a crafted POST is refused');
  const roCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const ro = await roCtx.newPage();
  watch(ro);
  await signIn(ro, env.RO_KEY, env.RO_SECRET);
  await ro.goto(versionURL('2.0.0'));
  assert.equal(await ro.locator('.readme h1').innerText(), 'Console demo');
  assert.equal(await ro.locator('fieldset.actions').count(), 0);
  assert.equal(await ro.getByRole('button', { name: /Unlist|Archive|Delete|Dispose|Copy/ }).count(), 0);
  await ro.goto(pkgURL);
  assert.equal(await ro.locator('input[type=checkbox]').count(), 0);
  const token = await ro.locator('input[name=csrf]').first().getAttribute('value');
  const crafted = await ro.request.post(`${repoURL}action`, { form: { csrf: token, op: 'delete', confirm: 'yes', format: 'npm', package: 'console-demo', version: '2.0.0' } });
  assert.equal(crafted.status(), 403);
  assert.match(await crafted.text(), /Access denied: User: arn:aws:iam::\d+:user\/viewer is not authorized to perform: codeartifact:DeletePackageVersions/);
  await roCtx.close();

  step('screenshots: light and dark, desktop and phone');
  const pages = [
    ['signin', `${base}/console/signin`],
    ['domains', `${base}/console/`],
    ['repository', repoURL],
    ['upstreams', `${base}/console/d/${account}/${domain}/r/team/`],
    ['domain', `${base}/console/d/${account}/${domain}/`],
    ['package', pkgURL],
    ['version', versionURL('2.0.0')],
    ['connect', `${repoURL}connect`],
    ['groups', `${base}/console/d/${account}/${domain}/groups`],
    ['retention', `${base}/console/d/${account}/${domain}/retention/`],
    ['dry-run', `${base}/console/d/${account}/${domain}/retention/keep-newest/dry-run`],
    ['deleted', `${repoURL}deleted`],
    ['audit', `${base}/console/audit`],
  ];
  for (const scheme of ['light', 'dark']) {
    for (const [device, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]]) {
      const sctx = await browser.newContext({ viewport, colorScheme: scheme, deviceScaleFactor: 1, isMobile: device === 'phone', hasTouch: device === 'phone' });
      const sp = await sctx.newPage();
      watch(sp);
      await sp.goto(`${base}/console/signin`);
      await sp.screenshot({ path: join(env.SCREENSHOT_DIR, `signin-${scheme}-${device}.png`) });
      await signIn(sp, env.ADMIN_KEY, env.ADMIN_SECRET);
      for (const [name, url] of pages.slice(1)) {
        await sp.goto(url);
        await sp.screenshot({ path: join(env.SCREENSHOT_DIR, `${name}-${scheme}-${device}.png`), fullPage: device === 'desktop' });
      }
      await sctx.close();
    }
  }

  assert.deepEqual(dialogs, [], 'no dialog opened');
  assert.deepEqual(pageErrors, [], 'no page errors');
  console.log('ok');
} finally {
  await browser.close();
}
