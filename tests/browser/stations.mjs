// The centre's web UI in Debian's Chromium (playwright-core, headless): a reviewer of a case a station sent opens it
// on 工作站, plays its purchase recording, records a finding at the video's time and sees it after the page reloads;
// the case's deadlines are on the deadline board.
// Each step's outcome is reported for tests/e2e/purchase_e2e_test.cc to check; the page is checked with axe-core and
// photographed.
// Input: a JSON file named by the first argument (the password is in it, never on a command line):
//   {"base": URL, "case": NUMBER, "reviewer": {"login", "password"}, "note": TEXT, "shots": DIR}
// Output on stdout: one JSON object of named results; "error" when a step could not be done at all.
import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const out = { axe: {}, console_errors: [] };
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });

async function axe(page, name) {
  await page.evaluate(axeSource);
  out.axe[name] = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} (${v.nodes.length})`);
  });
}

try {
  mkdirSync(input.shots, { recursive: true });
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error' && !/401|404/.test(m.text())) out.console_errors.push(m.text()); });
  await page.goto(input.base + '/');
  await page.getByLabel('账号（名册编号）').fill(input.reviewer.login);
  await page.getByLabel('密码').fill(input.reviewer.password);
  await page.getByRole('button', { name: '登录' }).click();
  await page.getByRole('heading', { name: '抽样任务' }).waitFor();

  // 工作站: the case the station sent, which this reviewer reviews; its recordings in the review player.
  await page.getByRole('link', { name: '工作站', exact: true }).click();
  await page.getByRole('heading', { name: '工作站送来的任务' }).waitFor();
  out.station_cases = await page.locator('section.card', { hasText: '工作站送来的任务' }).locator('tbody tr').count();
  await page.getByRole('link', { name: '审看录像' }).first().click();
  await page.getByRole('heading', { name: `${input.case} 的录像（工作站 demo-01）` }).waitFor();
  const purchase = page.locator('section.recording').first();
  await purchase.locator('button.chapter[data-step]').first().waitFor();
  out.recordings = await page.locator('section.recording').count();
  out.chapters = await purchase.locator('button.chapter[data-step]').count();
  out.first_still_width = await purchase.locator('ul.stills img').first().evaluate((img) =>
    img.complete ? img.naturalWidth : new Promise((resolve) => img.addEventListener('load', () => resolve(img.naturalWidth), { once: true })));
  const video = purchase.locator('video');
  await video.evaluate((v) => new Promise((resolve) => (v.readyState >= 1 ? resolve() : v.addEventListener('loadedmetadata', resolve, { once: true }))));
  await video.evaluate((v) => v.play().then(() => new Promise((r) => setTimeout(r, 1200))).then(() => v.pause()));
  out.played_to = await video.evaluate((v) => v.currentTime);

  // A finding at the video's time: kept at the centre, shown after the page reloads with the case still open.
  await purchase.getByLabel('在当前时间记一条意见').fill(input.note);
  await purchase.getByLabel('程度').selectOption('major');
  await purchase.getByRole('button', { name: '记录意见' }).click();
  const shown = page.locator('section.recording').first().locator('ul.findings li', { hasText: input.note });
  await shown.waitFor();
  out.finding_text = await shown.textContent();
  out.findings_on_bar = await page.locator('section.recording').first().locator('.timebar .mark.finding').count();
  out.url_after = new URL(page.url()).hash;
  await axe(page, 'station-review');
  await page.screenshot({ path: join(input.shots, 'station-review.png'), fullPage: true });

  // The deadline board: the case's open deadlines, marked with its station and when it sent them.
  await page.getByRole('link', { name: '期限一览' }).click();
  await page.getByRole('heading', { name: '期限一览' }).waitFor();
  out.board_station_rows = await page.locator('tbody tr', { hasText: '工作站 demo-01' }).count();
  out.board_link = await page.locator('tbody tr', { hasText: '工作站 demo-01' }).first().locator('a').getAttribute('href');
  await axe(page, 'deadlines-at-centre');
  await page.screenshot({ path: join(input.shots, 'deadlines-at-centre.png'), fullPage: true });
} catch (error) {
  out.error = String(error && error.stack ? error.stack : error);
}
await browser.close();
console.log(JSON.stringify(out));
