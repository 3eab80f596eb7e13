// The web UI in Debian's Chromium (playwright-core, headless) against a real netsample serve over the demo's data:
// what a reviewer and an organizer do, each step's outcome reported for tests/server/web_ui_test.cc to check,
// every page checked with axe-core and photographed.
// Input: a JSON file named by the first argument (the passwords are in it, never on a command line):
//   {"base": URL, "case": NUMBER, "lab_case": NUMBER (sealed, waiting at the lab), "reviewer": {"login", "password"},
//    "organizer": {...}, "lab": {...}, "district": {...}, "party": {...}, "shots": DIR}
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

// Applies a lifecycle event through the form its table entry generates: each choice takes its first option, each
// text field `text`, dates keep today. Returns the form's error, or null once the dialog closed and the case
// shows `state`.
async function applyEvent(page, name, text, state) {
  await page.getByRole('button', { name, exact: true }).click();
  const dialog = page.locator('dialog[open]');
  for (const select of await dialog.locator('select').all()) await select.selectOption({ index: 1 });
  for (const field of await dialog.locator('input:not([type=date]):not([type=checkbox]), textarea').all()) await field.fill(text);
  await dialog.getByRole('button', { name: /^确认/ }).click();
  await page.locator('dialog[open]').waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {});
  if (await page.locator('dialog[open]').count()) return await page.locator('dialog[open] [role=alert]').textContent();
  await page.locator('.case-head .state', { hasText: state }).waitFor({ timeout: 5000 }).catch(() => {});
  return null;
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
  out.case_people = await page.locator('.case-head p.people').textContent();
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

  // Beside the video, the page on screen at its time, replayed from the recording's WARC on the replay origin:
  // a click on the order page in the list seeks the video there, and the frame shows that page as it was received.
  const replay = purchase.locator('iframe.replay');
  await replay.waitFor();
  out.page_origin = new URL(page.url()).origin;
  out.replay_origin = new URL(await replay.getAttribute('src')).origin;
  await purchase.locator('.pages details summary').click();
  await purchase.locator('.page-list button', { hasText: '/order/' }).first().click();
  await video.evaluate((v) => new Promise((resolve) => (v.seeking ? v.addEventListener('seeked', resolve, { once: true }) : resolve())));
  await purchase.locator('.page-now', { hasText: '/order/' }).waitFor();
  out.replay_heading = await purchase.locator('.page-now').textContent();
  const replayed = async (pattern) => {
    for (let i = 0; i < 300; ++i) {
      const frame = page.frames().find((f) => pattern.test(f.url()));
      if (frame) {
        const text = await frame.locator('body').innerText().catch(() => '');
        if (text.trim()) return { url: frame.url(), text };
      }
      await page.waitForTimeout(100);
    }
    return { url: null, text: '' };
  };
  const order = await replayed(/\/replay\/w\/[^/]+\/\d+mp_\/http.*\/order\//);
  out.replay_order_url = order.url;
  out.replay_order_text = order.text;
  await shot(page, 'case-pages');
  // The replay origin answers no API, refuses a link whose signature was changed, and the list of pages needs a
  // sign-in (from Node: no cookie).
  const source = new URL((await replay.getAttribute('src')).split('#')[0]).searchParams.get('source');
  out.replay_api_status = (await fetch(`${out.replay_origin}/api/session`)).status;
  out.replay_tampered_status = (await fetch(source.replace(/[0-9a-f](\/pages\.warc\.gz)$/, (m, tail) => (m[0] === '0' ? '1' : '0') + tail))).status;
  out.replay_source_status = (await fetch(source)).status;
  out.pages_without_sign_in = (await fetch(`${input.base}/api/recordings/purchase-1/pages`)).status;

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
  // The codes read off the waybill and labels, each with its boxed still; a click on its time seeks there.
  out.label_items = await unboxing.locator('.label-list li').count();
  const firstLabel = unboxing.locator('.label-list li').first();
  await firstLabel.locator('img').evaluate((img) => (img.complete ? null : new Promise((r) => img.addEventListener('load', r, { once: true }))));
  out.label_still_width = await firstLabel.locator('img').evaluate((img) => img.naturalWidth);
  out.label_text = await firstLabel.locator('.code-text').textContent();
  const labelTime = await page.evaluate(async (id) => (await (await fetch(`/api/recordings/${id}`)).json()).labels[0].time_s,
                                        await unboxing.evaluate((s) => s.querySelector('video').src.match(/recordings\/([^/]+)\//)[1]));
  await firstLabel.getByRole('button').click();
  const unboxingVideo = unboxing.locator('video');
  await unboxingVideo.evaluate((v) => new Promise((resolve) => (v.seeking ? v.addEventListener('seeked', resolve, { once: true }) : resolve())));
  out.label_seek = { expected: labelTime, player: await unboxingVideo.evaluate((v) => v.currentTime) };
  const purchaseAgain = page.locator('section.recording').first();
  await purchaseAgain.getByLabel('本录像的结论').selectOption('no_doubts');
  await purchaseAgain.getByRole('button', { name: '提交结论' }).click();
  await page.getByText('审看结论：无疑问').waitFor();
  out.verdict_shown = await page.getByText('审看结论：无疑问').textContent();
  await shot(page, 'case-reviewed');

  // A notice's PDF in the page: framed by the page itself (SAMEORIGIN), by nobody else.
  const pdfResponse = page.waitForResponse((r) => r.url().includes('/document?inline=1'));
  await page.locator('section', { has: page.getByRole('heading', { name: '书面通知' }) }).locator('button.view-pdf').first().click();
  const viewed = await pdfResponse;
  out.pdf_type = viewed.headers()['content-type'];
  out.pdf_frame_options = viewed.headers()['x-frame-options'];
  out.pdf_disposition = viewed.headers()['content-disposition'] || '';
  out.pdf_frame_src = await page.locator('dialog.pdf-viewer[open] iframe').getAttribute('src');
  await page.waitForTimeout(500);
  await shot(page, 'pdf-viewer');
  await page.locator('dialog.pdf-viewer[open]').getByRole('button', { name: '关闭' }).click();
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
  // The objection found groundless (Art 54), then the publication approved (Art 62): the case goes to the district.
  out.maintain_error = await applyEvent(org, '维持原检验结论', '抽样过程录像完整，异议不成立（演示）', '结果处理');
  out.state_after_maintain = await org.locator('.case-head .state').textContent();
  out.approve_error = await applyEvent(org, '批准公开抽查结果', '周敏', '结果处理');
  await org.locator('ol.timeline', { hasText: '批准公开抽查结果' }).waitFor({ timeout: 5000 }).catch(() => {});  // the state stays
  out.history_after_approve = await org.locator('ol.timeline').first().textContent();

  // Opening cases: a plan with one bad row names its row and column and creates nothing; the form creates one.
  await org.getByRole('link', { name: '新建任务 / 导入计划' }).click();
  await org.getByRole('heading', { name: '新建抽样任务' }).waitFor();
  const platform = await org.evaluate(async () =>
    (await (await fetch('/api/cases/plan-columns')).json()).columns.find((c) => c.field === 'platform').choices[0]);
  const casesBefore = await org.evaluate(async () => (await (await fetch('/api/cases')).json()).total);
  const planHeader = '任务编号,组织层级,抽查类型,产品名称,商标,规格型号,产品类别,执行标准,电子商务平台,店铺名称,商品链接,' +
                     '经营者名称,经营者地址,标称生产者,生产者地址,检验样品数量,备份样品数量\r\n';
  const planRow = (n, backup) => `${n},市级,日常,儿童雨靴,小鸭,XY-${n},鞋类,GB 30585-2014,${platform.label},小鸭童鞋店,` +
                                 `https://shop.example.test/item/${n},小鸭商贸有限公司,重庆市渝中区 1 号,小鸭鞋业有限公司,福建省晋江市 2 号,2,${backup}\r\n`;
  await org.getByLabel('计划表文件').setInputFiles({ name: '十二月计划.csv', mimeType: 'text/csv',
                                                  buffer: Buffer.from(planHeader + planRow('PLAN-01', '2') + planRow('PLAN-02', '两件') + planRow('PLAN-03', '2')) });
  await org.getByRole('button', { name: '导入', exact: true }).click();
  await org.locator('table.problems').waitFor();
  out.plan_problems = await org.locator('table.problems tbody tr').evaluateAll((rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
  out.plan_caption = await org.locator('table.problems caption').textContent();
  out.plan_cases_written = (await org.evaluate(async () => (await (await fetch('/api/cases')).json()).total)) - casesBefore;
  await axe(org, 'new-cases');
  await shot(org, 'plan-problems');
  // A listing and its shop's licence read into the form on the service (captured, the licence picture read by
  // OCR), with the checks before a purchase; the organizer then confirms or corrects every field.
  await org.getByLabel('商品页网址').fill(`${input.shop}item/QS-1701`);
  await org.getByLabel('店铺证照页网址').fill(`${input.shop}licence`);
  await org.getByRole('button', { name: '读取并预填' }).click();
  await org.locator('.prefill-result p.ok, .prefill-result p.error').first().waitFor({ timeout: 90000 });
  out.prefill_status = await org.locator('.prefill-result').textContent();
  out.prefill_trademark = await org.getByLabel('商标', { exact: false }).first().inputValue();
  out.prefill_model = await org.getByLabel('规格型号', { exact: false }).first().inputValue();
  out.prefill_operator = await org.getByLabel('经营者名称', { exact: false }).first().inputValue();
  out.prefill_platform = await org.getByLabel('电子商务平台').inputValue();
  out.prefill_checks = await org.locator('.prefill-result ul.checks').textContent();
  await axe(org, 'new-case-prefilled');
  await shot(org, 'case-prefilled');
  // The form sent empty: every required field marked at once, in the server's words.
  for (const label of ['商品页网址', '店铺证照页网址']) await org.getByLabel(label).fill('');
  for (const label of ['商标', '规格型号', '经营者名称', '产品名称', '执行标准', '店铺名称', '商品链接', '经营者地址', '标称生产者', '生产者地址']) {
    await org.getByLabel(label, { exact: false }).first().fill('');
  }
  await org.getByLabel('电子商务平台').selectOption('');
  await org.getByLabel('组织单位').fill('');
  await org.getByRole('button', { name: '创建任务' }).click();
  await org.locator('.case-form [aria-invalid=true]').first().waitFor();
  out.form_invalid_fields = await org.locator('.case-form [aria-invalid=true]').count();
  const fill = { 任务编号: 'FORM-01', 组织单位: 'cq-amr', 产品名称: '电动牙刷', 商标: '洁齿', 规格型号: 'JC-2', 产品类别: '小家电',
                 执行标准: 'GB 4706.1-2005', 店铺名称: '洁齿电器旗舰店', 商品链接: 'https://shop.example.test/item/jc2',
                 经营者名称: '洁齿电器销售有限公司', 经营者地址: '重庆市江北区 3 号', 标称生产者: '洁齿电器制造有限公司', 生产者地址: '广东省深圳市 4 号' };
  for (const [label, value] of Object.entries(fill)) await org.getByLabel(label, { exact: false }).first().fill(value);
  await org.getByLabel('组织层级').selectOption('city');
  await org.getByLabel('抽查类型').selectOption('routine');
  await org.getByLabel('电子商务平台').selectOption(platform.value);
  await org.getByRole('button', { name: '创建任务' }).click();
  await org.getByText('已创建任务').waitFor();
  out.form_created = await org.locator('p.ok').first().textContent();
  await shot(org, 'case-created');

  // A page captured on a case's page: the job runs, the capture is listed with what it read and its WARC.
  await org.goto(`${input.base}/#/cases/${encodeURIComponent(input.case)}`);
  await org.getByRole('heading', { name: '网页存证' }).waitFor();
  await org.getByLabel('网址', { exact: true }).fill(`${input.shop}item/QS-1701`);
  await org.getByRole('button', { name: '抓取并存证' }).click();
  await org.locator('article.capture').first().waitFor({ timeout: 90000 }).catch(async () => {
    out.capture_error = await org.locator('section.captures').textContent();
  });
  out.case_captures = await org.locator('article.capture').count();
  out.case_capture_text = out.case_captures ? await org.locator('article.capture').first().textContent() : '';
  out.case_capture_warc = (await org.locator('article.capture a[download]').count()) > 0;
  await axe(org, 'case-captures');
  await shot(org, 'case-captures');

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

  // The lab: the sealed case's receipt panel; a photo of the seal check uploaded (progress shown) and stored as
  // evidence, then the samples refused with the reason (Art 40).
  const labContext = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const lab = await labContext.newPage();
  await signIn(lab, input.lab);
  await lab.getByRole('link', { name: input.lab_case }).click();
  await lab.getByRole('heading', { name: '收样检查' }).waitFor();
  out.lab_seal_facts = await lab.locator('dl.facts').textContent();
  out.lab_general_buttons = await lab.locator('.events[aria-label=可以办理的事项] > button').allTextContents();
  // A PNG that is not yet evidence of the case (the store keeps one copy of equal bytes, under its first name).
  await lab.getByLabel('检查照片').setInputFiles({ name: '收样封样检查.png', mimeType: 'image/png',
                                               buffer: readFileSync(join(input.shots, 'list.png')) });
  await lab.getByRole('button', { name: '上传检查照片' }).click();
  await lab.getByRole('img', { name: /收样检查照片 收样封样检查.png/ }).waitFor();
  out.lab_uploaded = await lab.getByRole('link', { name: '收样封样检查.png', exact: true }).locator('..').textContent();
  await axe(lab, 'case-lab');
  await shot(lab, 'case-lab');
  out.lab_reject_error = await applyEvent(lab, '检验机构拒收', '检验样品封条断裂，封条编号与抽样文书不符', '检验机构拒收');
  out.lab_state_after = await lab.locator('.case-head .state').textContent();
  out.lab_history = await lab.locator('ol.timeline').first().textContent();
  await shot(lab, 'case-lab-rejected');
  await labContext.close();

  // The district bureau of the demo case (Art 63): orders the rectification (Art 65) through the generated form.
  const districtContext = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const district = await districtContext.newPage();
  await signIn(district, input.district);
  await district.getByRole('link', { name: input.case }).click();
  await district.locator('.case-head .state').waitFor();
  out.district_buttons = await district.locator('.events > button').allTextContents();
  out.district_error = await applyEvent(district, '下达责令整改通知书', '渝北市监责改〔2026〕12号', '责令整改');
  out.district_state_after = await district.locator('.case-head .state').textContent();
  out.district_deadlines = await district.locator('section', { has: district.getByRole('heading', { name: '期限' }) }).textContent();
  await axe(district, 'case-district');
  await shot(district, 'case-district');
  await districtContext.close();

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
