// The web UI in Debian's Chromium (playwright-core, headless) against a real netsample serve over the demo's data:
// what a reviewer and an organizer do, each step's outcome reported for tests/server/web_ui_test.cc to check,
// every page checked with axe-core and photographed.
// Input: a JSON file named by the first argument (the passwords are in it, never on a command line):
//   {"base": URL, "case": NUMBER, "reviewer": {"login", "password"}, "organizer": {...}, "lab": {...}, "party": {...}, "shots": DIR}
// Output on stdout: one JSON object of named results; "error" when a step could not be done at all.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const out = { axe: {}, console_errors: [] };
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });

async function axe(page, name) {
  // Evaluated through the debugging protocol: the page's policy (no inline script) stays on.
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    if (!window.axe) return null;
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} (${v.nodes.length})`);
  });
  out.axe[name] = result;
}

async function shot(page, name) {
  await page.screenshot({ path: join(input.shots, `${name}.png`), fullPage: true });
}

async function signIn(page, who) {
  await page.goto(input.base + '/');
  await page.getByLabel('账号（名册编号）').fill(who.login);
  await page.getByLabel('密码').fill(who.password);
  await page.getByRole('button', { name: '登录' }).click();
  await page.getByRole('heading', { name: '抽样任务' }).waitFor();
}

try {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error' && !/401|404/.test(m.text())) out.console_errors.push(m.text()); });

  // Sign-in: a wrong password refused with words, then the right one.
  await page.goto(input.base + '/');
  await page.getByLabel('账号（名册编号）').fill(input.reviewer.login);
  await page.getByLabel('密码').fill('not-the-password');
  await page.getByRole('button', { name: '登录' }).click();
  await page.getByText('账号或密码不正确').waitFor();
  out.wrong_password = await page.getByRole('alert').textContent();
  await axe(page, 'signin');
  await shot(page, 'signin');
  await page.getByLabel('密码').fill(input.reviewer.password);
  await page.getByRole('button', { name: '登录' }).click();
  await page.getByRole('heading', { name: '抽样任务' }).waitFor();
  out.list_cases = await page.locator('table.cases tbody tr').count();
  out.list_deadline = await page.locator('table.cases tbody tr td').nth(5).textContent();
  await axe(page, 'list');
  await shot(page, 'list');

  // Filters: the case's own state keeps it, "overdue" leaves none.
  await page.getByLabel('状态').selectOption({ label: '异议期' });
  await page.waitForURL(/state=objection_window/);
  out.filter_state_cases = await page.locator('table.cases tbody tr').count();
  await page.getByLabel('期限').selectOption('overdue');
  await page.waitForURL(/deadline=overdue/);
  await page.getByText('没有符合条件的任务').waitFor();
  out.filter_overdue_cases = await page.locator('table.cases tbody tr').count();
  await page.goto(input.base + '/#/');
  await page.getByLabel('搜索').fill(input.case.slice(-6));
  await page.getByRole('button', { name: '查找' }).click();
  await page.waitForURL(/q=/);
  out.search_cases = await page.locator('table.cases tbody tr').count();

  // The case: no event buttons for a reviewer; the payment step from its chapter.
  await page.getByRole('link', { name: input.case }).click();
  const purchase = page.locator('section.recording').first();
  await purchase.locator('button.chapter[data-step=payment]').waitFor();
  out.reviewer_event_buttons = await page.locator('.events button').count();
  const video = purchase.locator('video');
  await video.evaluate((v) => new Promise((resolve) => (v.readyState >= 1 ? resolve() : v.addEventListener('loadedmetadata', resolve, { once: true }))));
  await video.evaluate((v) => v.play().then(() => new Promise((r) => setTimeout(r, 700))).then(() => v.pause()));
  out.played_to = await video.evaluate((v) => v.currentTime);
  const payment = await page.evaluate(async (url) => (await (await fetch(url)).json()).markers.find((m) => m.step === 'payment'),
                                       await purchase.evaluate((s) => s.querySelector('video').src.replace(/\/video$/, '')));
  await purchase.locator('button.chapter[data-step=payment]').click();
  await video.evaluate((v) => new Promise((resolve) => (v.seeking ? v.addEventListener('seeked', resolve, { once: true }) : resolve())));
  out.payment_marker_s = payment.start_ms / 1000;
  out.payment_player_s = await video.evaluate((v) => v.currentTime);
  out.payment_still_step = await purchase.locator('img.now-still').getAttribute('data-step');
  out.payment_still_src = await purchase.locator('img.now-still').getAttribute('src');
  out.payment_marker_still = payment.still;
  out.payment_now_step = await purchase.locator('.now-step').textContent();
  await axe(page, 'case');
  await shot(page, 'case');

  // A finding at the current time, seen on the time bar after a reload.
  const before = await purchase.locator('.timebar .finding').count();
  await purchase.getByLabel('在当前时间记一条意见').fill('支付页面的金额与订单一致，时间戳清晰');
  await purchase.getByRole('button', { name: '记录意见' }).click();
  await page.waitForFunction((n) => document.querySelectorAll('section.recording')[0]?.querySelectorAll('.timebar .finding').length > n, before);
  await page.reload();
  await page.locator('section.recording .timebar').first().waitFor();
  out.findings_on_bar_after_reload = await page.locator('section.recording').first().locator('.timebar .finding').count();
  out.findings_before = before;

  // The imported unboxing video checked on demand, and a verdict for the purchase video.
  const unboxing = page.locator('section.recording').nth(1);
  await unboxing.getByRole('button', { name: '立即校验' }).click();
  await unboxing.locator('.badges li', { hasText: /校验(通过|未通过)/ }).waitFor();
  out.unboxing_verified = await unboxing.locator('.badges li').last().textContent();
  const purchaseAgain = page.locator('section.recording').first();
  await purchaseAgain.getByLabel('本录像的结论').selectOption('no_doubts');
  await purchaseAgain.getByRole('button', { name: '提交结论' }).click();
  await page.getByText('审看结论：无疑问').waitFor();
  out.verdict_shown = await page.getByText('审看结论：无疑问').textContent();
  await shot(page, 'case-reviewed');
  await context.close();

  // The organizer: the events it may apply now are buttons; one applied through its generated form.
  const organizerContext = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  const org = await organizerContext.newPage();
  await signIn(org, input.organizer);
  await org.getByRole('link', { name: input.case }).click();
  await org.locator('.events button').first().waitFor();
  out.organizer_event_buttons = await org.locator('.events > button').allTextContents();
  await org.getByRole('button', { name: /异议|复检|检验程序/ }).first().click();
  const dialog = org.locator('dialog[open]');
  out.organizer_form_labels = await dialog.locator('label').allTextContents();
  await axe(org, 'event-form');
  await shot(org, 'event-form');
  // Submitting without the required fields: the browser's own check stops it; filled in, the server applies it.
  for (const select of await dialog.locator('select').all()) await select.selectOption({ index: 1 });
  for (const text of await dialog.locator('input:not([type=date]):not([type=checkbox]), textarea').all()) await text.fill('对检验程序有异议（演示）');
  await dialog.getByRole('button', { name: /^确认/ }).click();
  await org.locator('dialog[open]').waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {});
  out.organizer_error = (await org.locator('dialog[open] [role=alert]').count()) ? await org.locator('dialog[open] [role=alert]').textContent() : null;
  await org.locator('.case-head .state').filter({ hasNotText: '异议期' }).waitFor({ timeout: 5000 }).catch(() => {});
  out.state_after = await org.locator('.case-head .state').textContent();
  await shot(org, 'case-organizer');

  // The deadline board across the organizer's cases, overdue first, then by month.
  await org.getByRole('link', { name: '期限一览' }).click();
  await org.getByRole('heading', { name: '期限一览' }).waitFor();
  out.board_duty_links = await org.locator('main table').getByRole('link', { name: input.case }).count();
  await org.getByLabel('含不得重复抽查、资料保存等期间').check();
  await org.waitForURL(/periods=1/);
  await org.getByRole('heading', { name: /届满/ }).first().waitFor();
  out.board_case_links = await org.locator('main table').getByRole('link', { name: input.case }).count();
  out.board_sections = await org.locator('main section h2').allTextContents();
  await axe(org, 'deadlines');
  await shot(org, 'deadlines');
  await organizerContext.close();

  // The lab: a photo of the seal check uploaded (progress shown) and stored as the case's evidence.
  const labContext = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const lab = await labContext.newPage();
  await signIn(lab, input.lab);
  await lab.getByRole('link', { name: input.case }).click();
  // A PNG that is not yet evidence of the case (the store keeps one copy of equal bytes, under its first name).
  await lab.getByLabel('文件').setInputFiles({ name: '收样封样检查.png', mimeType: 'image/png',
                                              buffer: readFileSync(join(input.shots, 'list.png')) });
  await lab.getByLabel('类别').selectOption('receipt_photo');
  await lab.getByRole('button', { name: '上传并存为证据' }).click();
  await lab.getByRole('link', { name: '收样封样检查.png' }).waitFor();
  out.lab_uploaded = await lab.getByRole('link', { name: '收样封样检查.png' }).locator('..').textContent();
  await axe(lab, 'case-lab');
  await shot(lab, 'case-lab');
  await labContext.close();

  // The platform's account: only what was published or sent to it (Art 62), no case list.
  const partyContext = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const party = await partyContext.newPage();
  await party.goto(input.base + '/');
  await party.getByLabel('账号（名册编号）').fill(input.party.login);
  await party.getByLabel('密码').fill(input.party.password);
  await party.getByRole('button', { name: '登录' }).click();
  await party.getByRole('heading', { name: '向本单位公开或送达的抽查信息' }).waitFor();
  out.party_rows = await party.locator('table.cases tbody tr').count();
  out.party_case_links = await party.getByRole('link', { name: input.case }).count();
  await axe(party, 'published');
  await shot(party, 'published');
  await partyContext.close();
} catch (error) {
  out.error = String(error && error.stack || error);
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(out) + '\n');
